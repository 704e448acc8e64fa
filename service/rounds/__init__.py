"""Deliberation rounds: slate, ballot kind, method and options, comment prompts, phases,
freezing when voting opens, and seeding a slate from a published round's top k."""
