"""The contest options of instant runoff, each on a small election worked by hand (the
arithmetic in the comments): every round's tallies, who goes, what runs out, who wins."""

from __future__ import annotations

import numpy as np
import pytest

from engine import OptionError, RankedProfile, Tie, TieUnresolved, tally
from engine.methods.irv import batch_losers
from engine.tiebreak import lot_key


def rounds_of(result):
    """Each round as (tallies, elected, eliminated, exhausted, note)."""
    return [(r.tallies, r.elected, r.eliminated, r.exhausted, r.note) for r in result.rounds]


# --- write_in ------------------------------------------------------------------------------

# 11 ballots: 6 × W; 3 × A; 2 × B. W has a majority of its own in the first round.
W_MAJORITY = RankedProfile.from_orders(list("ABW"), [["W"]] * 6 + [["A"]] * 3 + [["B"]] * 2)


def test_write_in_with_a_majority_is_eliminated_not_elected():
    # Without the option W is an ordinary candidate: 6 of 11 > 5.5, elected at once.
    assert tally("irv", W_MAJORITY).winners == ("W",)
    # With it: round 1 elects nobody while W holds votes and eliminates W alone (A and B
    # are spared though B is last); W's 6 ballots rank nobody else and run out.
    # Round 2: A 3, B 2 of the 5 still counting: 3 > 2.5, A is elected.
    result = tally("irv", W_MAJORITY, write_in="W")
    assert rounds_of(result) == [
        ({"A": 3.0, "B": 2.0, "W": 6.0}, (), ("W",), 0.0, "write-in"),
        ({"A": 3.0, "B": 2.0}, ("A",), (), 6.0, "majority"),
    ]
    assert result.winners == ("A",)
    assert result.ranking == (("A",), ("B",), ("W",))
    assert result.options["write_in"] == "W"


# 11 ballots: 5 × W > A; 3 × A; 2 × B > A; 1 × C > B.
W_TRANSFERS = RankedProfile.from_orders(
    list("ABCW"), [["W", "A"]] * 5 + [["A"]] * 3 + [["B", "A"]] * 2 + [["C", "B"]]
)


def test_write_in_goes_first_even_when_it_is_not_last():
    # Without the option: round 1 W 5, A 3, B 2, C 1 → C out (its ballot to B); round 2
    # W 5, A 3, B 3 → A and B tie, round 1 had B lower (2 < 3) → B out (2 to A, 1 runs
    # out); round 3 W 5, A 5 of 10: no majority, tied, round 1 had A lower → A out; W wins.
    assert tally("irv", W_TRANSFERS).winners == ("W",)
    # With it: round 1 eliminates W alone (C, the last, stays); its 5 ballots go to A.
    # Round 2: A 8 of 11 > 5.5, elected.
    result = tally("irv", W_TRANSFERS, write_in="W")
    assert rounds_of(result) == [
        ({"A": 3.0, "B": 2.0, "C": 1.0, "W": 5.0}, (), ("W",), 0.0, "write-in"),
        ({"A": 8.0, "B": 2.0, "C": 1.0}, ("A",), (), 0.0, "majority"),
    ]
    assert result.rounds[1].transfers[0].received == {"A": 5.0, "B": 0.0, "C": 0.0}


# 6 ballots: 3 × A; 2 × B > A; 1 × C > B. W and Z are on the slate with no vote.
W_ZERO = RankedProfile.from_orders(
    ["A", "B", "C", "W", "Z"], [["A"]] * 3 + [["B", "A"]] * 2 + [["C", "B"]]
)


def test_write_in_without_votes_goes_first_among_those_tied_with_it():
    # Without the option W and Z tie at 0 in round 1 with no earlier round: only a lot
    # can part them.
    with pytest.raises(TieUnresolved):
        tally("irv", W_ZERO)
    # With it, no lot: round 1 A 3 of 6 is no majority; W (0) goes before Z (0).
    # Round 2: Z out. Round 3: C out, its ballot to B. Round 4: A 3, B 3 tie; round 1 had
    # B lower (2 < 3) → B out: 2 ballots to A, C > B runs out. Round 5: A 5 of 5.
    result = tally("irv", W_ZERO, write_in="W")
    assert rounds_of(result) == [
        ({"A": 3.0, "B": 2.0, "C": 1.0, "W": 0.0, "Z": 0.0}, (), ("W",), 0.0, "elimination"),
        ({"A": 3.0, "B": 2.0, "C": 1.0, "Z": 0.0}, (), ("Z",), 0.0, "elimination"),
        ({"A": 3.0, "B": 2.0, "C": 1.0}, (), ("C",), 0.0, "elimination"),
        ({"A": 3.0, "B": 3.0}, (), ("B",), 0.0, "elimination"),
        ({"A": 5.0}, ("A",), (), 1.0, "majority"),
    ]
    assert result.ties == (
        Tie(round=4, purpose="eliminate", tied=("A", "B"), rule="earlier-round", chosen=("B",)),
    )


