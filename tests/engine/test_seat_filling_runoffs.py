"""Sequential IRV and bottoms-up elimination on small elections worked by hand, and more
seats than candidates."""

from __future__ import annotations

import pytest

from engine import METHODS, OptionError, RankedProfile, Tie, tally
from engine.methods.sequential import pass_note, split_pass
from engine.tiebreak import lot_key


def rounds_of(result):
    """Each round as (tallies, elected, eliminated, exhausted, note)."""
    return [(r.tallies, r.elected, r.eliminated, r.exhausted, r.note) for r in result.rounds]


# 14 ballots: 5 × A > B; 4 × B > C; 3 × C > A; 2 × D > C.
FOUR = RankedProfile.from_orders(
    list("ABCD"), [["A", "B"]] * 5 + [["B", "C"]] * 4 + [["C", "A"]] * 3 + [["D", "C"]] * 2
)


def test_sequential_irv_three_seats_pass_by_pass():
    # Pass 1 (instant runoff): round 1 A 5, B 4, C 3, D 2 → D out, 2 to C; round 2 A 5,
    # B 4, C 5 → B out, 4 to C; round 3 A 5, C 9 of 14: C wins seat 1.
    # Pass 2, C taken off every ballot: A > B → A, B > C → B, C > A → A, D > C → D.
    # Round 4: A 8, B 4, D 2; 8 of 14 > 7: A wins seat 2.
    # Pass 3, A and C off: A > B → B, B > C → B, C > A runs out, D > C → D.
    # Round 5: B 9, D 2 of 11 (3 run out): B wins seat 3.
    result = tally("sequential-irv", FOUR, seats=3)
    assert rounds_of(result) == [
        ({"A": 5.0, "B": 4.0, "C": 3.0, "D": 2.0}, (), ("D",), 0.0, "pass-1:elimination"),
        ({"A": 5.0, "B": 4.0, "C": 5.0}, (), ("B",), 0.0, "pass-1:elimination"),
        ({"A": 5.0, "C": 9.0}, ("C",), (), 0.0, "pass-1:majority"),
        ({"A": 8.0, "B": 4.0, "D": 2.0}, ("A",), (), 0.0, "pass-2:majority"),
        ({"B": 9.0, "D": 2.0}, ("B",), (), 3.0, "pass-3:majority"),
    ]
    assert [r.number for r in result.rounds] == [1, 2, 3, 4, 5]
    assert result.winners == ("C", "A", "B")
    assert result.ranking == (("C",), ("A",), ("B",), ("D",))


def test_sequential_irv_with_one_seat_is_instant_runoff():
    one = tally("sequential-irv", FOUR)
    irv = tally("irv", FOUR)
    assert one.winners == irv.winners == ("C",)
    assert [r.tallies for r in one.rounds] == [r.tallies for r in irv.rounds]
    assert [split_pass(r.note) for r in one.rounds] == [(1, r.note) for r in irv.rounds]


def test_a_later_pass_counts_a_ballot_tied_with_an_earlier_winner_for_the_other():
    # 5 ballots: 3 × A; 2 × (A = B) > C. Pass 1: the two tied ballots are overvotes and
    # count for nobody; A has 3 of 3. Pass 2, A off the ballots: those two rank B alone
    # first and count for B (the A-only ballots run out): B 2 of 2.
    profile = RankedProfile.from_ranks(list("ABC"), [[0, -1, -1], [0, 0, 1]], [3, 2])
    result = tally("sequential-irv", profile, seats=2)
    assert rounds_of(result) == [
        ({"A": 3.0, "B": 0.0, "C": 0.0}, ("A",), (), 2.0, "pass-1:majority"),
        ({"B": 2.0, "C": 0.0}, ("B",), (), 3.0, "pass-2:majority"),
    ]


def test_sequential_irv_passes_take_the_instant_runoff_options():
    # With the write-in W: 6 × W, 3 × A, 2 × B > A. Pass 1: W out in round 1 (runs out),
    # round 2 A 3, B 2 of 5: A. Pass 2 (A off): round 3 W holds 6 again → out; round 4
    # B 2 of 2: B.
    profile = RankedProfile.from_orders(list("ABW"), [["W"]] * 6 + [["A"]] * 3 + [["B", "A"]] * 2)
    result = tally("sequential-irv", profile, seats=2, write_in="W")
    assert rounds_of(result) == [
        ({"A": 3.0, "B": 2.0, "W": 6.0}, (), ("W",), 0.0, "pass-1:write-in"),
        ({"A": 3.0, "B": 2.0}, ("A",), (), 6.0, "pass-1:majority"),
        ({"B": 2.0, "W": 6.0}, (), ("W",), 3.0, "pass-2:write-in"),
        ({"B": 2.0}, ("B",), (), 9.0, "pass-2:majority"),
    ]
    assert result.winners == ("A", "B")


