"""Instant runoff (IRV) and the contest options election offices set for it.

Where an office has a choice, the options follow the certified ranked-choice tabulator used
by US jurisdictions (RCTab): undeclared write-ins eliminated first and never elected,
batch elimination, a threshold fixed by the first round, counting on until two candidates
remain, stopping after a given round. :func:`runoff_pass` counts one instant runoff;
sequential IRV (:mod:`engine.methods.sequential`) runs it once per seat and bottoms-up
elimination (:mod:`engine.methods.bottoms_up`) shares its elimination step
(:func:`losers`). docs/counting.md states every rule in words.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

import msgspec
import numpy as np
from numpy.typing import NDArray

from engine.methods.common import (
    FirstPreferences,
    exclusion_transfers,
    groups_by_score,
    tallies_of,
)
from engine.profile import RankedProfile
from engine.registry import OptionSpec, Outcome, method
from engine.result import Option, Round
from engine.tiebreak import TieBreaker

THRESHOLDS: Final = ("majority", "first-round")
"""``majority``: more than half of the votes still counting in the round; ``first-round``:
more than half of the votes counting in the first round, fixed for the whole count."""

WRITE_IN: Final = OptionSpec(
    "", help="the candidate that stands for undeclared write-ins: eliminated first, never elected"
)

IRV_OPTIONS: Final[dict[str, OptionSpec]] = {
    "batch": OptionSpec(False, help="eliminate at once every candidate who cannot win"),
    "write_in": WRITE_IN,
    "until_two": OptionSpec(False, help="go on eliminating until two candidates remain"),
    "threshold": OptionSpec(
        "majority", choices=THRESHOLDS, help="majority of each round, or fixed by the first"
    ),
    "stop_after": OptionSpec(
        0, minimum=0, help="stop after this round, whose leader wins (0: no limit)"
    ),
}
"""The options of instant runoff, which sequential IRV takes for each of its passes."""


@dataclass(frozen=True)
class RunoffRules:
    """The contest options of one instant runoff, with the write-in as a candidate index."""

    batch: bool = False
    write_in: int | None = None
    until_two: bool = False
    first_round_threshold: bool = False
    stop_after: int = 0

    @classmethod
    def of(cls, profile: RankedProfile, options: Mapping[str, Option]) -> RunoffRules:
        """The rules the options state (a write-in name that is not a candidate: none)."""
        name = options.get("write_in") or ""
        stop = options.get("stop_after") or 0
        return cls(
            batch=bool(options.get("batch", False)),
            write_in=profile.candidates.index(name)
            if isinstance(name, str) and name in profile.candidates
            else None,
            until_two=bool(options.get("until_two", False)),
            first_round_threshold=options.get("threshold") == "first-round",
            stop_after=int(stop) if isinstance(stop, int | float) else 0,
        )


@dataclass
class Pass:
    """One instant runoff counted: its rounds, its winner (``None`` when no ballot ever
    counted for an electable candidate) and the ranking it leaves (the winner first, then
    the others still in by votes, then the eliminated, the last eliminated first; the
    write-in last)."""

    rounds: list[Round]
    winner: int | None
    ranking: list[list[int]] = field(default_factory=list)


@method(
    "irv",
    accepts="ranked",
    summary="Instant runoff: eliminate the last-placed candidate and transfer, until a majority.",
    summary_zh="逐轮淘汰得票最少的方案，把其选票转给下一志愿，直到有方案过半",
    options=IRV_OPTIONS,
    claims=("anonymous", "neutral", "majority"),
)
def irv(
    profile: RankedProfile, tb: TieBreaker, seats: int, options: Mapping[str, Option]
) -> Outcome:
    """Instant runoff, round by round.

    Each round a ballot counts for its highest-ranked continuing candidate; a ballot whose
    highest-ranked continuing candidates are tied is an overvote and counts for nobody from
    then on (if every ballot is one, there is no decision). A candidate with more than half
    of the votes still in play wins; otherwise the candidate with the fewest votes is
    eliminated.
    Candidates tied for last are compared round by round from the first: at the earliest
    round where they differ, those with the fewest votes stay in the tie and the others are
    spared, and the ones still tied are compared at the next round, and so on (rule
    ``earlier-round``, :func:`~engine.tiebreak.history_order`); if they never differ, the
    lot decides.
    The options (all off by default) are those of :func:`runoff_pass`.
    """
    run = runoff_pass(profile, FirstPreferences(profile), tb, RunoffRules.of(profile, options))
    if run.winner is None:
        return Outcome(no_decision="no-valid-ballots")
    return Outcome(ranking=run.ranking, rounds=run.rounds)


def runoff_pass(
    profile: RankedProfile,
    count: FirstPreferences,
    tb: TieBreaker,
    rules: RunoffRules,
    *,
    first_number: int = 1,
    note: Callable[[str], str] = str,
    empty_decides: bool = False,
) -> Pass:
    """Count one instant runoff over the candidates ``count`` still has, numbering its
    rounds from ``first_number`` and writing each round's note through ``note``.

    The rounds' notes: ``majority`` (more than half of the votes in play, or the last one
    left), ``elimination``, and with the options ``write-in``, ``threshold``, ``two-left``,
    ``stopped``, ``final-two``.

    - ``write_in``: while that candidate holds any vote, no one is elected and the round
      eliminates it alone, before anyone else (so, holding votes in the first round, it
      goes in the first round); holding none, it is never elected and is the first to go
      when a round eliminates (ahead of anyone tied with it at zero).
    - ``batch``: the lowest candidates whose votes together are fewer than the next
      candidate's are eliminated at once (tallies taken in groups of equal votes, lowest
      first; the largest such group of two or more wins); otherwise one by one.
    - ``threshold`` ``first-round``: a candidate needs more than half of the votes in play
      in the first round, fixed for the count; when two candidates remain and neither has
      it, the one with more votes wins (a tie between them: the earlier-round rule, then
      the lot).
    - ``until_two``: the winner is declared in the round it first has a majority, as
      without the option; the count then goes on, the next round repeating that standing
      and eliminating, until two candidates remain, and a last round shows those two.
      A batch is never so large that it would leave one candidate.
    - ``stop_after`` N: the count stops after round N of this runoff; if no one has won
      by then, the candidate with the most votes in round N wins (``stopped``; a tie for
      the lead: the earlier-round rule, then the lot; never the write-in, even one still
      holding votes, which round N then does not eliminate).

    A round where no ballot counts for any candidate ends the runoff without a winner,
    unless ``empty_decides`` (a later pass of sequential IRV), where the ordinary rules go on.
    """
    total = profile.total
    history: list[NDArray[np.int64]] = []
    rounds: list[Round] = []
    eliminated: list[int] = []
    winner: int | None = None
    fixed: int | None = None  # votes in play in the first round (first-round threshold)
    previous: NDArray[np.int64] | None = None
    previous_exhausted = 0
    w = rules.write_in
    while True:
        k = len(rounds) + 1  # the round of this runoff
        number = first_number + len(rounds)
        votes = count.votes()
        continuing = [int(i) for i in np.flatnonzero(count.active)]
        electable = [i for i in continuing if i != w]
        in_play = int(votes.sum())
        if fixed is None:
            fixed = in_play
        if not electable or (in_play == 0 and winner is None and not empty_decides):
            return Pass(rounds, None)
        exhausted = total - in_play
        transfers = exclusion_transfers(
            profile,
            votes,
            previous,
            continuing,
            rounds[-1].eliminated if rounds else (),
            exhausted,
            previous_exhausted,
        )
        standing = Round(
            number=number,
            tallies=tallies_of(profile, votes, continuing),
            quota=float(fixed // 2 + 1) if rules.first_round_threshold else None,
            exhausted=float(exhausted),
            transfers=transfers,
        )
        stopping = rules.stop_after > 0 and k >= rules.stop_after
        write_in_live = w is not None and w in continuing and int(votes[w]) > 0
        if winner is None and (stopping or not write_in_live):
            chosen, code = (
                (None, "")
                if write_in_live
                else _elected(votes, continuing, electable, history, tb, number, rules, fixed)
            )
            if chosen is None and stopping:
                chosen, code = _leader(votes, electable, history, tb, number), "stopped"
            if chosen is not None:
                winner = chosen
                rounds.append(_noted(standing, profile, note(code), elected=[chosen]))
                if stopping or not rules.until_two or len(continuing) <= 2:
                    break
                previous, previous_exhausted = votes, exhausted
                continue
        elif winner is not None and (stopping or len(continuing) <= 2):
            code = "stopped" if stopping and len(continuing) > 2 else "final-two"
            rounds.append(_noted(standing, profile, note(code)))
            break
        history.append(votes)
        if write_in_live and w is not None:
            out, code = [w], "write-in"
        else:
            out, code = losers(votes, continuing, history, tb, number, rules), "elimination"
        rounds.append(_noted(standing, profile, note(code), out=out))
        eliminated.extend(out)
        count.remove(out)
        previous, previous_exhausted = votes, exhausted
    return Pass(rounds, winner, _ranking(votes, continuing, winner, eliminated, w))


def _noted(
    standing: Round,
    profile: RankedProfile,
    note: str,
    *,
    elected: Sequence[int] = (),
    out: Sequence[int] = (),
) -> Round:
    """The round's standing with what it decided and its note."""
    return msgspec.structs.replace(
        standing,
        elected=tuple(profile.candidates[i] for i in elected),
        eliminated=tuple(profile.candidates[i] for i in out),
        note=note,
    )


