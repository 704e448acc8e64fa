"""Closing and counting a round, its result, the published ballot list and receipt checks."""
