"""Processes (议题) with their lifecycle, and residents' requests (诉求) that feed them."""
