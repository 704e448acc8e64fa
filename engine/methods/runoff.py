"""Runoff methods: instant runoff (IRV), Bucklin and STAR."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import NDArray

from engine.counts import weighted
from engine.methods.common import FirstPreferences, groups_by_score, rank_histogram, tallies_of
from engine.profile import RankedProfile, ScoreProfile
from engine.registry import OptionSpec, Outcome, method
from engine.result import Option, Round, Transfer
from engine.tiebreak import TieBreaker


@method(
    "irv",
    accepts="ranked",
    summary="Instant runoff: eliminate the last-placed candidate and transfer, until a majority.",
    summary_zh="逐轮淘汰得票最少的方案，把其选票转给下一志愿，直到有方案过半",
    options={"batch": OptionSpec(False, help="eliminate at once every candidate who cannot win")},
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
    With ``batch``, every lowest group of candidates whose combined votes are fewer than
    the next candidate's is eliminated together (they cannot catch up).
    """
    m = profile.n_candidates
    count = FirstPreferences(profile)
    active = count.active
    history: list[NDArray[np.int64]] = []
    rounds: list[Round] = []
    eliminated_order: list[int] = []
    total = profile.total
    previous: NDArray[np.int64] | None = None
    previous_exhausted = 0
    while True:
        number = len(rounds) + 1
        votes = count.votes()
        continuing = [int(i) for i in np.flatnonzero(active)]
        in_play = int(votes.sum())
        if in_play == 0 and number == 1:  # every ballot an overvote: none counts for anyone
            return Outcome(no_decision="no-valid-ballots")
        exhausted = total - in_play
        transfers: tuple[Transfer, ...] = ()
        if previous is not None and rounds[-1].eliminated:
            received = {profile.candidates[i]: float(votes[i] - previous[i]) for i in continuing}
            transfers = (
                Transfer(
                    source="+".join(rounds[-1].eliminated),
                    kind="exclusion",
                    value=1.0,
                    received=received,
                    exhausted=float(exhausted - previous_exhausted),
                ),
            )
        leader = max(continuing, key=lambda i: int(votes[i]))
        if int(votes[leader]) * 2 > in_play or len(continuing) == 1:
            rounds.append(
                Round(
                    number=number,
                    tallies=tallies_of(profile, votes, continuing),
                    elected=(profile.candidates[leader],),
                    exhausted=float(exhausted),
                    transfers=transfers,
                    note="majority",
                )
            )
            break
        history.append(votes)
        losers = _eliminate(votes, continuing, history, tb, number, bool(options["batch"]))
        rounds.append(
            Round(
                number=number,
                tallies=tallies_of(profile, votes, continuing),
                eliminated=tuple(profile.candidates[i] for i in losers),
                exhausted=float(exhausted),
                transfers=transfers,
                note="elimination",
            )
        )
        eliminated_order.extend(losers)
        count.remove(losers)
        previous, previous_exhausted = votes, exhausted
    left = [i for i in range(m) if active[i]]
    ranking = groups_by_score(votes, among=left)
    for loser in reversed(eliminated_order):
        ranking.append([loser])
    return Outcome(ranking=ranking, rounds=rounds, scores=None)


def _eliminate(
    votes: NDArray[np.int64],
    continuing: list[int],
    history: list[NDArray[np.int64]],
    tb: TieBreaker,
    number: int,
    batch: bool,
) -> list[int]:
    """Who leaves the count this round (see :func:`irv` for the tie rule)."""
    if batch:
        ordered = sorted(continuing, key=lambda i: int(votes[i]))
        running, cut = 0, 0
        for pos in range(len(ordered) - 1):
            running += int(votes[ordered[pos]])
            nxt = int(votes[ordered[pos + 1]])
            if running < nxt and pos + 1 < len(ordered) - 1:
                cut = pos + 1
        if cut > 1:
            return sorted(ordered[:cut])
    low = min(int(votes[i]) for i in continuing)
    tied = [i for i in continuing if votes[i] == low]
    if len(tied) == 1:
        return tied
    return [
        tb.settle(
            tied,
            history[:-1],
            rule="earlier-round",
            lowest=True,
            purpose="eliminate",
            round=number,
        )
    ]


