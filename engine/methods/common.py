"""Small helpers shared by the counting methods."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from engine.counts import sum_by
from engine.profile import UNRANKED, Profile, RankedProfile
from engine.result import Transfer


def groups_by_score(
    scores: Sequence[float] | NDArray[Any],
    *,
    higher_first: bool = True,
    among: Sequence[int] | None = None,
    tol: float = 1e-9,
) -> list[list[int]]:
    """A weak order of candidates: groups of equal score, best first.

    Whole-number scores (vote counts, doubled Borda points) are compared exactly, at any
    size; fractional ones are equal within ``tol``.
    """
    values = scores.tolist() if isinstance(scores, np.ndarray) else list(scores)
    idx = list(range(len(values))) if among is None else list(among)
    ordered = sorted(idx, key=lambda i: (-values[i] if higher_first else values[i], i))
    out: list[list[int]] = []
    for i in ordered:
        if out and _equal(values[out[-1][0]], values[i], tol):
            out[-1].append(i)
        else:
            out.append([i])
    return out


def _equal(a: float, b: float, tol: float) -> bool:
    if isinstance(a, int) and isinstance(b, int):
        return a == b
    return abs(float(a) - float(b)) <= tol


def tallies_of(
    profile: Profile, values: Sequence[float] | NDArray[Any], among: Sequence[int]
) -> dict[str, float]:
    """``{name: value}`` for the given candidates, in candidate order (exact below 2**53)."""
    return {profile.candidates[i]: float(values[i]) for i in sorted(among)}


def exclusion_transfers(
    profile: Profile,
    votes: NDArray[np.int64],
    previous: NDArray[np.int64] | None,
    continuing: Sequence[int],
    eliminated: Sequence[str],
    exhausted: int,
    previous_exhausted: int,
) -> tuple[Transfer, ...]:
    """What the last round's elimination moved, seen in this round's votes: each continuing
    candidate's gain since ``previous`` and the ballots that exhausted on the way (instant
    runoff and bottoms-up, whose ballots move at full value); nothing in a first round or
    after a round that eliminated no one."""
    if previous is None or not eliminated:
        return ()
    return (
        Transfer(
            source="+".join(eliminated),
            kind="exclusion",
            value=1.0,
            received={profile.candidates[i]: float(votes[i] - previous[i]) for i in continuing},
            exhausted=float(exhausted - previous_exhausted),
        ),
    )


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

    def __init__(self, profile: RankedProfile, without: Sequence[int] = ()) -> None:
        """The first round's count, with the candidates ``without`` as if not on the ballots
        (a later pass of sequential IRV)."""
        self.ranks = profile.ranks
        self.m = profile.n_candidates
        self.weights = profile.counts
        self.active = np.ones(self.m, dtype=bool)
        self.active[list(without)] = False
        # EXHAUSTED for empty ballots and overvotes
        self.top = next_choices(self.ranks, self.active) if without else first_choices(self.ranks)
        held = self.top >= 0
        self.tally = sum_by(self.top[held], self.weights[held], self.m)

    def votes(self) -> NDArray[np.int64]:
        """Votes per candidate (0 for those no longer continuing), exact integers."""
        return self.tally.copy()

    def remove(self, candidates: Sequence[int]) -> None:
        """Take candidates out of the count; their ballots move to the next continuing one."""
        gone = list(candidates)
        self.active[gone] = False
        if len(gone) == 1:
            moving = np.flatnonzero(self.top == gone[0])
        else:
            moving = np.flatnonzero(np.isin(self.top, gone))
        self.tally[gone] = 0
        if moving.size == 0:
            return
        landed = next_choices(self.ranks[moving], self.active)
        self.top[moving] = landed
        live = landed >= 0
        self.tally += sum_by(landed[live], self.weights[moving][live], self.m)


def rank_histogram(profile: RankedProfile) -> NDArray[np.int64]:
    """``H[c, v]`` = voters ranking candidate ``c`` at level ``v`` (``v = m``: unranked).

    One weighted count per candidate column: the cheapest full read of a profile.
    """
    m = profile.n_candidates
    out = np.zeros((m, m + 1), dtype=np.int64)
    for c, column in enumerate(np.ascontiguousarray(profile.ranks.T)):
        out[c] = sum_by(np.minimum(column, m), profile.counts, m + 1)
    return out
