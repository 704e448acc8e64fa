"""STV under the US certified tabulators' rules (``rules="fractional"``) on hand-worked
contests: every round's tallies, the exhausted votes and the residual surplus, for each
option; the write-in candidate under all three rule sets; more seats than candidates."""

from __future__ import annotations

import pytest

from engine import RankedProfile, tally
from engine.errors import OptionError
from engine.methods.stv import stv
from engine.result import Result
from engine.tiebreak import TieBreaker, lot_key


def profile(candidates: str, *ballots: tuple[int, str]) -> RankedProfile:
    """``(count, "ABC")`` pairs: ``count`` ballots ranking A > B > C."""
    orders: list[list[str]] = []
    for count, order in ballots:
        orders.extend([list(order)] * count)
    return RankedProfile.from_orders(list(candidates), orders)  # type: ignore[arg-type]


def rounds(result: Result) -> list[tuple[dict[str, float], float]]:
    """Each round's tallies and exhausted votes, rounded to the 4 decimals counted."""
    return [
        ({k: round(v, 4) for k, v in r.tallies.items()}, round(r.exhausted, 4))
        for r in result.rounds
    ]


def residuals(result: Result, valid: int) -> list[float]:
    """The residual surplus at each round: the valid votes less the tallies and exhausted."""
    return [round(valid - sum(r.tallies.values()) - r.exhausted, 4) for r in result.rounds]


# 14 A>B>C, 9 B>A, 6 C>D, 5 D>C>E, 4 E>D, 2 A>E: 40 ballots, 3 seats.
FORTY = profile("ABCDE", (14, "ABC"), (9, "BA"), (6, "CD"), (5, "DCE"), (4, "ED"), (2, "AE"))


def test_droop_whole_threshold_fraction_and_values_cut_to_four_decimals():
    # threshold floor(40 / 4) + 1 = 11, fixed by round 1.
    # R1 A 16 >= 11: surplus 5, fraction 5/16 = 0.3125; 14 A>B>C move 0.3125 each to B
    #   (4.375), 2 A>E to E (0.625); A keeps exactly 11.
    # R2 B 9 + 4.375 = 13.375 >= 11: surplus 2.375, fraction 2.375/13.375 = 0.17757 ->
    #   0.1775. 9 B>A move 0.1775 each and exhaust (A is elected): 1.5975; 14 A>B>C held
    #   at 0.3125 move 0.3125 x 0.1775 = 0.05546875 -> 0.0554 each to C: 0.7756. B keeps
    #   9 x 0.8225 + 14 x 0.2571 = 11.0019: residual surplus 0.0019.
    # R3 no one reaches 11: E (4.625) out; 4 E>D to D, 2 A>E (0.3125) exhaust: 0.625.
    # R4 C 6.7756 < D 9: C out; 6 C>D to D, 14 A>B>C (0.0554) exhaust: 0.7756.
    # R5 D alone for the last seat.
    result = tally("stv", FORTY, seats=3, rules="fractional")
    assert [r.quota for r in result.rounds] == [11.0] * 5
    assert rounds(result) == [
        ({"A": 16, "B": 9, "C": 6, "D": 5, "E": 4}, 0),
        ({"A": 11, "B": 13.375, "C": 6, "D": 5, "E": 4.625}, 0),
        ({"A": 11, "B": 11, "C": 6.7756, "D": 5, "E": 4.625}, 1.5975),
        ({"A": 11, "B": 11, "C": 6.7756, "D": 9}, 2.2225),
        ({"A": 11, "B": 11, "D": 15}, 2.9981),
    ]
    assert residuals(result, 40) == [0, 0, 0.0019, 0.0019, 0.0019]
    assert [r.note for r in result.rounds] == [
        "surplus",
        "surplus",
        "exclusion",
        "exclusion",
        "elect-remaining",
    ]
    assert [r.elected for r in result.rounds] == [("A",), ("B",), (), (), ("D",)]
    assert [r.eliminated for r in result.rounds] == [(), (), ("E",), ("C",), ()]
    a, b = result.rounds[0].transfers[0], result.rounds[1].transfers[0]
    assert (a.source, a.kind, a.value) == ("A", "surplus", 0.3125)
    assert a.received == {"B": 4.375, "C": 0.0, "D": 0.0, "E": 0.625}
    assert (b.value, b.exhausted) == (0.1775, 1.5975)
    assert {k: round(v, 4) for k, v in b.received.items()} == {
        "C": 0.7756,
        "D": 0.0,
        "E": 0.0,
    }
    assert result.winners == ("A", "B", "D")
    assert result.options["decimals"] == 4
    assert result.ties == ()


