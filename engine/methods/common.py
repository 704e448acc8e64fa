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


def top_choices(
    profile: RankedProfile, active: NDArray[np.bool_]
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Per distinct ballot, its highest-ranked continuing candidates.

    Returns ``(top, overvoted)``: ``top[b, c]`` marks the continuing candidates ballot
    ``b`` ranks highest, ``overvoted[b]`` that there are several of them (a tie).
    """
    masked = np.where(active[None, :], profile.ranks, UNRANKED)
    best = masked.min(axis=1, keepdims=True)
    top = (masked == best) & (best < UNRANKED)
    return top, top.sum(axis=1) > 1


def tallies_of(
    profile: Profile, values: Sequence[float] | NDArray[np.float64], among: Sequence[int]
) -> dict[str, float]:
    """``{name: value}`` for the given candidates, in candidate order."""
    return {profile.candidates[i]: float(values[i]) for i in sorted(among)}


def preference_lists(profile: RankedProfile) -> NDArray[np.int64] | None:
    """Each ballot's candidates in order of preference, ``-1`` padded; ``None`` if tied.

    With dense ranks a strict ballot ranking ``r`` candidates uses exactly the ranks
    ``0 .. r-1``, so the lists are one scatter (no sort), and a tie shows up as a position
    written twice: fewer distinct positions than ranked candidates.
    """
    k, m = profile.ranks.shape
    prefs = np.full((k, m), -1, dtype=np.int64)
    placed = 0
    for c, column in enumerate(np.ascontiguousarray(profile.ranks.T)):
        rows = np.flatnonzero(column < UNRANKED)
        prefs[rows, column[rows]] = c
        placed += len(rows)
    if int(np.count_nonzero(prefs >= 0)) != placed:
        return None
    return prefs


def is_strict(profile: RankedProfile) -> bool:
    """True when no ballot ranks two candidates equal."""
    return preference_lists(profile) is not None


class FirstPreferences:
    """Each ballot's vote for its highest-ranked continuing candidate, round after round.

    A ballot whose highest-ranked continuing candidates are tied is an overvote: it counts
    for nobody from that round on (as election offices treat two marks at one rank).
    On strict profiles each distinct ballot keeps a pointer into its preference list, and
    an elimination moves only the pointers of the ballots that sat on the eliminated
    candidates; profiles with ties recompute the top choices each round.
    """

    def __init__(self, profile: RankedProfile) -> None:
        self.profile = profile
        self.m = profile.n_candidates
        prefs = preference_lists(profile)
        self.strict = prefs is not None
        self.active = np.ones(self.m, dtype=bool)
        self.overvoted = np.zeros(len(profile.counts), dtype=bool)
        if prefs is not None:
            self.prefs = prefs
            self.pointer = np.zeros(len(profile.counts), dtype=np.int64)
            self.top = self.prefs[:, 0] if self.m else np.zeros(0, dtype=np.int64)
            self.weights = profile.counts.astype(np.float64)
            # running tally, kept up to date by moving only the ballots that change hands;
            # the extra last bin holds exhausted ballots
            self.tally = np.bincount(
                np.where(self.top < 0, self.m, self.top),
                weights=self.weights,
                minlength=self.m + 1,
            ).astype(np.float64)

    def votes(self) -> NDArray[np.float64]:
        """Votes per candidate (0 for those no longer continuing)."""
        if not self.strict:
            top, tied = top_choices(self.profile, self.active)
            self.overvoted |= tied
            weights = np.where(self.overvoted, 0, self.profile.counts).astype(np.float64)
            return np.asarray(weights @ top, dtype=np.float64)
        return self.tally[: self.m].copy()

    def remove(self, candidates: Sequence[int]) -> None:
        """Take candidates out of the count; their ballots move to the next continuing one."""
        self.active[list(candidates)] = False
        if not self.strict:
            return
        if len(candidates) == 1:
            moving = np.flatnonzero(self.top == candidates[0])
        else:
            moving = np.flatnonzero(np.isin(self.top, candidates))
        moved = moving
        while moving.size:
            self.pointer[moving] += 1
            at_end = self.pointer[moving] >= self.m
            nxt = np.where(
                at_end, -1, self.prefs[moving, np.minimum(self.pointer[moving], self.m - 1)]
            )
            self.top[moving] = nxt
            still = (nxt >= 0) & ~self.active[np.maximum(nxt, 0)]
            moving = moving[still]
        landed = self.top[moved]
        self.tally += np.bincount(
            np.where(landed < 0, self.m, landed),
            weights=self.weights[moved],
            minlength=self.m + 1,
        )
        self.tally[list(candidates)] = 0.0
