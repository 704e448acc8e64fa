"""Single transferable vote (multi-winner, Droop quota): Scottish rules or Meek's method.

Both count over the profile's distinct rows in exact integer (fixed-point) arithmetic.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import msgspec
import numpy as np

from engine.errors import OptionError
from engine.methods.common import first_choices, next_choices
from engine.methods.stv_fractional import MAX_DECIMALS, Fractional, FractionalRules
from engine.methods.stv_stages import (
    ELECTED,
    EXCLUDED,
    HOPEFUL,
    IntArray,
    StvCount,
    fixed_point_counts,
    muldiv,
    sum_by_holder,
)
from engine.profile import UNRANKED, RankedProfile
from engine.registry import OptionSpec, Outcome, method
from engine.result import Option, Round, Transfer
from engine.tiebreak import TieBreaker

SCOTTISH_SCALE = 10**5
"""Scottish values are counted in units of 10^-5 of a vote (rule 48(3): five decimals)."""

MEEK_SCALE = 10**9
"""Meek values are counted in units of 10^-9 of a vote."""

MEEK_OMEGA = 10**3
"""Meek iterations stop once the elected candidates' surpluses total at most 10^-6 votes."""

MEEK_MAX_ITERATIONS = 10_000


@method(
    "stv",
    accepts="ranked",
    summary="Single transferable vote: quota winners' surpluses and losers' votes transfer.",
    summary_zh="单记可转移投票：达到商数者当选，多余票和被淘汰者的票按下一志愿转移",
    options={
        "rules": OptionSpec(
            "scottish",
            choices=("scottish", "meek", "fractional"),
            help="scottish: SSI 2007/42 (weighted inclusive Gregory); meek: Meek's method;"
            " fractional: as US certified ranked-choice tabulators count",
        ),
        "quota": OptionSpec(
            "droop",
            choices=("droop", "hare"),
            help="fractional: droop floor(votes / (seats + 1)) + 1, or hare votes / seats",
        ),
        "integer_threshold": OptionSpec(
            True, help="fractional: a whole-vote threshold (false: to the decimals)"
        ),
        "decimals": OptionSpec(
            4,
            minimum=1,
            below=MAX_DECIMALS + 1,
            help="fractional: decimal places of vote values",
        ),
        "one_per_round": OptionSpec(
            False, help="fractional: at most one winner per round, the highest"
        ),
        "write_in": OptionSpec(
            "", help="the undeclared write-in candidate: eliminated first, never elected"
        ),
    },
    claims=("anonymous", "neutral"),
    multiwinner=True,
    agree=lambda options: _fractional_only(options),
)
def stv(
    profile: RankedProfile, tb: TieBreaker, seats: int, options: Mapping[str, Option]
) -> Outcome:
    """Single transferable vote, stage by stage.

    ``scottish`` follows the Scottish Local Government Elections Order 2007 (SSI 2007/42,
    rules 45-52): quota floor(valid / (seats + 1)) + 1; everyone reaching it is elected;
    the largest surplus is transferred first, every paper of the elected candidate moving
    on at value x surplus / total, truncated to 5 decimals; when no surplus remains the
    lowest candidate is excluded and its papers move at their current value; when the
    continuing candidates are no more than the seats left, they are all elected.
    ``meek`` is Meek's method (Hill, Wichmann and Woodall 1987, with the New Zealand
    quota): each elected candidate keeps a fraction of every vote reaching it and passes
    the rest on, excluded candidates count as if they had never stood, and the quota
    floor((votes - exhausted) / (seats + 1)) + 10^-9 is recomputed as ballots exhaust;
    values are fixed point with 9 decimals, a candidate receives the rounded-down share
    and the rest passes on, and keep factors are iterated (rounded up) until the elected
    candidates' surpluses total at most 10^-6 votes or stop changing.

    Each round shows the standing at its start, who reached the quota there, and the
    transfer made next (the next round's tallies show its effect).
    A paper whose next available preference is a group of two or more continuing
    candidates ranked equally (for meek: not excluded) is non-transferable from there;
    under scottish a paper with an equal first preference is invalid and not counted
    (neither is an empty one; with no valid paper there is no decision), under meek it is
    exhausted unless exclusions leave one candidate of the group.
    Ties follow the rule IRV shares (docs/counting.md, "Ties";
    :func:`~engine.tiebreak.history_order`),
    comparing from the most recent preceding stage backward (``later-round``, rules 49(2)
    and 51(2)): among candidates tied for exclusion, those with fewer votes at the most
    recent preceding stage at which they differ are spared, those still tied are compared
    at the stage before, and so on; if they never differ, the lot decides.
    Among equal surpluses, the candidate with more votes at the most recent preceding
    stage at which they differ is transferred first (``later-round``), else the lot.
    Candidates reaching the quota at the same stage are elected in order of votes, equal
    ones by the most recent preceding stage at which they differ (``later-round``); those
    equal at every stage are elected together, share a group in the ranking, and are
    listed by name among the winners, since nothing depends on their order.

    ``fractional`` counts as US certified ranked-choice tabulators count a multi-seat
    contest (the rules of RCTab, the open-source certified tabulator): every ballot counts
    its current value, 1 at first, for its highest-ranked continuing candidate. The winning
    threshold is fixed once, from the votes continuing in the first round: ``quota``
    ``"droop"`` (default) floor(votes / (seats + 1)) + 1, or with ``integer_threshold``
    false (default true) votes / (seats + 1) cut to ``decimals`` places plus 10^-decimals;
    ``"hare"`` votes / seats rounded up to a whole vote (or to the decimals). Everyone
    reaching the threshold in a round is elected, or with ``one_per_round`` (default false)
    only the one with the most votes, the others waiting for a later round; the surplus of
    every winner of the round moves at once: each ballot the winner holds moves on at its
    value x (votes - threshold) / votes, the fraction and each value cut to ``decimals``
    places (default 4), and what the cutting leaves with the winner above the threshold is
    the residual surplus, which no one receives (the winner stands at the threshold; the
    round records show it as the valid votes less the tallies and the exhausted). A round
    that elects no one eliminates the candidate with the fewest votes (the tabulator
    allows no batch elimination in a multi-seat count, and neither does this rule set).
    When the continuing candidates are no more than the seats left, they are all elected,
    so with as many seats as candidates or more every candidate is elected. A ballot with
    no ranking is not counted; one whose highest-ranked continuing candidates are a group
    ranked equally (an overvote) exhausts there.

    ``write_in`` (default ``""``: none) names the candidate standing for the undeclared
    write-ins: it is eliminated in the first round, before anyone is elected or eliminated,
    and is never elected.
    The options other than ``rules`` and ``write_in`` apply to ``fractional`` only; another
    value than their default under ``scottish`` or ``meek`` is refused.
    """
    rules = options["rules"]
    write_in = _write_in(profile, options["write_in"])
    if rules == "fractional":
        fractional = FractionalRules(
            quota=str(options["quota"]),
            integer_threshold=bool(options["integer_threshold"]),
            decimals=options["decimals"],  # type: ignore[arg-type]  # checked by the rules
            one_per_round=bool(options["one_per_round"]),
        )
        return Fractional(profile, tb, seats, fractional, write_in).run()
    _fractional_only(options)
    if rules == "meek":
        return _Meek(profile, tb, seats, write_in).run()
    return _Scottish(profile, tb, seats, write_in).run()


