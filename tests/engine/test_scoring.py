"""Plurality, Borda, score and approval on hand-worked profiles."""

from __future__ import annotations

import pytest

from engine import ApprovalProfile, RankedProfile, ScoreProfile, TieUnresolved, tally

# 3 × a>b>c, 2 × b>c (a unranked), 1 × c=a (b unranked)
SMALL = RankedProfile.from_orders(
    ["a", "b", "c"], [["a", "b", "c"]] * 3 + [["b", "c"]] * 2 + [[["c", "a"]]]
)


def test_plurality_counts_first_preferences():
    # a: 3; b: 2; c: 0 — the ballot ranking c and a equal first counts for nobody
    result = tally("plurality", SMALL)
    assert result.scores == {"a": 3.0, "b": 2.0, "c": 0.0}
    assert result.rounds[0].exhausted == 1.0
    assert result.winners == ("a",)


def test_plurality_shared_first_place_is_an_overvote():
    profile = RankedProfile.from_orders(["a", "b"], [[["a", "b"]], ["b"]])
    assert tally("plurality", profile).scores == {"a": 0.0, "b": 1.0}


def test_borda_average_gives_half_points_for_ties_and_unranked():
    # a>b>c ×3: a 2, b 1, c 0.  b>c ×2 (a unranked below): b 2, c 1, a 0.
    # c=a ×1 (b below both): c 1 + ½, a 1 + ½.  a = 6 + 0 + 1.5 = 7.5; b = 3 + 4 = 7; c = 3.5
    assert tally("borda", SMALL).scores == {"a": 7.5, "b": 7.0, "c": 3.5}


def test_borda_zero_gives_unranked_nothing():
    # as average, but the unranked candidate in "b>c" gets 0 (it had 0 anyway) and b in "c=a"
    # gets 0 (it had 0): same totals here; use a ballot leaving two unranked instead.
    profile = RankedProfile.from_orders(["a", "b", "c"], [["a"]])
    # average: a beats b, c → 2; b, c tie below → ½ each.  zero: b, c get 0.
    assert tally("borda", profile, seed="s").scores == {"a": 2.0, "b": 0.5, "c": 0.5}
    zero = tally("borda", profile, truncated="zero", seed="s").scores
    assert zero == {"a": 2.0, "b": 0.0, "c": 0.0}


def test_borda_modified_counts_only_ranked_positions():
    # a>b>c ×3 (r=3): a 3, b 2, c 1; b>c ×2 (r=2): b 2, c 1; c=a ×1 (r=2): (2+1)/2 = 1.5 each
    assert tally("borda", SMALL, truncated="modified").scores == {"a": 10.5, "b": 10.0, "c": 6.5}


def test_borda_complete_ballot_gives_m_minus_one_to_first():
    profile = RankedProfile.from_orders(list("abcd"), [list("dcba")])
    assert tally("borda", profile).scores == {"a": 0.0, "b": 1.0, "c": 2.0, "d": 3.0}


def test_score_sums_scores_and_ranks_by_total():
    profile = ScoreProfile.from_matrix(
        ["x", "y", "z"], [[5, 3, 0], [0, 5, 1], [2, 2, 2]], max_score=5
    )
    result = tally("score", profile)
    assert result.scores == {"x": 7.0, "y": 10.0, "z": 3.0}
    assert result.winners == ("y",)
    assert result.ranking == (("y",), ("x",), ("z",))


def test_approval_top_k_is_block_approval():
    # approvals: a 3, b 2, c 2, d 1 → two seats: a, then the b/c tie goes to the lot
    profile = ApprovalProfile.from_matrix(list("abcd"), [[1, 1, 0, 0], [1, 0, 1, 0], [1, 1, 1, 1]])
    result = tally("approval", profile, seats=2, seed="pocket-park")
    assert result.scores == {"a": 3.0, "b": 2.0, "c": 2.0, "d": 1.0}
    assert result.winners[0] == "a"
    assert result.winners[1] in {"b", "c"}
    assert len(result.ties) == 1
    assert result.ties[0].tied == ("b", "c")
    assert result.ties[0].rule == "lot"


def test_a_tie_that_matters_needs_a_seed():
    profile = ApprovalProfile.from_matrix(["a", "b"], [[1, 1]])
    with pytest.raises(TieUnresolved, match="a tie between a, b decides the outcome"):
        tally("approval", profile)


def test_a_tie_that_does_not_matter_is_not_broken():
    profile = ApprovalProfile.from_matrix(["a", "b", "c"], [[1, 0, 0], [1, 1, 1]])
    result = tally("approval", profile)  # b and c tie for second, but one seat only
    assert result.winners == ("a",)
    assert result.ties == ()
    assert result.ranking == (("a",), ("b", "c"))


def test_plurality_with_every_ballot_an_overvote_gives_no_decision():
    # "if every ballot is one [an overvote], there is no decision"
    profile = RankedProfile.from_orders(list("abc"), [[["a", "b"]]] * 2 + [[["a", "b", "c"]]])
    result = tally("plurality", profile)
    assert result.no_decision == "no-valid-ballots"
    assert result.winners == ()