def _elected(
    votes: NDArray[np.int64],
    continuing: list[int],
    electable: list[int],
    history: list[NDArray[np.int64]],
    tb: TieBreaker,
    number: int,
    rules: RunoffRules,
    fixed: int,
) -> tuple[int | None, str]:
    """Who is elected this round, if anyone, and the round's note."""
    top = max(electable, key=lambda i: (int(votes[i]), -i))
    if len(continuing) == 1:
        return top, "majority"
    if rules.first_round_threshold:
        if int(votes[top]) * 2 > fixed:
            return top, "threshold"
        if len(continuing) == 2:
            return _leader(votes, electable, history, tb, number), "two-left"
        return None, ""
    if int(votes[top]) * 2 > int(votes.sum()):
        return top, "majority"
    return None, ""


def _leader(
    votes: NDArray[np.int64],
    electable: list[int],
    history: list[NDArray[np.int64]],
    tb: TieBreaker,
    number: int,
) -> int:
    """The candidate with the most votes; a tie for the lead by the earlier-round rule (the
    most votes at the earliest round where they differ), then the lot."""
    most = max(int(votes[i]) for i in electable)
    tied = [i for i in electable if int(votes[i]) == most]
    if len(tied) == 1:
        return tied[0]
    return tb.settle(tied, history, rule="earlier-round", lowest=False, purpose="win", round=number)