def test_two_decimals_cut_more():
    # decimals=2: R1 fraction 0.3125 -> 0.31: B gets 14 x 0.31 = 4.34, E 0.62, A keeps
    #   11.04 (residual 0.04). R2 B 13.34: fraction 2.34/13.34 = 0.1754 -> 0.17; 9 B>A
    #   exhaust 1.53; 14 A>B>C move 0.31 x 0.17 = 0.0527 -> 0.05 each to C: 0.70; B keeps
    #   9 x 0.83 + 14 x 0.26 = 11.11 (residual 0.04 + 0.11 = 0.15). R3 E out (2 x 0.31
    #   exhaust), R4 C out (14 x 0.05 exhaust), R5 D elected.
    result = tally("stv", FORTY, seats=3, rules="fractional", decimals=2)
    assert rounds(result) == [
        ({"A": 16, "B": 9, "C": 6, "D": 5, "E": 4}, 0),
        ({"A": 11, "B": 13.34, "C": 6, "D": 5, "E": 4.62}, 0),
        ({"A": 11, "B": 11, "C": 6.7, "D": 5, "E": 4.62}, 1.53),
        ({"A": 11, "B": 11, "C": 6.7, "D": 9}, 2.15),
        ({"A": 11, "B": 11, "D": 15}, 2.85),
    ]
    assert residuals(result, 40) == [0, 0.04, 0.15, 0.15, 0.15]
    assert [t.value for r in result.rounds[:2] for t in r.transfers] == [0.31, 0.17]
    assert result.winners == ("A", "B", "D")


def test_droop_threshold_to_the_decimals():
    # integer_threshold=false: 40 / 4 = 10 cut to 4 decimals, plus 0.0001 = 10.0001.
    # R1 A 16: surplus 5.9999, fraction 0.37499 -> 0.3749; B gets 14 x 0.3749 = 5.2486,
    #   E 0.7498; A keeps 10.0016 (residual 0.0015).
    # R2 B 14.2486: surplus 4.2485, fraction 0.29816 -> 0.2981; 9 B>A exhaust 2.6829;
    #   14 A>B>C move 0.3749 x 0.2981 = 0.11175769 -> 0.1117 each to C: 1.5638; B keeps
    #   9 x 0.7019 + 14 x 0.2632 = 10.0019 (residual 0.0015 + 0.0018 = 0.0033).
    # R3 E (4.7498) out: D 9, 2 x 0.3749 exhaust. R4 C (7.5638) out: D 15, 14 x 0.1117
    #   exhaust. R5 D elected.
    result = tally("stv", FORTY, seats=3, rules="fractional", integer_threshold=False)
    assert result.rounds[0].quota == 10.0001
    assert rounds(result) == [
        ({"A": 16, "B": 9, "C": 6, "D": 5, "E": 4}, 0),
        ({"A": 10.0001, "B": 14.2486, "C": 6, "D": 5, "E": 4.7498}, 0),
        ({"A": 10.0001, "B": 10.0001, "C": 7.5638, "D": 5, "E": 4.7498}, 2.6829),
        ({"A": 10.0001, "B": 10.0001, "C": 7.5638, "D": 9}, 3.4327),
        ({"A": 10.0001, "B": 10.0001, "D": 15}, 4.9965),
    ]
    assert residuals(result, 40) == [0, 0.0015, 0.0033, 0.0033, 0.0033]
    assert result.winners == ("A", "B", "D")


def test_hare_quota():
    # quota="hare": 40 / 3 = 13.33 rounded up to 14.
    # R1 A 16: surplus 2, fraction 0.125; B gets 14 x 0.125 = 1.75, E 0.25; A keeps 14.
    # R2 no one reaches 14: E (4.25) out; 4 E>D to D (9), 2 A>E (0.125) exhaust 0.25.
    # R3 B 10.75, C 6, D 9: C out, 6 C>D to D (15).
    # R4 B and D are the two left for two seats: both elected, D (15) first.
    result = tally("stv", FORTY, seats=3, rules="fractional", quota="hare")
    assert result.rounds[0].quota == 14.0
    assert rounds(result) == [
        ({"A": 16, "B": 9, "C": 6, "D": 5, "E": 4}, 0),
        ({"A": 14, "B": 10.75, "C": 6, "D": 5, "E": 4.25}, 0),
        ({"A": 14, "B": 10.75, "C": 6, "D": 9}, 0.25),
        ({"A": 14, "B": 10.75, "D": 15}, 0.25),
    ]
    assert residuals(result, 40) == [0, 0, 0, 0]
    assert [r.eliminated for r in result.rounds] == [(), ("E",), ("C",), ()]
    assert result.rounds[3].elected == ("D", "B")
    assert result.winners == ("A", "D", "B")