@method(
    "bucklin",
    accepts="ranked",
    summary="Add second, third ... preferences until someone has a majority.",
    summary_zh="先数第一志愿，不够过半再加上第二志愿，依次类推，直到有方案过半",
    claims=("anonymous", "neutral", "majority"),
)
def bucklin(
    profile: RankedProfile, tb: TieBreaker, seats: int, options: Mapping[str, Option]
) -> Outcome:
    """Bucklin voting.

    Round ``r`` credits every candidate ranked at rank ``r`` or better (a tie group at
    those ranks credits all its members). The first round in which some candidate is on
    more than half of the ballots decides: the most credited wins. If no round reaches a
    majority, the totals of the last round decide. Ties among the top go to the lot.
    """
    total = profile.total
    m = profile.n_candidates
    hist = rank_histogram(profile)[:, :m]
    credited = np.cumsum(hist, axis=1)  # credited[c, r] = voters ranking c at level r or better
    levels = np.flatnonzero(hist.any(axis=0))
    depth = int(levels.max()) + 1 if levels.size else 1
    rounds: list[Round] = []
    everyone = list(range(m))
    votes = np.zeros(m, dtype=np.int64)
    for r in range(depth):
        votes = credited[:, r].copy()
        majority = int(votes.max()) * 2 > total
        rounds.append(
            Round(
                number=r + 1,
                tallies=tallies_of(profile, votes, everyone),
                note="majority" if majority else "add-preferences",
            )
        )
        if majority:
            break
    return Outcome(ranking=groups_by_score(votes), scores=votes.tolist(), rounds=rounds)


@method(
    "star",
    accepts="score",
    summary="Score Then Automatic Runoff: the two highest scorers meet in a runoff.",
    summary_zh="先按总分选出前两名，再看两者之间多数人更喜欢谁",
)
def star(
    profile: ScoreProfile, tb: TieBreaker, seats: int, options: Mapping[str, Option]
) -> Outcome:
    """STAR voting.

    The two highest total scores go to the runoff; a tie for a finalist place is broken by
    head-to-head preference among the tied candidates, then by the lot. In the runoff each
    ballot goes to the finalist it scores higher (equal scores count for neither); a
    runoff tie is won by the finalist with the higher total score, then by the lot.
    """
    scores, counts = profile.scores, profile.counts
    totals = weighted(counts, scores)
    everyone = list(range(profile.n_candidates))
    first = Round(number=1, tallies=tallies_of(profile, totals, everyone), note="points")
    if profile.n_candidates == 1:
        return Outcome(winners=[0], ranking=[[0]], scores=totals.tolist(), rounds=[first])
    order: list[int] = []
    for group in groups_by_score(totals):
        if len(order) == 2:
            break
        if len(order) + len(group) <= 2:
            order.extend(group)
            continue
        need = 2 - len(order)
        wins = [
            sum(int(counts @ (scores[:, i] > scores[:, j])) for j in group if j != i)
            for i in range(profile.n_candidates)
        ]
        sub = groups_by_score(wins, among=group)
        picked: list[int] = []
        for g in sub:
            if len(picked) + len(g) <= need:
                picked.extend(g)
            else:
                picked.extend(tb.choose(g, purpose="rank", round=1, count=need - len(picked)))
            if len(picked) == need:
                break
        tb.record(group, picked, rule="pairwise", purpose="rank", round=1)
        order.extend(picked)
        break
    a, b = order[0], order[1]
    prefer_a = int(counts @ (scores[:, a] > scores[:, b]))
    prefer_b = int(counts @ (scores[:, b] > scores[:, a]))
    runoff = {profile.candidates[a]: float(prefer_a), profile.candidates[b]: float(prefer_b)}
    runoff = dict(sorted(runoff.items(), key=lambda kv: profile.candidates.index(kv[0])))
    if prefer_a != prefer_b:
        winner, loser = (a, b) if prefer_a > prefer_b else (b, a)
    elif int(totals[a]) != int(totals[b]):
        winner, loser = (a, b) if int(totals[a]) > int(totals[b]) else (b, a)
        tb.record([a, b], [winner], rule="higher-score", purpose="win", round=2)
    else:
        winner = tb.choose([a, b], purpose="win", round=2)[0]
        loser = b if winner == a else a
    second = Round(
        number=2,
        tallies=runoff,
        elected=(profile.candidates[winner],),
        exhausted=float(profile.total - prefer_a - prefer_b),
        note="runoff",
    )
    rest = [i for i in everyone if i not in (winner, loser)]
    ranking = [[winner], [loser], *groups_by_score(totals, among=rest)]
    return Outcome(
        winners=[winner], ranking=ranking, scores=totals.tolist(), rounds=[first, second]
    )