def losers(
    votes: NDArray[np.int64],
    continuing: list[int],
    history: list[NDArray[np.int64]],
    tb: TieBreaker,
    number: int,
    rules: RunoffRules,
) -> list[int]:
    """Who leaves the count this round, ``history`` ending with this round's votes: a batch
    (with ``rules.batch``), else the candidate with the fewest votes, the write-in first
    among those tied with it, others tied by the earlier-round rule, then the lot."""
    if rules.batch:
        batch = batch_losers(votes, continuing, keep_two=rules.until_two)
        if batch:
            return batch
    low = min(int(votes[i]) for i in continuing)
    tied = [i for i in continuing if int(votes[i]) == low]
    if rules.write_in in tied:
        return [rules.write_in] if rules.write_in is not None else tied
    if len(tied) == 1:
        return tied
    return [
        tb.settle(
            tied, history[:-1], rule="earlier-round", lowest=True, purpose="eliminate", round=number
        )
    ]


def batch_losers(
    votes: NDArray[np.int64], continuing: list[int], *, keep_two: bool = False
) -> list[int]:
    """The batch to eliminate together, or none (fewer than two candidates).

    Tallies are taken in groups of equal votes, lowest first, with a running sum of the
    groups below: at each group whose votes are more than that sum (``<``, strictly: a sum
    that equals the next tally could still catch up), everyone below can be eliminated;
    the last such cut is the batch. With ``keep_two`` a cut that would leave one candidate
    gives way to the cut before it.
    """
    groups = groups_by_score(votes, higher_first=False, among=continuing)
    running, seen = 0, 0
    cut, before = 0, 0
    ordered: list[int] = []
    for group in groups:
        tally = int(votes[group[0]])
        if running < tally and seen > cut:
            before, cut = cut, seen
        running += tally * len(group)
        seen += len(group)
        ordered.extend(group)
    if keep_two and len(continuing) - cut == 1:
        cut = before
    return sorted(ordered[:cut]) if cut > 1 else []


def _ranking(
    votes: NDArray[np.int64],
    continuing: list[int],
    winner: int | None,
    eliminated: list[int],
    write_in: int | None,
) -> list[list[int]]:
    rest = [i for i in continuing if i not in (winner, write_in)]
    ranking = ([[winner]] if winner is not None else []) + groups_by_score(votes, among=rest)
    ranking += [[loser] for loser in reversed(eliminated)]
    if write_in is not None and write_in in continuing:
        ranking.append([write_in])
    return ranking