def test_hare_threshold_to_the_decimals():
    # quota="hare", integer_threshold=false: 40 / 3 = 13.3333... rounded up to 13.3334
    result = tally("stv", FORTY, seats=3, rules="fractional", quota="hare", integer_threshold=False)
    assert result.rounds[0].quota == 13.3334


# 13 A>C>D, 12 B>C>E, 6 C>D, 5 D>E, 4 E>F, 3 F>E: 43 ballots, 3 seats, threshold
# floor(43 / 4) + 1 = 11. A (13) and B (12) both reach it in round 1.
TWO_AT_ONCE = profile(
    "ABCDEF", (13, "ACD"), (12, "BCE"), (6, "CD"), (5, "DE"), (4, "EF"), (3, "FE")
)


def test_several_winners_in_a_round_move_their_surpluses_together():
    # R1 A and B elected (A first: more votes). A: fraction 2/13 = 0.15384 -> 0.1538,
    #   13 x 0.1538 = 1.9994 to C (A keeps 11.0006); B: 1/12 = 0.08333 -> 0.0833,
    #   12 x 0.0833 = 0.9996 to C (B keeps 11.0004): residual 0.001.
    # R2 C 8.999, D 5, E 4, F 3: F out, 3 F>E to E (7).
    # R3 C 8.999, D 5, E 7: D out, 5 D>E to E (12).
    # R4 E 12 reaches 11: elected, the seats are filled.
    result = tally("stv", TWO_AT_ONCE, seats=3, rules="fractional")
    assert rounds(result) == [
        ({"A": 13, "B": 12, "C": 6, "D": 5, "E": 4, "F": 3}, 0),
        ({"A": 11, "B": 11, "C": 8.999, "D": 5, "E": 4, "F": 3}, 0),
        ({"A": 11, "B": 11, "C": 8.999, "D": 5, "E": 7}, 0),
        ({"A": 11, "B": 11, "C": 8.999, "E": 12}, 0),
    ]
    assert residuals(result, 43) == [0, 0.001, 0.001, 0.001]
    assert result.rounds[0].elected == ("A", "B")
    assert [(t.source, t.value) for t in result.rounds[0].transfers] == [
        ("A", 0.1538),
        ("B", 0.0833),
    ]
    assert [r.note for r in result.rounds] == ["surplus", "exclusion", "exclusion", "complete"]
    assert result.winners == ("A", "B", "E")


def test_one_winner_per_round_moves_its_surplus_first():
    # one_per_round: R1 only A (13, the most) is elected; its surplus moves (C +1.9994).
    # R2 B 12 still reaches 11: elected; its surplus 0.9996 to C. Then as before.
    result = tally("stv", TWO_AT_ONCE, seats=3, rules="fractional", one_per_round=True)
    assert rounds(result) == [
        ({"A": 13, "B": 12, "C": 6, "D": 5, "E": 4, "F": 3}, 0),
        ({"A": 11, "B": 12, "C": 7.9994, "D": 5, "E": 4, "F": 3}, 0),
        ({"A": 11, "B": 11, "C": 8.999, "D": 5, "E": 4, "F": 3}, 0),
        ({"A": 11, "B": 11, "C": 8.999, "D": 5, "E": 7}, 0),
        ({"A": 11, "B": 11, "C": 8.999, "E": 12}, 0),
    ]
    assert residuals(result, 43) == [0, 0.0006, 0.001, 0.001, 0.001]
    assert [r.elected for r in result.rounds] == [("A",), ("B",), (), (), ("E",)]
    assert [len(r.transfers) for r in result.rounds] == [1, 1, 1, 1, 0]
    assert result.winners == ("A", "B", "E")


