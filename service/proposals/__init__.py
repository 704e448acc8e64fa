"""Proposals (方案): put forward, amended, merged or withdrawn, with their history kept."""
