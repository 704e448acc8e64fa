"""Positional and scoring methods: plurality, Borda, score (range) and approval (top-k)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from engine.counts import exact_type, weighted
from engine.methods.common import groups_by_score, rank_histogram, tallies_of
from engine.profile import UNRANKED, ApprovalProfile, RankedProfile, ScoreProfile
from engine.registry import OptionSpec, Outcome, method
from engine.result import Option, Round
from engine.tiebreak import TieBreaker


@method(
    "plurality",
    accepts="ranked",
    summary="Most first preferences wins.",
    summary_zh="谁被最多人排在第一位，谁就胜出",
    claims=("anonymous", "neutral", "majority"),
)
def plurality(
    profile: RankedProfile, tb: TieBreaker, seats: int, options: Mapping[str, Option]
) -> Outcome:
    """Each ballot's first preference scores one vote.

    A ballot that ranks several candidates equal first is an overvote and counts for nobody
    (if every ballot is one, there is no decision).
    """
    columns = np.ascontiguousarray(profile.ranks.T)
    firsts = columns == 0
    single = np.count_nonzero(firsts, axis=0) == 1
    votes = (firsts & single[None, :]) @ profile.counts
    if not votes.any():
        return Outcome(no_decision="no-valid-ballots")
    everyone = range(profile.n_candidates)
    first = Round(
        number=1,
        tallies=tallies_of(profile, votes, everyone),
        note="first-count",
        exhausted=float(profile.total - int(votes.sum())),
    )
    return Outcome(ranking=groups_by_score(votes), scores=votes.tolist(), rounds=[first])


BORDA_RULES = ("average", "zero", "modified")


@method(
    "borda",
    accepts="ranked",
    summary="Points by position: each candidate scores one point per candidate ranked below.",
    summary_zh="按名次给分：排得越靠前得分越多，总分最高者胜出",
    options={
        "truncated": OptionSpec(
            "average", choices=BORDA_RULES, help="how unranked and tied candidates score"
        )
    },
)
def borda(
    profile: RankedProfile, tb: TieBreaker, seats: int, options: Mapping[str, Option]
) -> Outcome:
    """Borda count over ``m`` candidates.

    ``average`` (default, "symmetric Borda"): on each ballot a candidate scores one point
    for every candidate it is ranked strictly above and half a point for every other
    candidate it is tied with; unranked candidates count as tied together below all ranked
    ones. On a complete strict ballot the first gets ``m-1`` points and the last 0.
    ``zero``: as ``average``, but unranked candidates score nothing at all.
    ``modified`` (modified Borda count): a ballot ranking ``r`` candidates gives ``r``
    points to its first, ``r-1`` to the second, ... and 0 to unranked ones; tied
    candidates share the points of the positions they occupy.
    """
    rule = options["truncated"]
    m = profile.n_candidates
    columns = np.ascontiguousarray(profile.ranks.T)  # one rank column per candidate
    unranked_count = np.zeros(len(profile.counts), dtype=np.int64)
    deepest = np.full(len(profile.counts), -1, dtype=np.int64)
    for column in columns:
        ranked = column < UNRANKED
        unranked_count += ~ranked
        np.maximum(deepest, np.where(ranked, column, -1), out=deepest)
    ranked_count = m - unranked_count
    if np.array_equal(deepest + 1, ranked_count):
        doubled = _strict_borda(profile, str(rule), unranked_count)
    else:
        doubled = _tied_borda(profile, str(rule))
    scores = doubled / 2
    everyone = range(profile.n_candidates)
    tally = Round(number=1, tallies=tallies_of(profile, scores, everyone), note="points")
    return Outcome(ranking=groups_by_score(doubled), scores=scores.tolist(), rounds=[tally])


def _strict_borda(profile: RankedProfile, rule: str, unranked: NDArray[np.int64]) -> NDArray[Any]:
    """Twice the Borda scores (whole numbers, exact) on ballots without ties, from the rank
    histogram: a candidate at level v has v candidates above it and none beside it; the u
    unranked ones share the bottom."""
    m = profile.n_candidates
    dtype = exact_type(2 * m * profile.total)
    counts: NDArray[Any] = profile.counts.astype(dtype)
    hist: NDArray[Any] = rank_histogram(profile)[:, :m].astype(dtype)
    level: NDArray[Any] = np.arange(m).astype(dtype)
    if rule == "modified":
        # r - v for a ballot ranking r candidates: sum of w·r over ballots ranking c, less H·v
        weighted_r = counts * (m - unranked).astype(dtype)
        ranked_mass = np.array([np.dot(col < UNRANKED, weighted_r) for col in profile.ranks.T])
        return np.asarray(2 * (ranked_mass - hist @ level))
    doubled = 2 * (hist @ (m - 1 - level))
    if rule == "average":
        # half a point for each other unranked candidate: u - 1 half points
        halves = counts * np.maximum(unranked - 1, 0).astype(dtype)
        doubled += np.array([np.dot(col == UNRANKED, halves) for col in profile.ranks.T])
    return np.asarray(doubled)


def _tied_borda(profile: RankedProfile, rule: str) -> NDArray[Any]:
    """Twice the Borda scores (whole numbers, exact) on ballots with ties: per ballot,
    candidates above and beside each one."""
    m = profile.n_candidates
    above, same = _levels(profile.ranks, m)
    unranked = profile.ranks == UNRANKED
    if rule == "modified":
        ranked_count = (~unranked).sum(axis=1, keepdims=True)
        points = np.where(unranked, 0, 2 * (ranked_count - above) - (same - 1))
    else:
        points = 2 * np.where(unranked, 0, m - above - same) + (same - 1)
        if rule == "zero":
            points = np.where(unranked, 0, points)
    return weighted(profile.counts, points)


def _levels(ranks: NDArray[np.int32], m: int) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Per ballot and candidate: how many candidates are ranked above it, and how many
    share its level (itself included); unranked candidates share the bottom level."""
    k = len(ranks)
    level = np.minimum(ranks, m)
    flat = (np.arange(k)[:, None] * (m + 1) + level).ravel()
    at_level = np.bincount(flat, minlength=k * (m + 1)).reshape(k, m + 1)
    upto = np.take_along_axis(np.cumsum(at_level, axis=1), level, axis=1)
    same = np.take_along_axis(at_level, level, axis=1)
    return upto - same, same


