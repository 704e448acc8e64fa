"""Counts are exact integers: the ballot limit, exact sums, and methods deciding exactly at
sizes where floats round (engine.counts)."""

from __future__ import annotations

import numpy as np
import pytest

from engine import ProfileError, RankedProfile, ScoreProfile, tally
from engine.counts import BALLOT_LIMIT, check_counts, sum_by, weighted

BIG = 2**52


@pytest.mark.parametrize(
    ("counts", "message"),
    [
        ([1, -1], "ballot counts must not be negative"),
        ([1.5, 1], "ballot counts must be whole numbers"),
        ([float("nan"), 1], "ballot counts must be whole numbers"),
        ([BALLOT_LIMIT, 1], "9,007,199,254,740,992 ballots are more than can be counted exactly"),
        ([2**64, 1], "18,446,744,073,709,551,616 ballots are more than"),
        ([2**63 - 1, 2**63 - 1], "ballots are more than can be counted exactly"),
        ([BIG, BIG], "9,007,199,254,740,992 ballots are more than can be counted exactly"),
    ],
)
def test_counts_are_refused_unless_whole_non_negative_and_below_the_limit(counts, message):
    with pytest.raises(ProfileError, match=message):
        check_counts(np.array(counts, dtype=object) if counts[0] == 2**64 else counts, 2)


def test_a_profile_of_just_under_the_limit_is_counted_exactly():
    profile = RankedProfile.from_orders(["a", "b"], [["a"], ["b"], ["a"]], [BIG, BIG - 2, 1])
    assert profile.total == BALLOT_LIMIT - 1
    assert sorted(profile.counts.tolist()) == [BIG - 2, BIG + 1]  # the "a" rows merged exactly
    with pytest.raises(ProfileError, match="more than can be counted exactly"):
        RankedProfile.from_orders(["a", "b"], [["a"], ["b"]], [BIG, BIG])


def test_sum_by_and_weighted_are_exact_integers():
    assert sum_by(np.array([0, 0, 2]), np.array([BIG + 1, BIG - 2, 3]), 3).tolist() == [
        2 * BIG - 1,
        0,
        3,
    ]
    small = weighted(np.array([3, 4]), np.array([[1, 2], [5, 0]]))
    assert small.dtype == np.int64
    assert small.tolist() == [23, 6]
    huge = weighted(np.array([BIG, 1]), np.array([[2**20, 2**20], [1, 0]]))
    assert huge.tolist() == [2**72 + 1, 2**72]  # past 2**63: Python integers


def test_irv_majority_is_exact_at_any_size():
    # a 2^52, b 2^51, c 2^51 - 1: a holds 2^52 of 2^53 - 1 votes, more than half, so a wins
    # in round 1 (a relative tolerance would have needed a few million votes more)
    profile = RankedProfile.from_orders(
        ["a", "b", "c"], [["a"], ["b"], ["c"]], [BIG, BIG // 2, BIG // 2 - 1]
    )
    result = tally("irv", profile)
    assert len(result.rounds) == 1
    assert result.rounds[0].elected == ("a",)


def test_borda_decides_exactly_beyond_float_precision():
    # 2^52 - 1 a>b>c and 2^52 - 2 b>a>c: Borda a = 2(2^52 - 1) + (2^52 - 2) = 3·2^52 - 4 and
    # b = (2^52 - 1) + 2(2^52 - 2) = 3·2^52 - 5 differ by one point, but as doubles (spacing
    # 2 there) b rounds up to a. Counted exactly, a wins outright and no lot is drawn.
    profile = RankedProfile.from_orders(
        ["a", "b", "c"], [["a", "b", "c"], ["b", "a", "c"]], [BIG - 1, BIG - 2]
    )
    result = tally("borda", profile)
    assert result.winners == ("a",)
    assert result.ranking == (("a",), ("b",), ("c",))
    assert result.ties == ()


@pytest.mark.parametrize("max_score", [2**9, 2**30])  # int64 sums, then Python integers
def test_score_decides_exactly_beyond_float_precision(max_score):
    # 2^52 ballots score x and y max_score each, one more ballot scores x 1: x leads by one
    profile = ScoreProfile.from_matrix(
        ["x", "y"], [[max_score, max_score], [1, 0]], [BIG, 1], max_score=max_score
    )
    for method in ("score", "star"):
        result = tally(method, profile)
        assert result.winners == ("x",), method
        assert result.ties == (), method


@pytest.mark.parametrize("rules", ["scottish", "meek"])
def test_stv_counts_huge_boxes_without_overflow(rules):
    # 3 A, 3 B, 1 C>B, one seat, every count times 2^50: C is excluded and B reaches the
    # quota, at any scale; fixed-point values times 2^52 ballots pass 2^63 and are summed
    # in Python integers
    small = [3, 3, 1]
    orders = [["A"], ["B"], ["C", "B"]]
    base = tally("stv", RankedProfile.from_orders(list("ABC"), orders, small), rules=rules)
    scaled = RankedProfile.from_orders(list("ABC"), orders, [n * 2**50 for n in small])
    result = tally("stv", scaled, rules=rules)
    assert result.winners == base.winners == ("B",)
    assert result.rounds[0].tallies == {"A": 3.0 * 2**50, "B": 3.0 * 2**50, "C": 2.0**50}
    assert result.rounds[-1].tallies["B"] == 4.0 * 2**50
    assert [r.eliminated for r in result.rounds] == [r.eliminated for r in base.rounds]
