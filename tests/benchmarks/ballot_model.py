"""Realistic random ranked ballots for benchmarks: Plackett–Luce preferences, truncated.

Candidate popularity falls off like a real slate (a few strong options, a long tail) and
most voters rank only a few options, as residents and city voters do.
"""

from __future__ import annotations

import numpy as np

POPULARITY = np.array([0.22, 0.18, 0.14, 0.11, 0.09, 0.08, 0.06, 0.05, 0.04, 0.03])
LENGTHS = np.array([0.18, 0.20, 0.24, 0.12, 0.08, 0.06, 0.04, 0.03, 0.02, 0.03])


def raw_ballots(n: int, m: int = 10, seed: int = 2026) -> np.ndarray:
    """An ``(n, m)`` int8 table: rank value per candidate, -1 = unranked."""
    rng = np.random.default_rng(seed)
    weights = np.resize(POPULARITY, m) / np.resize(POPULARITY, m).sum()
    keys = np.log(weights)[None, :] + rng.gumbel(size=(n, m))
    order = np.argsort(-keys, axis=1)  # order[v, p] = candidate at position p
    lengths = np.resize(LENGTHS, m) / np.resize(LENGTHS, m).sum()
    keep = rng.choice(np.arange(1, m + 1), size=n, p=lengths)
    positions = np.empty_like(order)
    np.put_along_axis(positions, order, np.arange(m)[None, :].repeat(n, 0), axis=1)
    table = np.where(positions < keep[:, None], positions, -1)
    return table.astype(np.int8)
