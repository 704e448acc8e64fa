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


def is_strict(profile: RankedProfile) -> bool:
    """True when no ballot ranks two candidates equal (dense ranks make this O(k·m))."""
    ranked = profile.ranks < UNRANKED
    levels = np.where(ranked, profile.ranks, -1).max(axis=1) + 1
    return bool(np.array_equal(levels, ranked.sum(axis=1)))


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
        self.strict = is_strict(profile)
        self.active = np.ones(self.m, dtype=bool)
        self.overvoted = np.zeros(len(profile.counts), dtype=bool)
        if self.strict:
            order = np.argsort(profile.ranks, axis=1, kind="stable")
            ranked = np.take_along_axis(profile.ranks, order, axis=1) < UNRANKED
            self.prefs = np.where(ranked, order, -1)
            self.pointer = np.zeros(len(profile.counts), dtype=np.int64)
            self.top = self.prefs[:, 0] if self.m else np.zeros(0, dtype=np.int64)
            self.weights = profile.counts.astype(np.float64)

    def votes(self) -> NDArray[np.float64]:
        """Votes per candidate (0 for those no longer continuing)."""
        if not self.strict:
            top, tied = top_choices(self.profile, self.active)
            self.overvoted |= tied
            weights = np.where(self.overvoted, 0, self.profile.counts).astype(np.float64)
            return np.asarray(weights @ top, dtype=np.float64)
        live = self.top >= 0
        votes = np.bincount(self.top[live], weights=self.weights[live], minlength=self.m)
        return np.asarray(votes, dtype=np.float64)

    def remove(self, candidates: Sequence[int]) -> None:
        """Take candidates out of the count; their ballots move to the next continuing one."""
        self.active[list(candidates)] = False
        if not self.strict:
            return
        moving = np.flatnonzero(np.isin(self.top, candidates))
        while moving.size:
            self.pointer[moving] += 1
            at_end = self.pointer[moving] >= self.m
            nxt = np.where(
                at_end, -1, self.prefs[moving, np.minimum(self.pointer[moving], self.m - 1)]
            )
            self.top[moving] = nxt
            still = (nxt >= 0) & ~self.active[np.maximum(nxt, 0)]
            moving = moving[still]