# 10 A>C, 10 B>D, 5 C, 4 D, 2 E, 2 F: 33 ballots, 3 seats, threshold floor(33/4)+1 = 9.
TIES = profile("ABCDEF", (10, "AC"), (10, "BD"), (5, "C"), (4, "D"), (2, "E"), (2, "F"))


def test_ties_several_per_round():
    # R1 A and B, equal at every stage, are elected together (listed by name, no lot);
    #   each surplus 1 moves at 1/10 = 0.1: C +1, D +1.
    # R2 E and F tie at 2 at every stage: the lot eliminates the one drawn first (the
    #   smaller sha256(seed + "\n" + name)); its 2 ballots exhaust.
    # R3 the other (2) out: exhausted 4. R4 C 6, D 5: D out; its 4 ballots and the 10
    #   B>D at 0.1 exhaust: 4 + 5 = 9. R5 C alone for the last seat.
    seed = "tie-7"
    drawn, other = sorted("EF", key=lambda name: lot_key(seed, name))
    result = tally("stv", TIES, seats=3, rules="fractional", seed=seed)
    assert rounds(result) == [
        ({"A": 10, "B": 10, "C": 5, "D": 4, "E": 2, "F": 2}, 0),
        ({"A": 9, "B": 9, "C": 6, "D": 5, "E": 2, "F": 2}, 0),
        ({"A": 9, "B": 9, "C": 6, "D": 5, other: 2}, 2),
        ({"A": 9, "B": 9, "C": 6, "D": 5}, 4),
        ({"A": 9, "B": 9, "C": 6}, 9),
    ]
    assert [r.eliminated for r in result.rounds] == [(), (drawn,), (other,), ("D",), ()]
    assert [(t.round, t.purpose, t.rule, t.tied, t.chosen) for t in result.ties] == [
        (2, "eliminate", "lot", ("E", "F"), (drawn,)),
    ]
    assert result.winners == ("A", "B", "C")
    assert result.ranking is not None
    assert result.ranking[0] == ("A", "B")


def test_ties_one_per_round_draws_who_is_elected_first():
    # one_per_round: A and B tie at 10 in round 1 with no earlier round: the lot elects the
    # one drawn first; the other is elected in round 2 (still 10) after the first's
    # surplus (10 x 0.1 = 1) has moved.
    seed = "tie-7"
    first, second = sorted("AB", key=lambda name: lot_key(seed, name))
    result = tally("stv", TIES, seats=3, rules="fractional", one_per_round=True, seed=seed)
    assert [r.elected for r in result.rounds[:2]] == [(first,), (second,)]
    assert result.rounds[1].tallies[first] == 9.0
    assert result.rounds[1].tallies[second] == 10.0
    assert (result.ties[0].round, result.ties[0].purpose, result.ties[0].rule) == (
        1,
        "elect",
        "lot",
    )
    assert result.ties[0].chosen == (first,)
    assert result.winners == (first, second, "C")


FORTY_WITH_WRITE_IN = profile("ABCDW", (12, "WA"), (8, "A"), (7, "B"), (5, "CB"), (4, "DC"))


def test_write_in_is_eliminated_first_and_never_elected():
    # 12 W>A, 8 A, 7 B, 5 C>B, 4 D>C: 36 ballots, 3 seats, threshold floor(36/4)+1 = 10.
    # R1 W (12) reaches 10 but stands for the undeclared write-ins: eliminated before
    #   anyone is elected; 12 W>A to A (20).
    # R2 A 20 elected: fraction 10/20 = 0.5; its 20 ballots have nothing after A: 10
    #   exhausts. R3 D (4) out: C 9. R4 B 7 and C 9 are the two left for two seats.
    result = tally("stv", FORTY_WITH_WRITE_IN, seats=3, rules="fractional", write_in="W")
    assert rounds(result) == [
        ({"A": 8, "B": 7, "C": 5, "D": 4, "W": 12}, 0),
        ({"A": 20, "B": 7, "C": 5, "D": 4}, 0),
        ({"A": 10, "B": 7, "C": 5, "D": 4}, 10),
        ({"A": 10, "B": 7, "C": 9}, 10),
    ]
    assert [r.elected for r in result.rounds] == [(), ("A",), (), ("C", "B")]
    assert [r.eliminated for r in result.rounds] == [("W",), (), ("D",), ()]
    assert result.winners == ("A", "C", "B")
    without = tally("stv", FORTY_WITH_WRITE_IN, seats=3, rules="fractional")
    assert without.rounds[0].elected == ("W",)


