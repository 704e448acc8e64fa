"""What the single transferable vote's rule sets share: the candidates' states, the stage
history and its tie rules, the ranking, and exact fixed-point sums over a profile's rows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from engine.counts import exact_type
from engine.profile import RankedProfile
from engine.registry import Outcome
from engine.result import Round
from engine.tiebreak import TieBreaker, history_order

IntArray = NDArray[np.int64]

HOPEFUL, ELECTED, EXCLUDED = 0, 1, 2
"""A candidate's state in the count: continuing, elected, excluded (eliminated)."""


class StvCount:
    """What every rule set shares: candidate states, the stage history, the tie rules, the
    ranking."""

    scale = 1

    def __init__(
        self, profile: RankedProfile, tb: TieBreaker, seats: int, write_in: int | None = None
    ) -> None:
        self.profile = profile
        self.write_in = write_in
        """The candidate standing for the undeclared write-ins, eliminated first."""
        self.tb = tb
        self.seats = seats
        self.m = profile.n_candidates
        self.status = np.full(self.m, HOPEFUL, dtype=np.int64)
        self.history: list[tuple[int, ...]] = []
        self.rounds: list[Round] = []
        self.winner_groups: list[list[int]] = []
        self.excluded_order: list[int] = []

    def hopeful(self) -> list[int]:
        return [int(i) for i in np.flatnonzero(self.status == HOPEFUL)]

    def write_in_standing(self) -> int | None:
        """The write-in candidate while it is still to be eliminated (before anything else
        happens), else None."""
        if self.write_in is not None and self.status[self.write_in] == HOPEFUL:
            return self.write_in
        return None

    def seats_left(self) -> int:
        return self.seats - sum(len(group) for group in self.winner_groups)

    def _grouped(self, candidates: Sequence[int]) -> list[list[int]]:
        """Most votes first, now and then at each earlier stage, most recent first (the
        shared rule :func:`~engine.tiebreak.history_order`, ``later-round``); candidates
        equal at every stage share a group, listed by name."""
        ordered = history_order(candidates, self.history, latest_first=True)
        name = self.profile.candidates.__getitem__
        return [sorted(group, key=name) for group in reversed(ordered)]

    def elect(self, group: Sequence[int], number: int) -> list[int]:
        """Elect ``group`` (all at the quota, or the last ones left) in order of votes."""
        groups = self._grouped(sorted(group))
        now = self.history[-1]
        for votes in sorted({now[c] for c in group}):
            level = [g for g in groups if now[g[0]] == votes]
            if len(level) > 1:
                chosen = [c for g in level for c in g]
                self.tb.record(
                    sorted(chosen),
                    chosen,
                    rule="later-round",
                    purpose="elect",
                    round=number,
                    ordered=True,
                )
        for g in groups:
            self.status[g] = ELECTED
        self.winner_groups.extend(groups)
        return [c for g in groups for c in g]

    def pick(self, group: Sequence[int], *, lowest: bool, purpose: str, number: int) -> int:
        """The lowest (to exclude) or highest (to transfer first) of ``group``."""
        now = self.history[-1]
        edge = min(now[c] for c in group) if lowest else max(now[c] for c in group)
        tied = [c for c in group if now[c] == edge]
        return self.tb.settle(
            tied, self.history, rule="later-round", lowest=lowest, purpose=purpose, round=number
        )

    def names(self, idx: Sequence[int]) -> tuple[str, ...]:
        return tuple(self.profile.candidates[i] for i in idx)

    def tallies(self, votes: Sequence[int]) -> dict[str, float]:
        """Standing of the continuing and elected candidates, in candidate order."""
        return {
            self.profile.candidates[c]: votes[c] / self.scale
            for c in range(self.m)
            if self.status[c] != EXCLUDED
        }

    def outcome(self) -> Outcome:
        """Winners in the order elected; then the unelected by final standing; then the
        excluded, last excluded first."""
        ranking = [list(g) for g in self.winner_groups]
        ranking.extend(self._grouped(self.hopeful()))
        ranking.extend([c] for c in reversed(self.excluded_order))
        winners = [c for g in self.winner_groups for c in g]
        return Outcome(winners=winners, ranking=ranking, rounds=self.rounds)


def sum_by_holder(target: IntArray, weight: NDArray[Any], size: int) -> list[int]:
    """Exact integer sums of ``weight`` per ``target`` in ``0..size-1`` (-1 = exhausted).

    ``weight`` is int64, or Python integers when a count's fixed-point value could pass
    2**63 (see :func:`fixed_point_counts`), so no sum can overflow.
    """
    bins = np.where(target < 0, size, target)
    out = np.zeros(size + 1, dtype=weight.dtype)
    np.add.at(out, bins, weight)
    return [int(v) for v in out.tolist()]


def fixed_point_counts(counts: IntArray, scale: int) -> NDArray[Any]:
    """The rows' counts, as Python integers when their total in units of ``1 / scale`` of a
    vote could pass 2**63 (a count times a paper's value is at most that total)."""
    return counts.astype(exact_type(int(counts.sum()) * scale))


def muldiv(values: IntArray, num: int, den: int) -> IntArray:
    """``floor(values * num / den)`` exactly, without int64 overflow."""
    if values.size == 0 or int(values.max()) * num < 2**62:
        return (values * num) // den
    return np.array([v * num // den for v in values.tolist()], dtype=np.int64)
