"""Bottoms-up elimination: instant runoff's eliminations without its majority, until as
many candidates remain as seats, or until every one left has more than a given share."""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
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
from engine.methods.irv import WRITE_IN, RunoffRules, losers
from engine.profile import RankedProfile
from engine.registry import OptionSpec, Outcome, method
from engine.result import Option, Round
from engine.tiebreak import TieBreaker

PERCENTAGE: Final = OptionSpec(
    0.0,
    minimum=0,
    below=100,
    help="stop when everyone left has more than this share of the votes, in percent (0: off)",
)


@method(
    "bottoms-up",
    accepts="ranked",
    summary="Bottoms-up: eliminate the last-placed candidate until as many remain as seats.",
    summary_zh="逐轮淘汰得票最少的方案，直到剩下的方案和名额一样多（或每个都超过设定的得票比例），剩下的全部当选",
    options={"write_in": WRITE_IN, "percentage": PERCENTAGE},
    claims=("anonymous", "neutral", "majority"),
    multiwinner=True,
)
def bottoms_up(
    profile: RankedProfile, tb: TieBreaker, seats: int, options: Mapping[str, Option]
) -> Outcome:
    """Bottoms-up elimination.

    Each round a ballot counts for its highest-ranked continuing candidate (as in instant
    runoff). When no more candidates continue than there are seats, they all win (note
    ``seats-filled``); otherwise the candidate with the fewest votes is eliminated, as in
    instant runoff (the write-in first, ties by the earlier-round rule, then the lot).
    With ``percentage`` p (``0 < p < 100``), ``seats`` is not used: the count stops when
    every continuing candidate has more than p % of the votes in play in that round
    (strictly more, as the certified tabulator compares), or one is left, and they all win
    (note ``percentage``; the round's ``quota`` is that share in votes). A ballot that
    counts for no candidate but the write-in leaves no decision.
    """
    rules = RunoffRules.of(profile, options)
    # the decimal written, exactly (Fraction(0.3) would be the binary float just below it)
    share = Fraction(str(options.get("percentage") or 0))
    w = rules.write_in
    count = FirstPreferences(profile)
    history: list[NDArray[np.int64]] = []
    rounds: list[Round] = []
    eliminated: list[int] = []
    previous: NDArray[np.int64] | None = None
    previous_exhausted = 0
    while True:
        votes = count.votes()
        continuing = [int(i) for i in np.flatnonzero(count.active)]
        electable = [i for i in continuing if i != w]
        in_play = int(votes.sum())
        if not electable or in_play == 0:
            return Outcome(no_decision="no-valid-ballots")
        exhausted = profile.total - in_play
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
            number=len(rounds) + 1,
            tallies=tallies_of(profile, votes, continuing),
            quota=float(share * in_play / 100) if share else None,
            exhausted=float(exhausted),
            transfers=transfers,
        )
        write_in_live = w is not None and w in continuing and int(votes[w]) > 0
        if share:
            done = len(continuing) == 1 or all(
                int(votes[i]) * 100 > share * in_play for i in continuing
            )
        else:
            done = len(continuing) <= seats
        if done and not write_in_live:
            winners = sorted(electable, key=lambda i: (-int(votes[i]), profile.candidates[i]))
            elected = tuple(profile.candidates[i] for i in winners)
            note = "percentage" if share else "seats-filled"
            rounds.append(msgspec.structs.replace(standing, elected=elected, note=note))
            break
        history.append(votes)
        out = (
            [w]
            if write_in_live and w is not None
            else losers(votes, continuing, history, tb, standing.number, rules)
        )
        gone = tuple(profile.candidates[i] for i in out)
        note = "write-in" if write_in_live else "elimination"
        rounds.append(msgspec.structs.replace(standing, eliminated=gone, note=note))
        eliminated.extend(out)
        count.remove(out)
        previous, previous_exhausted = votes, exhausted
    ranking = groups_by_score(votes, among=winners) + [[i] for i in reversed(eliminated)]
    return Outcome(winners=winners, ranking=ranking, rounds=rounds)