@pytest.mark.parametrize("rules", ["scottish", "meek", "fractional"])
def test_write_in_first_under_every_rule_set(rules):
    # The same contest: stage 1 excludes W whatever it holds, nobody is elected there, and
    # its 12 papers go to A; A, C and B are elected under each rule set.
    result = tally("stv", FORTY_WITH_WRITE_IN, seats=3, rules=rules, write_in="W")
    first, second = result.rounds[:2]
    assert (first.elected, first.eliminated) == ((), ("W",))
    assert first.transfers[0].received["A"] == 12.0
    assert second.tallies["A"] == pytest.approx(20.0)
    assert "W" not in result.winners
    assert set(result.winners) == {"A", "B", "C"}


def test_seats_equal_to_candidates_elect_them_all():
    result = tally("stv", TIES, seats=6, rules="fractional")
    assert [r.note for r in result.rounds] == ["elect-remaining"]
    assert result.winners == ("A", "B", "C", "D", "E", "F")


@pytest.mark.parametrize("rules", ["scottish", "meek", "fractional"])
def test_more_seats_than_candidates_elect_them_all(rules):
    # the registry may refuse such a count; the method itself elects every candidate but
    # the write-in (eliminated in round 1), in order of votes
    options = {
        "rules": rules,
        "quota": "droop",
        "integer_threshold": True,
        "decimals": 4,
        "one_per_round": False,
        "write_in": "W",
    }
    tb = TieBreaker(FORTY_WITH_WRITE_IN.candidates, "s")
    outcome = stv(FORTY_WITH_WRITE_IN, tb, 8, options)
    names = [FORTY_WITH_WRITE_IN.candidates[c] for c in outcome.winners or []]
    assert names == ["A", "B", "C", "D"]
    assert [r.note for r in outcome.rounds] == ["exclusion", "elect-remaining"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"decimals": 0}, "option decimals must be at least 1, got 0"),
        ({"decimals": 21}, "option decimals must be less than 21, got 21"),
        ({"decimals": 2.5}, "option decimals must be a whole number, got 2.5"),
        ({"quota": "imperiali"}, "option quota must be one of droop, hare"),
        ({"write_in": "Z"}, "option write_in names 'Z', who is not a candidate"),
        ({"one_per_round": 1}, "option one_per_round must be true or false"),
    ],
)
def test_bad_options_are_refused(options, message):
    with pytest.raises(OptionError, match=message.replace("(", r"\(")):
        tally("stv", FORTY, seats=3, rules="fractional", **options)


@pytest.mark.parametrize("rules", ["scottish", "meek"])
def test_fractional_options_are_refused_under_other_rules(rules):
    with pytest.raises(
        OptionError, match=f"option quota applies to rules fractional only, not {rules}"
    ):
        tally("stv", FORTY, seats=3, rules=rules, quota="hare")
    # their defaults, as every count records them, are accepted
    assert tally("stv", FORTY, seats=3, rules=rules, quota="droop", decimals=4).winners


def test_twenty_decimals_count_exactly():
    # values past int64 are kept as Python integers: R1 fraction 5/16 = 0.3125 exactly
    result = tally("stv", FORTY, seats=3, rules="fractional", decimals=20)
    assert result.rounds[1].tallies["B"] == 13.375
    assert result.winners == ("A", "B", "D")


def test_a_write_in_without_votes_takes_no_round():
    # 5 A>W, 4 B, 2 C; 2 seats, threshold floor(11/3)+1 = 4. W holds no vote, so round 1
    # elects A (5) and B (4) at once, as the certified tabulator does: a write-in is taken
    # out first only while it holds votes, and is never elected
    contest = profile("ABCW", (5, "AW"), (4, "B"), (2, "C"))
    result = tally("stv", contest, seats=2, rules="fractional", write_in="W")
    assert [r.elected for r in result.rounds] == [("A", "B")]
    assert result.rounds[0].tallies == {"A": 5.0, "B": 4.0, "C": 2.0, "W": 0.0}
    assert result.winners == ("A", "B")
    # with one seat left for C and W, W (no votes) is never the one elected
    alone = tally(
        "stv", profile("ACW", (3, "A"), (1, "C")), seats=3, rules="fractional", write_in="W"
    )
    assert "W" not in alone.winners
