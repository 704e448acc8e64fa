"""The shared history rule for ties (:func:`engine.tiebreak.history_order`) and the lot."""

from __future__ import annotations

import pickle

import pytest

from engine.errors import TieUnresolved
from engine.tiebreak import TieBreaker, history_order, lot_key

# votes per candidate 0, 1, 2 at three stages, oldest first
HISTORY = [(1, 1, 2), (3, 1, 1), (5, 5, 5)]


def test_history_order_earliest_first_continues_among_those_still_tied():
    # stage 1: 0 and 1 have 1, 2 has 2 -> 2 is best; 0 and 1 go on to stage 2: 1 (1) < 0 (3)
    assert history_order([0, 1, 2], HISTORY, latest_first=False) == [[1], [0], [2]]


def test_history_order_latest_first_continues_among_those_still_tied():
    # stage 3: all 5; stage 2: 1 and 2 have 1, 0 has 3 -> 0 is best; stage 1: 1 (1) < 2 (2)
    assert history_order([0, 1, 2], HISTORY, latest_first=True) == [[1], [2], [0]]


def test_history_order_keeps_candidates_equal_at_every_stage_together():
    assert history_order([2, 0, 1], [(4, 4, 6), (7, 7, 1)], latest_first=False) == [[0, 1], [2]]
    assert history_order([1, 0], [], latest_first=True) == [[0, 1]]


def test_history_order_compares_exactly_beyond_float_precision():
    big = 2**53
    assert history_order([0, 1], [(big + 1, big)], latest_first=False) == [[1], [0]]


def test_lot_needs_a_seed_and_follows_the_published_keys():
    with pytest.raises(TieUnresolved, match="a, b"):
        TieBreaker(["a", "b"]).draw([0, 1])
    drawn = TieBreaker(["a", "b"], seed="s").draw([1, 0])
    assert drawn == sorted([0, 1], key=lambda i: lot_key("s", "ab"[i]))


def test_an_unresolved_tie_pickles_with_its_tied_candidates():
    """It travels back whole from the worker process that counts a closed round."""
    again = pickle.loads(pickle.dumps(TieUnresolved("a tie decides", ("甲", "乙"))))
    assert (type(again), str(again), again.tied) == (TieUnresolved, "a tie decides", ("甲", "乙"))