def test_write_in_that_is_not_a_candidate_changes_nothing():
    plain = tally("irv", W_TRANSFERS)
    named = tally("irv", W_TRANSFERS, write_in="nobody")
    assert named.rounds == plain.rounds
    assert named.winners == plain.winners


def test_ballots_only_for_the_write_in_leave_no_decision():
    # 3 × W: once W is out no ballot counts for anyone.
    profile = RankedProfile.from_orders(list("AW"), [["W"]] * 3)
    result = tally("irv", profile, write_in="W")
    assert not result.decided
    assert result.no_decision == "no-valid-ballots"


def test_write_in_must_be_text():
    with pytest.raises(OptionError, match="option write_in must be text"):
        tally("irv", W_MAJORITY, write_in=3)


# --- batch ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("votes", "expected"),
    [
        # groups 1 | 3 | 4 | 9 | 17 (running sums 1, 4, 8, 17): 1 < 3 cuts {E}; 4 < 4 does
        # not cut (equal: the batch could still catch up); 8 < 9 cuts {E, D, C}; the
        # largest cut counts; 17 < 17 does not cut
        ([17, 9, 4, 3, 1], [2, 3, 4]),
        # 2 + 3 = 5 is not below B's 5: only D alone could go, which is no batch
        ([10, 5, 3, 2], []),
        # 2 + 3 = 5 < 6: C and D together
        ([10, 6, 3, 2], [2, 3]),
        # a tie group goes whole: 2 + 2 = 4 < 8
        ([10, 8, 2, 2], [2, 3]),
        # zeros: 0 < 0 does not cut; 0 + 0 < 5 does
        ([5, 5, 0, 0], [2, 3]),
        # a leader with more than all the others together (a majority, so only under a
        # threshold fixed by the first round): everyone else goes
        ([9, 5, 2, 1], [1, 2, 3]),
    ],
)
def test_batch_cuts_below_the_next_tally_strictly(votes, expected):
    arr = np.array(votes, dtype=np.int64)
    assert batch_losers(arr, list(range(len(votes)))) == expected


def test_batch_never_leaves_one_candidate_when_counting_on_to_two():
    # 10, 3, 2: 2 < 3 cuts {C}; 5 < 10 cuts {C, B}, which would leave A alone: the cut
    # before it ({C}) is one candidate, so no batch at all.
    arr = np.array([10, 3, 2], dtype=np.int64)
    assert batch_losers(arr, [0, 1, 2]) == [1, 2]
    assert batch_losers(arr, [0, 1, 2], keep_two=True) == []


# 31 ballots: 12 × A; 10 × B; 4 × C > B; 3 × D > A; 2 × E.
BATCH = RankedProfile.from_orders(
    list("ABCDE"),
    [["A"]] * 12 + [["B"]] * 10 + [["C", "B"]] * 4 + [["D", "A"]] * 3 + [["E"]] * 2,
)


def test_batch_eliminates_the_largest_hopeless_group_at_once():
    # Round 1: A 12 of 31 is no majority. Groups 2 | 3 | 4 | 10 | 12: E+D+C = 9 < 10, so
    # E, D and C go together (E+D+C+B = 19 is not below 12). C's 4 go to B, D's 3 to A,
    # E's 2 run out. Round 2: A 15, B 14 of 29: 15 > 14.5, A is elected.
    result = tally("irv", BATCH, batch=True)
    assert rounds_of(result) == [
        (
            {"A": 12.0, "B": 10.0, "C": 4.0, "D": 3.0, "E": 2.0},
            (),
            ("C", "D", "E"),
            0.0,
            "elimination",
        ),
        ({"A": 15.0, "B": 14.0}, ("A",), (), 2.0, "majority"),
    ]
    # One by one: E, then D (A 15), then A 15 of 29 with C still in.
    single = tally("irv", BATCH)
    assert [r.eliminated for r in single.rounds] == [("E",), ("D",), ()]
    assert single.rounds[2].tallies == {"A": 15.0, "B": 10.0, "C": 4.0}
    assert single.winners == result.winners == ("A",)


# --- until_two -----------------------------------------------------------------------------

# 13 ballots: 7 × A; 3 × B; 2 × C > B; 1 × D > C.
UNTIL_TWO = RankedProfile.from_orders(
    list("ABCD"), [["A"]] * 7 + [["B"]] * 3 + [["C", "B"]] * 2 + [["D", "C"]]
)


