"""STV as US certified ranked-choice tabulators count a multi-seat contest: every ballot of a
winner moves on at a fraction of its value, in fixed-point decimals, against a winning
threshold fixed by the first round (``rules="fractional"`` of :func:`engine.methods.stv.stv`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from msgspec.structs import replace

from engine.errors import OptionError
from engine.methods.common import next_choices
from engine.methods.stv_stages import (
    EXCLUDED,
    HOPEFUL,
    IntArray,
    StvCount,
    fixed_point_counts,
    sum_by_holder,
)
from engine.profile import UNRANKED, RankedProfile
from engine.registry import Outcome
from engine.result import Round, Transfer
from engine.tiebreak import TieBreaker

MAX_DECIMALS = 20
"""The most decimal places of vote arithmetic a count may keep (as the certified tabulator)."""


@dataclass(frozen=True)
class FractionalRules:
    """The options of the count, their defaults those of the certified tabulator."""

    quota: str = "droop"
    integer_threshold: bool = True
    decimals: int = 4
    one_per_round: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.decimals, bool) or not isinstance(self.decimals, int):
            raise OptionError(f"option decimals must be a whole number, got {self.decimals!r}")
        if not 1 <= self.decimals <= MAX_DECIMALS:
            raise OptionError(
                f"option decimals must be from 1 to {MAX_DECIMALS}, got {self.decimals}"
            )

    def threshold(self, votes: int, seats: int, scale: int) -> int:
        """The winning threshold, in units of ``1 / scale`` of a vote, for ``votes`` units
        continuing in the first round.

        droop: floor(votes / (seats + 1)) + 1, or with a non-integer threshold
        votes / (seats + 1) cut to the decimals, plus 10^-decimals; hare: votes / seats
        rounded up to a whole vote, or to the decimals.
        """
        step = 1 if not self.integer_threshold else scale  # the threshold's smallest unit
        if self.quota == "hare":
            return -(-votes // (seats * step)) * step
        return votes // ((seats + 1) * step) * step + step


class Fractional(StvCount):
    """The count over distinct rows: each row's value (its ballots' value each) and holder."""

    def __init__(
        self,
        profile: RankedProfile,
        tb: TieBreaker,
        seats: int,
        rules: FractionalRules,
        write_in: int | None,
    ) -> None:
        super().__init__(profile, tb, seats, write_in)
        self.rules = rules
        self.scale = 10**rules.decimals
        ranked = (profile.ranks < UNRANKED).any(axis=1)
        self.ranks = profile.ranks[ranked]
        self.counts = fixed_point_counts(profile.counts[ranked], self.scale)
        self.holder = next_choices(self.ranks, self.status == HOPEFUL)
        # a value times a fraction needs scale**2: past int64, Python integers (exact)
        wide = self.counts.dtype == object or self.scale**2 >= 2**62
        self.value = np.full(len(self.counts), self.scale, dtype=object if wide else np.int64)
        sums = sum_by_holder(self.holder, self.counts * self.value, self.m)
        self.votes = sums[: self.m]
        self.exhausted = sums[self.m]
        self.quota = 0

    def run(self) -> Outcome:
        if sum(self.votes) == 0:  # no ballot counts for anyone: there is nothing to count
            return Outcome(no_decision="no-valid-ballots")
        self.quota = self.rules.threshold(sum(self.votes), self.seats, self.scale)
        while True:
            number = len(self.rounds) + 1
            self.history.append(tuple(self.votes))
            stage = Round(
                number=number,
                tallies=self.tallies(self.votes),
                quota=self.quota / self.scale,
                exhausted=self.exhausted / self.scale,
            )
            stage = self.decide(stage)
            self.rounds.append(stage)
            if stage.note in ("complete", "elect-remaining"):
                return self.outcome()

    def decide(self, stage: Round) -> Round:
        """What happens at ``stage``: an election (and the winners' surpluses move), the
        continuing candidates filling the seats left, or an elimination."""
        number = stage.number
        write_in = self.write_in_standing()
        if write_in is not None and self.votes[write_in] > 0:
            return self.eliminate(stage, write_in)  # while it holds votes, before all else
        # with no votes the write-in stays, never elected, and goes first when someone must
        hopeful = [c for c in self.hopeful() if c != write_in]
        if len(hopeful) <= self.seats_left():
            elected = self.elect(hopeful, number)
            return replace(stage, elected=self.names(elected), note="elect-remaining")
        reached = [c for c in hopeful if self.votes[c] >= self.quota]
        if not reached:
            if write_in is not None:
                return self.eliminate(stage, write_in)
            lowest = self.pick(hopeful, lowest=True, purpose="eliminate", number=number)
            return self.eliminate(stage, lowest)
        if self.rules.one_per_round and len(reached) > 1:
            reached = [self.pick(reached, lowest=False, purpose="elect", number=number)]
        elected = self.elect(reached, number)
        if self.seats_left() == 0:
            return replace(stage, elected=self.names(elected), note="complete")
        moved = [self.transfer_surplus(c) for c in elected]
        transfers = tuple(t for t in moved if t is not None)
        return replace(stage, elected=self.names(elected), transfers=transfers, note="surplus")

    def eliminate(self, stage: Round, loser: int) -> Round:
        self.status[loser] = EXCLUDED
        self.excluded_order.append(loser)
        rows = np.flatnonzero(self.holder == loser)
        received, exhausted = self.move(rows)
        self.votes[loser] = 0
        transfer = Transfer(
            source=self.profile.candidates[loser],
            kind="exclusion",
            value=1.0,
            received=received,
            exhausted=exhausted,
        )
        return replace(
            stage, eliminated=self.names([loser]), transfers=(transfer,), note="exclusion"
        )

    def transfer_surplus(self, winner: int) -> Transfer | None:
        """Every ballot held by ``winner`` moves on at value x surplus / votes (None: a
        winner at the threshold exactly has no surplus, and its ballots move at 0).

        The fraction surplus / votes and each ballot's moving value are cut (rounded down)
        to the decimals, so a winner keeps at least the threshold; what it keeps above the
        threshold is the residual surplus, which no one receives (the winner stands at the
        threshold from then on).
        """
        total = self.votes[winner]
        surplus = total - self.quota
        fraction = surplus * self.scale // total if surplus > 0 else 0
        rows = np.flatnonzero(self.holder == winner)
        self.value[rows] = self.value[rows] * fraction // self.scale
        received, exhausted = self.move(rows)
        self.votes[winner] = self.quota
        if surplus <= 0:
            return None
        return Transfer(
            source=self.profile.candidates[winner],
            kind="surplus",
            value=fraction / self.scale,
            received=received,
            exhausted=exhausted,
        )

    def move(self, rows: IntArray) -> tuple[dict[str, float], float]:
        """Pass ``rows`` at their current value to their next continuing candidate (a group
        of equally ranked continuing candidates, or none left, exhausts the ballot)."""
        target = next_choices(self.ranks[rows], self.status == HOPEFUL)
        self.holder[rows] = target
        sums = sum_by_holder(target, self.counts[rows] * self.value[rows], self.m)
        hopeful = self.hopeful()
        for c in hopeful:
            self.votes[c] += sums[c]
        self.exhausted += sums[self.m]
        received = {self.profile.candidates[c]: sums[c] / self.scale for c in hopeful}
        return received, sums[self.m] / self.scale