FRACTIONAL_ONLY: dict[str, Option] = {
    "quota": "droop",
    "integer_threshold": True,
    "decimals": 4,
    "one_per_round": False,
}
"""The options only the fractional rules take, with their defaults."""


def _fractional_only(options: Mapping[str, Option]) -> None:
    """Refuse an option only the fractional rules take, set under another rule set."""
    rules = options.get("rules", "scottish")
    if rules == "fractional":
        return
    for name, default in FRACTIONAL_ONLY.items():
        if options.get(name, default) != default:
            raise OptionError(f"option {name} applies to rules fractional only, not {rules}")


def _write_in(profile: RankedProfile, name: Option) -> int | None:
    """The index of the candidate named by the ``write_in`` option (``""``: none)."""
    if not isinstance(name, str):
        raise OptionError(f"option write_in must be a candidate's name, got {name!r}")
    if name == "":
        return None
    if name not in profile.candidates:
        raise OptionError(f"option write_in names {name!r}, who is not a candidate")
    return profile.candidates.index(name)


class _Scottish(StvCount):
    """SSI 2007/42, rules 45-52, over distinct rows: a value and a holder per row."""

    scale = SCOTTISH_SCALE

    def __init__(
        self, profile: RankedProfile, tb: TieBreaker, seats: int, write_in: int | None
    ) -> None:
        super().__init__(profile, tb, seats, write_in)
        first = first_choices(profile.ranks)
        valid = first >= 0
        self.ranks = profile.ranks[valid]
        self.counts = fixed_point_counts(profile.counts[valid], self.scale)
        self.holder = first[valid]
        self.value = np.full(len(self.counts), self.scale, dtype=np.int64)
        valid_papers = int(self.counts.sum())
        self.quota = (valid_papers // (seats + 1) + 1) * self.scale
        sums = sum_by_holder(self.holder, self.counts * self.value, self.m)
        self.votes = sums[: self.m]
        self.exhausted = 0
        self.pending: list[int] = []

    def run(self) -> Outcome:
        if not self.counts.size:  # no valid paper: there is nothing to count
            return Outcome(no_decision="no-valid-ballots")
        while True:
            number = len(self.rounds) + 1
            self.history.append(tuple(self.votes))
            standing = self.tallies(self.votes)
            exhausted = self.exhausted / self.scale
            write_in = self.write_in_standing()
            reached = [c for c in self.hopeful() if self.votes[c] >= self.quota]
            elected = self.elect(reached, number) if reached and write_in is None else []
            self.pending.extend(c for c in elected if self.votes[c] > self.quota)
            note = "complete"
            eliminated: tuple[str, ...] = ()
            transfers: tuple[Transfer, ...] = ()
            if write_in is None and 0 < self.seats_left() >= len(self.hopeful()):
                elected += self.elect(self.hopeful(), number)
                note = "elect-remaining"
            elif write_in is None and self.seats_left() > 0 and self.pending:
                src = self.pick(self.pending, lowest=False, purpose="transfer", number=number)
                self.pending.remove(src)
                transfers = (self.transfer_surplus(src),)
                note = "surplus"
            elif self.seats_left() > 0:
                if write_in is None:
                    src = self.pick(self.hopeful(), lowest=True, purpose="eliminate", number=number)
                else:
                    src = write_in
                self.status[src] = EXCLUDED
                self.excluded_order.append(src)
                eliminated = self.names([src])
                transfers = (self.transfer_excluded(src),)
                note = "exclusion"
            self.rounds.append(
                Round(
                    number=number,
                    tallies=standing,
                    elected=self.names(elected),
                    eliminated=eliminated,
                    quota=self.quota / self.scale,
                    exhausted=exhausted,
                    transfers=transfers,
                    note=note,
                )
            )
            if note in ("complete", "elect-remaining"):
                return self.outcome()

    def move(self, src: int, new_value: IntArray | None) -> tuple[dict[str, float], float]:
        """Pass ``src``'s papers to their next continuing preference (rules 48, 50)."""
        rows = np.flatnonzero(self.holder == src)
        if new_value is not None:
            self.value[rows] = new_value
        target = next_choices(self.ranks[rows], self.status == HOPEFUL)
        self.holder[rows] = target
        sums = sum_by_holder(target, self.counts[rows] * self.value[rows], self.m)
        for c in self.hopeful():
            self.votes[c] += sums[c]
        self.exhausted += sums[self.m]
        received = {self.profile.candidates[c]: sums[c] / self.scale for c in self.hopeful()}
        return received, sums[self.m] / self.scale

    def transfer_surplus(self, src: int) -> Transfer:
        total = self.votes[src]
        surplus = total - self.quota
        rows = np.flatnonzero(self.holder == src)
        new_value = muldiv(self.value[rows], surplus, total)
        received, exhausted = self.move(src, new_value)
        self.votes[src] = self.quota
        value = (self.scale * surplus // total) / self.scale
        return Transfer(
            source=self.profile.candidates[src],
            kind="surplus",
            value=value,
            received=received,
            exhausted=exhausted,
        )

    def transfer_excluded(self, src: int) -> Transfer:
        received, exhausted = self.move(src, None)
        self.votes[src] = 0
        return Transfer(
            source=self.profile.candidates[src],
            kind="exclusion",
            value=1.0,
            received=received,
            exhausted=exhausted,
        )


class _Meek(StvCount):
    """Meek's method over distinct rows: each row's candidates in preference order."""

    scale = MEEK_SCALE

    def __init__(
        self, profile: RankedProfile, tb: TieBreaker, seats: int, write_in: int | None
    ) -> None:
        super().__init__(profile, tb, seats, write_in)
        ranked = (profile.ranks < UNRANKED).any(axis=1)
        ranks = profile.ranks[ranked]
        self.counts = fixed_point_counts(profile.counts[ranked], self.scale)
        order = np.argsort(ranks, axis=1, kind="stable").astype(np.int64)
        levels = np.take_along_axis(ranks, order, axis=1)
        width = int((levels < UNRANKED).sum(axis=1).max()) if len(ranks) else 0
        self.levels = levels[:, :width]
        self.seq = np.where(self.levels < UNRANKED, order[:, :width], self.m)
        equal_next = (self.levels[:, 1:] == self.levels[:, :-1]) & (self.levels[:, 1:] < UNRANKED)
        self.tied_rows = np.flatnonzero(equal_next.any(axis=1))
        self.live = np.ones(self.seq.shape, dtype=bool)
        self.keep = np.zeros(self.m + 1, dtype=np.int64)
        self.keep[: self.m] = self.scale
        self.total = int(self.counts.sum()) * self.scale
        self.update_live()

    def update_live(self) -> None:
        """Rows with equal rankings stop at the first level holding two or more candidates
        who are not excluded; every later position of such a row is dead."""
        rows = self.tied_rows
        if rows.size == 0:
            return
        seq, levels = self.seq[rows], self.levels[rows]
        standing = np.append(self.status != EXCLUDED, False)[seq]
        level = np.where(levels < UNRANKED, levels, self.m)
        per_level = np.zeros((len(rows), self.m + 1), dtype=np.int64)
        line = np.arange(len(rows))
        for j in range(seq.shape[1]):
            per_level[line, level[:, j]] += standing[:, j]
        crowded = np.take_along_axis(per_level, level, axis=1) >= 2
        self.live[rows] = np.logical_and.accumulate(~crowded, axis=1)

    def distribute(self, rows: IntArray) -> tuple[IntArray, int]:
        """Votes per candidate (plus a last slot of 0) and the exhausted value of ``rows``
        under the current keep factors.

        A row is followed only while it has value left: a hopeful candidate keeps it all.
        """
        rest = np.full(len(rows), self.scale, dtype=np.int64)
        counts = self.counts[rows]
        votes = np.zeros(self.m + 1, dtype=counts.dtype)
        for j in range(self.seq.shape[1]):
            if rows.size == 0:
                break
            holder = self.seq[rows, j]
            share = self.keep[holder]
            if self.tied_rows.size:
                share = share * self.live[rows, j]
            got = np.where(share == self.scale, rest, rest * share // self.scale)
            np.add.at(votes, holder, got * counts)
            rest -= got
            going = rest > 0
            if not going.all():
                rows, rest, counts = rows[going], rest[going], counts[going]
        return votes, int((rest * counts).sum())

    def converge(self) -> tuple[list[int], int, int]:
        """Iterate the elected candidates' keep factors towards the quota.

        Rows whose first candidate still standing is hopeful (or who have none) do not
        depend on the keep factors, so they are counted once; only the rest are iterated.
        """
        state = np.append(self.status, EXCLUDED)
        standing = (state[self.seq] != EXCLUDED) & self.live
        first = self.seq[np.arange(len(self.seq)), standing.argmax(axis=1)]
        first = np.where(standing.any(axis=1), first, self.m)
        flowing = state[first] == ELECTED
        fixed_votes, fixed_exhausted = self.distribute(np.flatnonzero(~flowing))
        rows = np.flatnonzero(flowing)
        elected = [int(c) for c in np.flatnonzero(self.status == ELECTED)]
        for _ in range(MEEK_MAX_ITERATIONS):
            more, exhausted = self.distribute(rows)
            votes = [int(v) for v in (fixed_votes + more)[: self.m]]
            exhausted += fixed_exhausted
            quota = (self.total - exhausted) // (self.seats + 1) + 1
            surplus = sum(max(votes[c] - quota, 0) for c in elected)
            if surplus <= MEEK_OMEGA:
                break
            changed = False
            for c in elected:
                keep = int(self.keep[c])
                new = min(self.scale, -(-keep * quota // votes[c])) if votes[c] else keep
                if new != keep:
                    self.keep[c] = new
                    changed = True
            if not changed:
                break
        return votes, exhausted, quota

    def run(self) -> Outcome:
        previous: _Stage | None = None
        number = 0
        while True:
            number += 1
            votes, exhausted, quota = self.converge()
            if previous is not None:
                self.rounds.append(self.finish(previous, votes, exhausted))
            self.history.append(tuple(votes))
            stage = _Stage(votes=votes, exhausted=exhausted)
            standing = self.tallies(votes)
            write_in = self.write_in_standing()
            reached = [c for c in self.hopeful() if votes[c] >= quota]
            elected = self.elect(reached, number) if reached and write_in is None else []
            note = "complete"
            eliminated: tuple[str, ...] = ()
            if write_in is None and 0 < self.seats_left() >= len(self.hopeful()):
                elected += self.elect(self.hopeful(), number)
                note = "elect-remaining"
            elif write_in is None and self.seats_left() > 0 and elected:
                note = "surplus"
                if len(elected) == 1:
                    stage.source, stage.kind = elected[0], "surplus"
            elif self.seats_left() > 0:
                if write_in is None:
                    src = self.pick(self.hopeful(), lowest=True, purpose="eliminate", number=number)
                else:
                    src = write_in
                self.status[src] = EXCLUDED
                self.keep[src] = 0
                self.excluded_order.append(src)
                self.update_live()
                eliminated = self.names([src])
                stage.source, stage.kind, note = src, "exclusion", "exclusion"
            stage.round = Round(
                number=number,
                tallies=standing,
                elected=self.names(elected),
                eliminated=eliminated,
                quota=quota / self.scale,
                exhausted=exhausted / self.scale,
                note=note,
            )
            if note in ("complete", "elect-remaining"):
                self.rounds.append(stage.round)
                return self.outcome()
            previous = stage

    def finish(self, stage: _Stage, votes: list[int], exhausted: int) -> Round:
        """``stage``'s round, its transfer being the net change up to the next standing."""
        if stage.source < 0:
            return stage.round
        src = stage.source
        received = {
            self.profile.candidates[c]: (votes[c] - stage.votes[c]) / self.scale
            for c in range(self.m)
            if self.status[c] != EXCLUDED and c != src
        }
        value = (
            1.0 if stage.kind == "exclusion" else (self.scale - int(self.keep[src])) / self.scale
        )
        transfer = Transfer(
            source=self.profile.candidates[src],
            kind=stage.kind,
            value=value,
            received=received,
            exhausted=(exhausted - stage.exhausted) / self.scale,
        )
        return msgspec.structs.replace(stage.round, transfers=(transfer,))


@dataclass
class _Stage:
    """A Meek standing whose round waits for the next standing to report its transfer."""

    votes: list[int]
    exhausted: int
    round: Round = field(default_factory=lambda: Round(number=1, tallies={}))
    source: int = -1
    kind: str = ""