def test_pass_notes_read_back():
    assert pass_note(12, "two-left") == "pass-12:two-left"
    assert split_pass("pass-12:two-left") == (12, "two-left")
    assert split_pass("elimination") == (None, "elimination")
    assert split_pass("passing:x") == (None, "passing:x")


# --- bottoms-up ----------------------------------------------------------------------------


def test_bottoms_up_to_two_seats():
    # Round 1: A 5, B 4, C 3, D 2 → D out, 2 to C. Round 2: A 5, B 4, C 5 → B out, 4 to
    # C. Round 3: A 5, C 9 — two left for two seats: both win (no majority needed).
    result = tally("bottoms-up", FOUR, seats=2)
    assert rounds_of(result) == [
        ({"A": 5.0, "B": 4.0, "C": 3.0, "D": 2.0}, (), ("D",), 0.0, "elimination"),
        ({"A": 5.0, "B": 4.0, "C": 5.0}, (), ("B",), 0.0, "elimination"),
        ({"A": 5.0, "C": 9.0}, ("C", "A"), (), 0.0, "seats-filled"),
    ]
    assert result.winners == ("C", "A")


def test_bottoms_up_to_one_seat_counts_past_a_majority():
    # 13 ballots: 7 × A; 3 × B; 2 × C > B; 1 × D > C. A has 7 of 13 from round 1 on, yet
    # the count goes on: D out (to C); B and C tie at 3, round 1 had C lower → C out, 2 to
    # B, 1 runs out; A 7, B 5 are two for one seat → B out (5 run out); A is left.
    profile = RankedProfile.from_orders(
        list("ABCD"), [["A"]] * 7 + [["B"]] * 3 + [["C", "B"]] * 2 + [["D", "C"]]
    )
    result = tally("bottoms-up", profile)
    assert rounds_of(result) == [
        ({"A": 7.0, "B": 3.0, "C": 2.0, "D": 1.0}, (), ("D",), 0.0, "elimination"),
        ({"A": 7.0, "B": 3.0, "C": 3.0}, (), ("C",), 0.0, "elimination"),
        ({"A": 7.0, "B": 5.0}, (), ("B",), 1.0, "elimination"),
        ({"A": 7.0}, ("A",), (), 6.0, "seats-filled"),
    ]
    assert result.ties == (
        Tie(round=2, purpose="eliminate", tied=("B", "C"), rule="earlier-round", chosen=("C",)),
    )


def test_bottoms_up_to_a_percentage():
    # 25 %: round 1 in play 14, share 3.5: D's 2 is not more → D out (2 to C). Round 2:
    # A 5, B 4, C 5 all above 3.5 → all three win, however many seats were asked.
    quarter = tally("bottoms-up", FOUR, percentage=25)
    assert rounds_of(quarter) == [
        ({"A": 5.0, "B": 4.0, "C": 3.0, "D": 2.0}, (), ("D",), 0.0, "elimination"),
        ({"A": 5.0, "B": 4.0, "C": 5.0}, ("A", "C", "B"), (), 0.0, "percentage"),
    ]
    assert [r.quota for r in quarter.rounds] == [3.5, 3.5]
    assert quarter.winners == ("A", "C", "B")
    # 30 %: share 4.2. Round 1: D out. Round 2: B's 4 is not more than 4.2 → B out (to C).
    # Round 3: A 5, C 9, both above 4.2: two win.
    thirty = tally("bottoms-up", FOUR, percentage=30)
    assert [r.eliminated for r in thirty.rounds] == [("D",), ("B",), ()]
    assert thirty.rounds[-1].tallies == {"A": 5.0, "C": 9.0}
    assert thirty.winners == ("C", "A")


def test_bottoms_up_percentage_must_be_exceeded_not_reached():
    # 2 × A, 2 × B at 50 %: each has exactly half, which is not more than half; the tie
    # for last (no earlier round) goes to the lot and the other one wins.
    profile = RankedProfile.from_orders(list("AB"), [["A"]] * 2 + [["B"]] * 2)
    result = tally("bottoms-up", profile, percentage=50, seed="p")
    out = min("AB", key=lambda name: lot_key("p", name))
    assert rounds_of(result) == [
        ({"A": 2.0, "B": 2.0}, (), (out,), 0.0, "elimination"),
        (
            {n: 2.0 for n in "AB" if n != out},
            tuple(n for n in "AB" if n != out),
            (),
            2.0,
            "percentage",
        ),
    ]


