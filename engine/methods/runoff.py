"""Runoff methods besides instant runoff (:mod:`engine.methods.irv`): Bucklin and STAR."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from engine.counts import weighted
from engine.methods.common import groups_by_score, rank_histogram, tallies_of
from engine.profile import RankedProfile, ScoreProfile
from engine.registry import Outcome, method
from engine.result import Option, Round
from engine.tiebreak import TieBreaker


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
