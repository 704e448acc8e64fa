"""Shared helpers for engine tests: the same small election as every kind of profile."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from engine import UNRANKED, ApprovalProfile, Profile, RankedProfile, ScoreProfile
from engine.registry import MethodInfo


def as_kind(profile: RankedProfile, info: MethodInfo) -> Profile:
    """The ranked profile turned into the ballot kind ``info`` counts.

    Approval: a voter approves their top two ranks. Score: ``m-1-rank`` points, unranked 0.
    Budget methods: every project costs 1 and the budget is 2.
    """
    ranks = profile.ranks
    m = profile.n_candidates
    if info.accepts == "ranked":
        return profile
    if info.accepts == "score":
        scores = np.where(ranks == UNRANKED, 0, np.maximum(m - 1 - ranks, 0))
        return ScoreProfile.from_matrix(
            profile.candidates, scores, profile.counts, max_score=max(m - 1, 1)
        )
    budget = info.name in {"greedy", "equal-shares"}
    return ApprovalProfile.from_matrix(
        profile.candidates,
        ranks <= 1,
        profile.counts,
        costs=[1.0] * m if budget else None,
        budget=2.0 if budget else None,
    )


def reorder(profile: Profile, order: Sequence[int]) -> Profile:
    """The same ballots with the candidates listed in another order (same names)."""
    idx = list(order)
    names = [profile.candidates[i] for i in idx]
    if isinstance(profile, RankedProfile):
        table = np.where(profile.ranks[:, idx] == UNRANKED, -1, profile.ranks[:, idx])
        return RankedProfile.from_ranks(names, table, profile.counts)
    if isinstance(profile, ScoreProfile):
        return ScoreProfile.from_matrix(
            names, profile.scores[:, idx], profile.counts, max_score=profile.max_score
        )
    costs = None if profile.costs is None else [profile.costs[i] for i in idx]
    return ApprovalProfile.from_matrix(
        names, profile.approvals[:, idx], profile.counts, costs=costs, budget=profile.budget
    )