def test_until_two_declares_the_majority_winner_then_counts_on_to_the_last_two():
    assert rounds_of(tally("irv", UNTIL_TWO)) == [
        ({"A": 7.0, "B": 3.0, "C": 2.0, "D": 1.0}, ("A",), (), 0.0, "majority")
    ]
    # Round 1: A 7 of 13 > 6.5, elected. Round 2 repeats the standing and eliminates D
    # (its ballot to C). Round 3: B 3, C 3 tie; round 1 had C lower → C out: 2 to B, the
    # D > C ballot runs out. Round 4: the last two, A 7 and B 5.
    result = tally("irv", UNTIL_TWO, until_two=True)
    assert rounds_of(result) == [
        ({"A": 7.0, "B": 3.0, "C": 2.0, "D": 1.0}, ("A",), (), 0.0, "majority"),
        ({"A": 7.0, "B": 3.0, "C": 2.0, "D": 1.0}, (), ("D",), 0.0, "elimination"),
        ({"A": 7.0, "B": 3.0, "C": 3.0}, (), ("C",), 0.0, "elimination"),
        ({"A": 7.0, "B": 5.0}, (), (), 1.0, "final-two"),
    ]
    assert result.winners == ("A",)
    assert result.ranking == (("A",), ("B",), ("C",), ("D",))
    assert result.ties == (
        Tie(round=3, purpose="eliminate", tied=("B", "C"), rule="earlier-round", chosen=("C",)),
    )


def test_until_two_with_batch_keeps_two_candidates():
    # 15 ballots: 10 × A; 3 × B; 2 × C > B. Round 1: A 10 > 7.5, elected. Round 2: the
    # batch {B, C} would leave A alone, the cut before it is C alone: C goes singly, to B.
    # Round 3: A 10, B 5.
    profile = RankedProfile.from_orders(list("ABC"), [["A"]] * 10 + [["B"]] * 3 + [["C", "B"]] * 2)
    result = tally("irv", profile, until_two=True, batch=True)
    assert rounds_of(result) == [
        ({"A": 10.0, "B": 3.0, "C": 2.0}, ("A",), (), 0.0, "majority"),
        ({"A": 10.0, "B": 3.0, "C": 2.0}, (), ("C",), 0.0, "elimination"),
        ({"A": 10.0, "B": 5.0}, (), (), 0.0, "final-two"),
    ]


# --- threshold -----------------------------------------------------------------------------

# 12 ballots, none ranking a second choice: 6 × A; 3 × B; 2 × C; 1 × D.
FIXED = RankedProfile.from_orders(list("ABCD"), [["A"]] * 6 + [["B"]] * 3 + [["C"]] * 2 + [["D"]])


def test_first_round_threshold_elects_later_than_a_majority_of_each_round():
    # Majority of each round: round 1 A 6 of 12 is not more than half → D out, its ballot
    # runs out; round 2 A 6 of 11 > 5.5, elected.
    majority = tally("irv", FIXED)
    assert rounds_of(majority) == [
        ({"A": 6.0, "B": 3.0, "C": 2.0, "D": 1.0}, (), ("D",), 0.0, "elimination"),
        ({"A": 6.0, "B": 3.0, "C": 2.0}, ("A",), (), 1.0, "majority"),
    ]
    # Fixed by round 1: more than half of 12, i.e. 7 (floor(12 / 2) + 1). Round 2: A 6 < 7
    # → C out (runs out). Round 3: two left, A 6 and B 3, neither has 7: the leader wins.
    fixed = tally("irv", FIXED, threshold="first-round")
    assert rounds_of(fixed) == [
        ({"A": 6.0, "B": 3.0, "C": 2.0, "D": 1.0}, (), ("D",), 0.0, "elimination"),
        ({"A": 6.0, "B": 3.0, "C": 2.0}, (), ("C",), 1.0, "elimination"),
        ({"A": 6.0, "B": 3.0}, ("A",), (), 3.0, "two-left"),
    ]
    assert {r.quota for r in fixed.rounds} == {7.0}
    assert {r.quota for r in majority.rounds} == {None}


def test_first_round_threshold_reached_before_two_remain():
    # As above but D's ballot goes on to A: round 2 A 7 of 12 reaches the fixed 7 with
    # three candidates still in (and 7 of 12 is a majority of that round too).
    profile = RankedProfile.from_orders(
        list("ABCD"), [["A"]] * 6 + [["B"]] * 3 + [["C"]] * 2 + [["D", "A"]]
    )
    fixed = tally("irv", profile, threshold="first-round")
    assert rounds_of(fixed) == [
        ({"A": 6.0, "B": 3.0, "C": 2.0, "D": 1.0}, (), ("D",), 0.0, "elimination"),
        ({"A": 7.0, "B": 3.0, "C": 2.0}, ("A",), (), 0.0, "threshold"),
    ]
    assert tally("irv", profile).winners == ("A",)