@pytest.mark.parametrize("value", [-5, 100, 150, "10"])
def test_bottoms_up_percentage_lies_below_100(value):
    with pytest.raises(OptionError, match="percentage"):
        tally("bottoms-up", FOUR, percentage=value)


def test_bottoms_up_write_in_goes_first_and_never_wins():
    # 11 ballots: 6 × W > A; 3 × A; 2 × B. Two seats. Round 1: W holds votes → out alone
    # (6 to A). Round 2: A 9, B 2: two left for two seats.
    profile = RankedProfile.from_orders(list("ABW"), [["W", "A"]] * 6 + [["A"]] * 3 + [["B"]] * 2)
    result = tally("bottoms-up", profile, seats=2, write_in="W")
    assert rounds_of(result) == [
        ({"A": 3.0, "B": 2.0, "W": 6.0}, (), ("W",), 0.0, "write-in"),
        ({"A": 9.0, "B": 2.0}, ("A", "B"), (), 0.0, "seats-filled"),
    ]
    # Three seats for three candidates: all but the write-in, which still goes first.
    every = tally("bottoms-up", profile, seats=3, write_in="W")
    assert every.winners == ("A", "B")


# --- more seats than candidates ------------------------------------------------------------


@pytest.mark.parametrize("name", ["sequential-irv", "bottoms-up", "stv"])
def test_more_seats_than_candidates_elects_them_all(name):
    result = tally(name, FOUR, seats=6, seed="s")
    assert sorted(result.winners) == ["A", "B", "C", "D"]
    assert result.options["seats"] == 6


def test_more_seats_than_candidates_in_one_bottoms_up_round():
    result = tally("bottoms-up", FOUR, seats=5)
    assert rounds_of(result) == [
        ({"A": 5.0, "B": 4.0, "C": 3.0, "D": 2.0}, ("A", "B", "C", "D"), (), 0.0, "seats-filled")
    ]


@pytest.mark.parametrize(
    "name",
    sorted(n for n, info in METHODS.items() if info.accepts == "ranked" and not info.multiwinner),
)
def test_single_winner_methods_still_refuse_more_seats_than_candidates(name):
    with pytest.raises(
        OptionError, match=r"seats \(5\) cannot exceed the number of candidates \(4\)"
    ):
        tally(name, FOUR, seats=5)


def test_sequential_irv_ties_are_settled_and_numbered_across_passes():
    # 6 ballots: 2 × A, 2 × B, 2 × C, no second choices: every step is a tie, so the lot
    # decides them all. In lot order (smallest sha256 of "t\n" + name first) the names are
    # first, second, third. Pass 1: round 1 all three tie → first out (its 2 run out);
    # round 2 second and third tie at 2 now and in round 1 → lot: second out; third wins
    # seat 1 in round 3. Pass 2 (third off): round 4 first and second tie at 2 → first
    # out; round 5 second alone wins seat 2.
    profile = RankedProfile.from_orders(list("ABC"), [["A"]] * 2 + [["B"]] * 2 + [["C"]] * 2)
    first, second, third = sorted("ABC", key=lambda name: lot_key("t", name))
    result = tally("sequential-irv", profile, seats=2, seed="t")
    assert [r.eliminated for r in result.rounds] == [(first,), (second,), (), (first,), ()]
    assert [r.elected for r in result.rounds] == [(), (), (third,), (), (second,)]
    assert [r.exhausted for r in result.rounds] == [0.0, 2.0, 4.0, 2.0, 4.0]
    assert result.winners == (third, second)
    assert [(t.round, t.tied, t.rule, t.chosen) for t in result.ties] == [
        (1, ("A", "B", "C"), "lot", (first,)),
        (2, tuple(sorted((second, third))), "lot", (second,)),
        (4, tuple(sorted((first, second))), "lot", (first,)),
    ]


@pytest.mark.parametrize(("percentage", "of_1000"), [(0.3, 3), (12.3, 123)])
def test_bottoms_up_percentage_exactly_met_is_not_more(percentage: float, of_1000: int) -> None:
    # B holds exactly p % of 1,000 votes: not more than p %, so B is eliminated and A alone
    # wins (the decimal as written, not the binary float just below it)
    ballots = [["A"]] * (1000 - of_1000) + [["B"]] * of_1000
    exact = RankedProfile.from_orders(["A", "B"], ballots)
    result = tally("bottoms-up", exact, seats=1, percentage=percentage)
    assert result.winners == ("A",)
    assert result.rounds[0].eliminated == ("B",)
    above = RankedProfile.from_orders(
        ["A", "B"], [["A"]] * (999 - of_1000) + [["B"]] * (of_1000 + 1)
    )
    assert set(tally("bottoms-up", above, seats=1, percentage=percentage).winners) == {"A", "B"}
