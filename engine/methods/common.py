"""Small helpers shared by the counting methods."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from engine.profile import UNRANKED, Profile, RankedProfile


def groups_by_score(
    scores: Sequence[float] | NDArray[np.float64],
    *,
    higher_first: bool = True,
    among: Sequence[int] | None = None,
    tol: float = 1e-9,
) -> list[list[int]]:
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


def tallies_of(
    profile: Profile, values: Sequence[float] | NDArray[np.float64], among: Sequence[int]
) -> dict[str, float]:
    """``{name: value}`` for the given candidates, in candidate order."""
    return {profile.candidates[i]: float(values[i]) for i in sorted(among)}


def next_choices(ranks: NDArray[np.int32], available: NDArray[np.bool_]) -> NDArray[np.int64]:
    """Per row, the best-ranked available candidate, or -1 (none left, or an equal group).

    Works on the available candidates' columns (reductions across a few long rows are far
    cheaper in numpy than across many short ones)."""
    candidates = np.flatnonzero(available)
    if candidates.size == 0 or len(ranks) == 0:
        return np.full(len(ranks), -1, dtype=np.int64)
    columns = np.ascontiguousarray(ranks[:, candidates].T)
    best = columns.min(axis=0)
    width = np.count_nonzero(columns == best, axis=0)
    target = candidates[columns.argmin(axis=0)].astype(np.int64)
    return np.where((best < UNRANKED) & (width == 1), target, -1)


def first_choices(ranks: NDArray[np.int32]) -> NDArray[np.int64]:
    """Per row, the candidate ranked first, or -1 (empty, or several equal first); read
    column by column, which is much cheaper than a row-wise minimum over few candidates."""
    first = np.full(len(ranks), -1, dtype=np.int64)
    holders = np.zeros(len(ranks), dtype=np.int64)
    for c, column in enumerate(np.ascontiguousarray(ranks.T)):
        at_top = column == 0
        holders += at_top
        first[at_top] = c
    first[holders != 1] = -1
    return first


class FirstPreferences:
    """Each ballot's vote for its highest-ranked continuing candidate, round after round.

    A ballot whose highest-ranked continuing candidates are tied is an overvote: it counts
    for nobody from that round on (as election offices treat two marks at one rank).
    The tally is kept up to date incrementally: an elimination looks again only at the
    ballots that sat on the eliminated candidates, so a round costs work in proportion to
    the ballots that change hands, not to the whole profile.
    """

    EXHAUSTED = -1

    def __init__(self, profile: RankedProfile) -> None:
        self.ranks = profile.ranks
        self.m = profile.n_candidates
        self.weights = profile.counts.astype(np.float64)
        self.active = np.ones(self.m, dtype=bool)
        self.top = first_choices(self.ranks)  # EXHAUSTED for empty ballots and overvotes
        self.tally = np.bincount(
            self.top[self.top >= 0], weights=self.weights[self.top >= 0], minlength=self.m
        ).astype(np.float64)

    def votes(self) -> NDArray[np.float64]:
        """Votes per candidate (0 for those no longer continuing)."""
        return self.tally.copy()

    def remove(self, candidates: Sequence[int]) -> None:
        """Take candidates out of the count; their ballots move to the next continuing one."""
        gone = list(candidates)
        self.active[gone] = False
        if len(gone) == 1:
            moving = np.flatnonzero(self.top == gone[0])
        else:
            moving = np.flatnonzero(np.isin(self.top, gone))
        self.tally[gone] = 0.0
        if moving.size == 0:
            return
        landed = next_choices(self.ranks[moving], self.active)
        self.top[moving] = landed
        live = landed >= 0
        self.tally += np.bincount(
            landed[live], weights=self.weights[moving][live], minlength=self.m
        )


def rank_histogram(profile: RankedProfile) -> NDArray[np.float64]:
    """``H[c, v]`` = voters ranking candidate ``c`` at level ``v`` (``v = m``: unranked).

    One weighted count per candidate column: the cheapest full read of a profile.
    """
    m = profile.n_candidates
    weights = profile.counts.astype(np.float64)
    out = np.zeros((m, m + 1), dtype=np.float64)
    for c, column in enumerate(np.ascontiguousarray(profile.ranks.T)):
        out[c] = np.bincount(np.minimum(column, m), weights=weights, minlength=m + 1)
    return out
