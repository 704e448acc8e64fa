"""Small elections worked by hand (the arithmetic in the comments), one election turned into
every kind of profile, and the first preferences read from a ballot file."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ballots.box import BallotBox
from engine import UNRANKED, ApprovalProfile, Profile, RankedProfile, ScoreProfile
from engine.registry import MethodInfo

# Six voters: three rank 甲 > 乙 > 丙, three rank 乙 > 甲 > 丙.
# 甲 vs 乙: 3 to 3 (a tie); 甲 vs 丙: 6 to 0; 乙 vs 丙: 6 to 0.
# Nobody beats everyone, yet there is no cycle: 甲 and 乙 tie and both beat 丙.
TIE = RankedProfile.from_orders(
    ["甲", "乙", "丙"], [["甲", "乙", "丙"]] * 3 + [["乙", "甲", "丙"]] * 3
)

# Nine voters: 4 × 甲 > 乙 > 丙, 3 × 乙 > 丙 > 甲, 2 × 丙 > 甲 > 乙.
# 甲 vs 乙: 4 + 2 = 6 to 3;  乙 vs 丙: 4 + 3 = 7 to 2;  丙 vs 甲: 3 + 2 = 5 to 4.
# A cycle: 甲 beats 乙, 乙 beats 丙, 丙 beats 甲.
CYCLE = RankedProfile.from_orders(
    ["甲", "乙", "丙"],
    [["甲", "乙", "丙"]] * 4 + [["乙", "丙", "甲"]] * 3 + [["丙", "甲", "乙"]] * 2,
)

# 13 ballots: 5 × 甲; 3 × 乙 > 丙; 3 × 丙 > 乙; 1 × 丁 > 乙; 1 × 丁 (nothing after 丁).
# Step 1: 甲 5, 乙 3, 丙 3, 丁 2 → 丁 is out; one of its ballots goes to 乙, the other has
#         no further choice.
# Step 2: 甲 5, 乙 4, 丙 3 (1 ballot no longer counted) → 丙 is out; its 3 go to 乙.
# Step 3: 甲 5, 乙 7 of the 12 still counting: 7 > 6, 乙 is elected.
IRV_EXHAUSTED = RankedProfile.from_orders(
    ["甲", "乙", "丙", "丁"],
    [["甲"]] * 5 + [["乙", "丙"]] * 3 + [["丙", "乙"]] * 3 + [["丁", "乙"], ["丁"]],
)


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


def sole_first(box: BallotBox) -> dict[str, int]:
    """Votes per candidate from ballots with exactly one first preference (a tie at the top
    counts for nobody, as an overvote would)."""
    profile = box.profile
    assert isinstance(profile, RankedProfile)
    top = profile.ranks == 0
    single = top.sum(axis=1) == 1
    totals = profile.counts[single] @ top[single]
    return {name: int(v) for name, v in zip(profile.candidates, totals, strict=True)}