def test_first_round_threshold_tie_of_the_last_two_goes_to_the_winning_side_of_the_lot():
    # 9 ballots: 4 × A; 4 × B; 1 × C. Threshold 5. Round 1: C out (runs out). Round 2:
    # A 4, B 4: two left, neither has 5, tied now and in round 1: the lot picks the winner.
    profile = RankedProfile.from_orders(list("ABC"), [["A"]] * 4 + [["B"]] * 4 + [["C"]])
    with pytest.raises(TieUnresolved):
        tally("irv", profile, threshold="first-round")
    result = tally("irv", profile, threshold="first-round", seed="9")
    drawn = min("AB", key=lambda name: lot_key("9", name))
    assert result.winners == (drawn,)
    assert result.rounds[1].elected == (drawn,)
    assert result.ties == (
        Tie(round=2, purpose="win", tied=("A", "B"), rule="lot", chosen=(drawn,)),
    )


def test_threshold_must_be_a_known_rule():
    with pytest.raises(OptionError, match="majority, first-round"):
        tally("irv", FIXED, threshold="droop")


# --- stop_after ----------------------------------------------------------------------------

# 14 ballots: 5 × A; 4 × B; 3 × C > B; 2 × D > B.
STOP = RankedProfile.from_orders(
    list("ABCD"), [["A"]] * 5 + [["B"]] * 4 + [["C", "B"]] * 3 + [["D", "B"]] * 2
)


def test_stop_after_a_round_elects_its_leader():
    # The full count: round 1 A 5, B 4, C 3, D 2 → D out (2 to B); round 2 A 5, B 6, C 3
    # → C out (3 to B); round 3 A 5, B 9 of 14: B elected.
    full = tally("irv", STOP)
    assert [r.tallies for r in full.rounds] == [
        {"A": 5.0, "B": 4.0, "C": 3.0, "D": 2.0},
        {"A": 5.0, "B": 6.0, "C": 3.0},
        {"A": 5.0, "B": 9.0},
    ]
    assert full.winners == ("B",)
    # Stopped after round 1: A leads with 5 and wins; nothing is eliminated.
    first = tally("irv", STOP, stop_after=1)
    assert rounds_of(first) == [
        ({"A": 5.0, "B": 4.0, "C": 3.0, "D": 2.0}, ("A",), (), 0.0, "stopped"),
    ]
    assert first.winners == ("A",)
    # Stopped after round 2: B leads with 6.
    second = tally("irv", STOP, stop_after=2)
    assert rounds_of(second)[-1] == ({"A": 5.0, "B": 6.0, "C": 3.0}, ("B",), (), 0.0, "stopped")
    # A limit the count never reaches changes nothing.
    assert tally("irv", STOP, stop_after=3).rounds == full.rounds
    assert tally("irv", STOP, stop_after=9).rounds == full.rounds


def test_stop_after_ends_the_count_on_to_two():
    # UNTIL_TWO: A is elected in round 1; stopped after round 2, that round eliminates no
    # one and the count ends.
    result = tally("irv", UNTIL_TWO, until_two=True, stop_after=2)
    assert rounds_of(result) == [
        ({"A": 7.0, "B": 3.0, "C": 2.0, "D": 1.0}, ("A",), (), 0.0, "majority"),
        ({"A": 7.0, "B": 3.0, "C": 2.0, "D": 1.0}, (), (), 0.0, "stopped"),
    ]


@pytest.mark.parametrize("value", [-1, 1.5, True, "2"])
def test_stop_after_must_be_a_whole_number_not_below_zero(value):
    with pytest.raises(OptionError, match="stop_after"):
        tally("irv", STOP, stop_after=value)


def test_the_default_options_are_todays_count():
    result = tally("irv", STOP)
    assert result.options == {
        "seats": 1,
        "batch": False,
        "stop_after": 0,
        "threshold": "majority",
        "until_two": False,
        "write_in": "",
    }


def test_stopping_while_the_write_in_still_holds_votes_elects_the_leader_of_the_rest():
    # W_MAJORITY stopped after round 1: W (6) would go this round, but the count stops;
    # the write-in is never elected, so A (3) wins and no one is eliminated.
    result = tally("irv", W_MAJORITY, write_in="W", stop_after=1)
    assert rounds_of(result) == [({"A": 3.0, "B": 2.0, "W": 6.0}, ("A",), (), 0.0, "stopped")]