@method(
    "score",
    accepts="score",
    summary="Range voting: highest total score wins.",
    summary_zh="每人给每个方案打分，总分最高者胜出",
)
def score(
    profile: ScoreProfile, tb: TieBreaker, seats: int, options: Mapping[str, Option]
) -> Outcome:
    """Sum of scores; with ``seats`` > 1 the top scorers win."""
    totals = weighted(profile.counts, profile.scores)
    everyone = range(profile.n_candidates)
    tally = Round(number=1, tallies=tallies_of(profile, totals, everyone), note="points")
    return Outcome(ranking=groups_by_score(totals), scores=totals.tolist(), rounds=[tally])


@method(
    "approval",
    accepts="approval",
    summary="Most approvals wins; with several seats, the top-k (block approval).",
    summary_zh="每人可以赞成多个方案，赞成票最多者胜出（多席时取前几名）",
    multiwinner=True,
)
def approval(
    profile: ApprovalProfile, tb: TieBreaker, seats: int, options: Mapping[str, Option]
) -> Outcome:
    """Approval counts; the ``seats`` most approved win (block / top-k approval)."""
    votes = profile.approval_counts()
    everyone = range(profile.n_candidates)
    tally = Round(number=1, tallies=tallies_of(profile, votes, everyone), note="approvals")
    return Outcome(ranking=groups_by_score(votes), scores=votes.tolist(), rounds=[tally])
