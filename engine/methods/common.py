"""Small helpers shared by the counting methods."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from engine.profile import UNRANKED, RankedProfile


def groups_by_score(scores: Sequence[float] | NDArray[np.float64], *, higher_first: bool = True,
                    among: Sequence[int] | None = None, tol: float = 1e-9) -> list[list[int]]:
    """A weak order of candidates: groups of equal score (within ``tol``), best first."""
    idx = list(range(len(scores))) if among is None else list(among)
    ordered = sorted(idx, key=lambda i: (-scores[i] if higher_first else scores[i], i))
    out: list[list[int]] = []
    for i in ordered:
        if out and abs(float(scores[out[-1][0]]) - float(scores[i])) <= tol:
            out[-1].append(i)
        else:
            out.append([i])
    return out


def top_choices(profile: RankedProfile, active: NDArray[np.bool_]) -> NDArray[np.float64]:
    """Per distinct ballot, its share of the vote for each continuing candidate.

    A ballot counts for its highest-ranked continuing candidate; when several continuing
    candidates share that rank, the ballot is split equally among them. A ballot ranking
    no continuing candidate is exhausted (an all-zero row).
    """
    masked = np.where(active[None, :], profile.ranks, UNRANKED)
    best = masked.min(axis=1, keepdims=True)
    top = (masked == best) & (best < UNRANKED)
    width = top.sum(axis=1, keepdims=True)
    return np.divide(top, width, out=np.zeros(top.shape, dtype=np.float64), where=width > 0)


def tallies_of(profile: RankedProfile, values: Sequence[float] | NDArray[np.float64],
               among: Sequence[int]) -> dict[str, float]:
    """``{name: value}`` for the given candidates, in candidate order."""
    return {profile.candidates[i]: float(values[i]) for i in sorted(among)}
