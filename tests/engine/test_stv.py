"""Single transferable vote (Scottish rules, Meek, and the conventions the fractional rules
share with them) on hand-worked profiles, plus a differential check against pref-voting's
implementations. The fractional rules' own arithmetic: test_stv_fractional.py."""

from __future__ import annotations

import random
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import RankedProfile, tally
from engine.errors import OptionError, TieUnresolved
from engine.result import to_json
from engine.tiebreak import lot_key

RULES = ["scottish", "meek", "fractional"]
NEAR = 5e-6


def profile(candidates: str, *ballots: tuple[int, list[object]]) -> RankedProfile:
    """``(count, order)`` pairs, an order being names or lists of equally ranked names."""
    orders: list[list[object]] = []
    for count, order in ballots:
        orders.extend([order] * count)
    return RankedProfile.from_orders(list(candidates), orders)  # type: ignore[arg-type]


# 27 A>B, 6 A>C, 10 B, 9 C, 8 D>C: 60 valid papers, 2 seats.
SURPLUS = profile(
    "ABCD", (27, ["A", "B"]), (6, ["A", "C"]), (10, ["B"]), (9, ["C"]), (8, ["D", "C"])
)


def test_scottish_surplus_transfer():
    # quota = floor(60 / 3) + 1 = 21. Stage 1: A 33 >= 21, elected, surplus 33 - 21 = 12.
    # transfer value 12/33 = 0.363636... truncated to 0.36363 per paper;
    # B gets 27 x 0.36363 = 9.81801, C gets 6 x 0.36363 = 2.18178; 0.00021 is lost to
    # truncation. A is left with exactly the quota.
    result = tally("stv", SURPLUS, seats=2)
    first, second = result.rounds[:2]
    assert first.quota == 21.0
    assert first.tallies == {"A": 33.0, "B": 10.0, "C": 9.0, "D": 8.0}
    assert first.elected == ("A",)
    assert first.note == "surplus"
    (transfer,) = first.transfers
    assert transfer.source == "A"
    assert transfer.kind == "surplus"
    assert transfer.value == 0.36363
    assert transfer.received == {"B": 9.81801, "C": 2.18178, "D": 0.0}
    assert transfer.exhausted == 0.0
    assert second.tallies == {"A": 21.0, "B": 19.81801, "C": 11.18178, "D": 8.0}


def test_scottish_exclusion():
    # Stage 2 (after A's surplus): D has the fewest (8) and is excluded; its 8 papers
    # D>C move at full value: C 11.18178 + 8 = 19.18178.
    # Stage 3: B 19.81801, C 19.18178; two continuing for one seat: C is excluded; its
    # papers (9 C, 6 A>C at 0.36363, 8 D>C) have no further preference: 9 + 2.18178 + 8
    # = 19.18178 exhaust. Stage 4: B is the only continuing candidate: elected.
    result = tally("stv", SURPLUS, seats=2)
    second, third, fourth = result.rounds[1:]
    assert second.eliminated == ("D",)
    assert second.transfers[0].kind == "exclusion"
    assert second.transfers[0].received == {"B": 0.0, "C": 8.0}
    assert third.tallies == {"A": 21.0, "B": 19.81801, "C": 19.18178}
    assert third.eliminated == ("C",)
    assert third.transfers[0].exhausted == 19.18178
    assert fourth.exhausted == 19.18178
    assert fourth.elected == ("B",)
    assert result.winners == ("A", "B")
    assert result.ranking == (("A",), ("B",), ("C",), ("D",))
    assert result.ties == ()


def test_scottish_elect_all_remaining():
    # 7 A, 6 B, 5 C, 2 D, 3 seats: quota floor(20/4) + 1 = 6. Stage 1: A 7 and B 6 are
    # elected; A's surplus 1 (value 1/7 = 0.14285) has nowhere to go. Stage 2: D (2) out.
    # Stage 3: C alone for the last seat: elected with 5 votes, below the quota.
    p = profile("ABCD", (7, ["A"]), (6, ["B"]), (5, ["C"]), (2, ["D"]))
    result = tally("stv", p, seats=3)
    assert [r.note for r in result.rounds] == ["surplus", "exclusion", "elect-remaining"]
    assert result.rounds[0].transfers[0].value == 0.14285
    assert result.rounds[0].transfers[0].exhausted == 0.99995  # 7 x 0.14285
    assert result.rounds[2].tallies == {"A": 6.0, "B": 6.0, "C": 5.0}
    assert result.rounds[2].elected == ("C",)
    assert result.winners == ("A", "B", "C")


@pytest.mark.parametrize("rules", RULES)
def test_stv_exclusion_tie_uses_most_recent_stage(rules):
    # "Among candidates tied for exclusion, the one with fewer votes at the most recent
    # preceding stage at which they differ is excluded."
    # 20 A, 10 B, 5 X, 6 Y, 2 P>X, 1 P, 1 Q>Y, 3 Q; one seat (no one reaches the quota).
    # stage 1: X 5, Y 6, P 3, Q 4 -> P out, 2 papers to X: X 7
    # stage 2: X 7, Y 6, Q 4 -> Q out, 1 paper to Y: Y 7
    # stage 3: X 7 = Y 7. Most recent stage where they differ is stage 2 (X 7 > Y 6):
    # Y is excluded (the earliest stage, X 5 < Y 6, would have excluded X instead).
    p = RankedProfile.from_orders(
        ["A", "B", "X", "Y", "P", "Q"],
        [["A"]] * 20
        + [["B"]] * 10
        + [["X"]] * 5
        + [["Y"]] * 6
        + [["P", "X"]] * 2
        + [["P"]]
        + [["Q", "Y"]]
        + [["Q"]] * 3,
    )
    result = tally("stv", p, seats=1, rules=rules)  # no seed: the history decides
    assert [r.eliminated for r in result.rounds[:3]] == [("P",), ("Q",), ("Y",)]
    assert result.rounds[2].tallies["X"] == result.rounds[2].tallies["Y"] == 7.0
    (tie,) = result.ties
    assert (tie.round, tie.purpose, tie.rule) == (3, "eliminate", "later-round")
    assert tie.tied == ("X", "Y")
    assert tie.chosen == ("Y",)
    assert result.winners == ("A",)


@pytest.mark.parametrize("rules", RULES)
def test_stv_exclusion_tie_never_broken_goes_to_lot(rules):
    # 4 A, 2 B, 2 C, one seat: quota 5 (Meek 4.000000001), nobody has it; B and C tie at
    # the only stage, so the lot decides: the candidate with the smaller lot key
    # sha256(seed + "\n" + name) is drawn, i.e. excluded.
    p = profile("ABC", (4, ["A"]), (2, ["B"]), (2, ["C"]))
    with pytest.raises(TieUnresolved, match="B, C"):
        tally("stv", p, seats=1, rules=rules)
    result = tally("stv", p, seats=1, rules=rules, seed="bench-7")
    drawn = min("BC", key=lambda name: lot_key("bench-7", name))
    assert result.rounds[0].eliminated == (drawn,)
    (tie,) = result.ties
    assert (tie.rule, tie.purpose, tie.tied, tie.chosen) == (
        "lot",
        "eliminate",
        ("B", "C"),
        (drawn,),
    )
    assert result == tally("stv", p, seats=1, rules=rules, seed="bench-7")
    assert result.winners == ("A",)


# 22 A>B, 18 A>C, 26 B>F, 27 C>E, 20 D, 17 E, 15 F: 145 papers, 4 seats.
EQUAL_SURPLUSES = profile(
    "ABCDEF",
    (22, ["A", "B"]),
    (18, ["A", "C"]),
    (26, ["B", "F"]),
    (27, ["C", "E"]),
    (20, ["D"]),
    (17, ["E"]),
    (15, ["F"]),
)


def test_scottish_equal_surpluses_use_most_recent_stage():
    # "Among equal surpluses, the candidate with more votes at the most recent preceding
    # stage at which they differ is transferred first."
    # quota floor(145 / 5) + 1 = 30. Stage 1: A 40 elected, surplus 10, value 0.25:
    # B 26 + 22 x 0.25 = 31.5, C 27 + 18 x 0.25 = 31.5. Stage 2: B and C both elected with
    # 31.5 and equal surpluses 1.5; at stage 1 C had more (27 > 26): C goes first.
    # C's papers: 27 C>E at 1 -> 1.5/31.5 = 0.047619 -> 0.04761, E gets 27 x 0.04761 =
    # 1.28547; 18 A>C at 0.25 -> 0.25 x 1.5/31.5 = 0.0119047 -> 0.01190, exhausted 0.2142.
    # Stage 3: B's surplus: 26 B>F -> F gets 1.23786; 22 A>B exhaust 0.2618.
    # Stage 4: D 20, E 18.28547, F 16.23786 -> F out; stage 5: E out; D elected last.
    result = tally("stv", EQUAL_SURPLUSES, seats=4)
    second = result.rounds[1]
    assert second.tallies == {"A": 30.0, "B": 31.5, "C": 31.5, "D": 20.0, "E": 17.0, "F": 15.0}
    assert second.elected == ("C", "B")
    assert second.transfers[0].source == "C"
    assert second.transfers[0].value == 0.04761
    assert second.transfers[0].received == {"D": 0.0, "E": 1.28547, "F": 0.0}
    assert second.transfers[0].exhausted == pytest.approx(0.2142, abs=1e-12)
    assert result.rounds[2].transfers[0].source == "B"
    assert result.rounds[3].tallies["F"] == 16.23786
    assert result.rounds[3].exhausted == pytest.approx(0.476, abs=1e-12)
    assert [(t.purpose, t.rule, t.tied, t.chosen) for t in result.ties] == [
        ("elect", "later-round", ("B", "C"), ("C", "B")),
        ("transfer", "later-round", ("B", "C"), ("C",)),
    ]
    assert result.winners == ("A", "C", "B", "D")  # in the order elected


@pytest.mark.parametrize("rules", RULES)
def test_stv_candidates_equal_at_every_stage_are_elected_together(rules):
    # "those equal at every stage are elected together, share a group in the ranking,
    # and are listed by name": 3 B, 3 A, 1 C, two seats; quota floor(7/3)+1 = 3
    # (Meek: 7/3 -> 2.333333334), A and B both reach it at stage 1 with no history.
    p = profile("BAC", (3, ["A"]), (3, ["B"]), (1, ["C"]))
    result = tally("stv", p, seats=2, rules=rules)  # no seed needed: nothing depends on it
    assert result.winners == ("A", "B")
    assert result.ranking == (("A", "B"), ("C",))
    assert result.ties == ()


def test_stv_equal_ranking_makes_paper_non_transferable():
    # "A paper whose next available preference is a group of two or more continuing
    # candidates ranked equally is non-transferable from there."
    # 6 A>{B=C}, 3 B, 3 C, 2 D, 2 seats: quota floor(14/3)+1 = 5. A's surplus 1 (value
    # 1/6 -> 0.16666) cannot choose between B and C: 6 x 0.16666 = 0.99996 exhausts.
    p = profile("ABCD", (6, ["A", ["B", "C"]]), (3, ["B"]), (3, ["C"]), (2, ["D"]))
    result = tally("stv", p, seats=2, seed="s")
    transfer = result.rounds[0].transfers[0]
    assert transfer.received == {"B": 0.0, "C": 0.0, "D": 0.0}
    assert transfer.exhausted == 0.99996


@pytest.mark.parametrize("rules", RULES)
def test_stv_equal_ranking_with_one_continuing_candidate_transfers(rules):
    # 5 A, 4 B, 3 C, 2 E>{B=D}, 1 D, one seat. Stage 1: D (1) out. Stage 2: E (2) out; of
    # the group {B, D} only B is still standing, so both papers go to B: 4 + 2 = 6.
    p = profile("ABCDE", (5, ["A"]), (4, ["B"]), (3, ["C"]), (2, ["E", ["B", "D"]]), (1, ["D"]))
    result = tally("stv", p, seats=1, rules=rules)
    assert [r.eliminated for r in result.rounds[:2]] == [("D",), ("E",)]
    assert result.rounds[2].tallies["B"] == pytest.approx(6.0)
    assert result.winners == ("B",)


@pytest.mark.parametrize(
    ("rules", "quota", "exhausted"), [("scottish", 3.0, 0.0), ("meek", 2.500000001, 4.0)]
)
def test_stv_equal_first_preference_does_not_count(rules, quota, exhausted):
    # "a paper with no first preference or an equal first preference is invalid and not
    # counted": 3 A, 2 B, 4 {A=B}, one seat. Scottish: 5 valid papers, quota
    # floor(5/2)+1 = 3. Meek: the 4 papers count as exhausted, quota 5/2 + 10^-9.
    p = profile("AB", (3, ["A"]), (2, ["B"]), (4, [["A", "B"]]))
    result = tally("stv", p, seats=1, rules=rules)
    first = result.rounds[0]
    assert first.quota == quota
    assert first.tallies == {"A": 3.0, "B": 2.0}
    assert first.exhausted == exhausted
    assert result.winners == ("A",)


def test_meek_known_example():
    # 50 A, 20 B, 18 C, 12 D>A>C, two seats; exact values, with keep factor w for A:
    # stage 1: A 50 of 100 -> elected. Converged: A keeps 50w, 50(1-w) exhausts,
    #   quota (50 + 50w)/3 = 50w -> w = 1/2, quota 25.
    # stage 2: A 25, B 20, C 18, D 12 -> D excluded; 12 D>A>C give A 12w, C 12(1-w).
    # stage 3: A 62w = (50 + 50w)/3 -> w = 25/68; quota 62 x 25/68 = 22.794117...,
    #   C 18 + 12 x 43/68 = 25.588235... >= quota -> elected; exhausted 50 x 43/68.
    # The iteration stops once surpluses total at most 10^-6, so values agree to ~10^-6.
    p = profile("ABCD", (50, ["A"]), (20, ["B"]), (18, ["C"]), (12, ["D", "A", "C"]))
    result = tally("stv", p, seats=2, rules="meek")
    first, second, third = result.rounds
    assert first.quota == pytest.approx(100 / 3, abs=1e-8)
    assert first.elected == ("A",)
    assert second.quota == pytest.approx(25, abs=NEAR)
    assert second.tallies == pytest.approx({"A": 25, "B": 20, "C": 18, "D": 12}, abs=NEAR)
    assert second.transfers[0].received == pytest.approx(
        {"A": 62 * 25 / 68 - 25, "B": 0, "C": 12 * 43 / 68}, abs=NEAR
    )
    assert third.quota == pytest.approx(62 * 25 / 68, abs=NEAR)
    assert third.tallies == pytest.approx(
        {"A": 62 * 25 / 68, "B": 20, "C": 18 + 12 * 43 / 68}, abs=NEAR
    )
    assert third.exhausted == pytest.approx(50 * 43 / 68, abs=NEAR)
    assert third.elected == ("C",)
    assert result.winners == ("A", "C")


def test_meek_keeps_value_exact():
    # Meek hands each candidate the rounded-down share and passes the rest on, so
    # standing + exhausted is exactly the number of counted papers at every stage.
    result = tally("stv", EQUAL_SURPLUSES, seats=4, rules="meek")
    for r in result.rounds:
        assert (
            sum(round(v * 10**9) for v in r.tallies.values()) + round(r.exhausted * 10**9)
            == 145 * 10**9
        )


def test_stv_rejects_unknown_rules():
    with pytest.raises(OptionError, match="option rules must be one of scottish, meek"):
        tally("stv", SURPLUS, seats=2, rules="irish")


@pytest.mark.parametrize("rules", RULES)
def test_stv_result_is_plain_json(rules):
    result = tally("stv", EQUAL_SURPLUSES, seats=4, rules=rules)
    assert to_json(result).startswith(b"{")
    assert all(type(v) is float for r in result.rounds for v in r.tallies.values())


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.permutations(range(5)).flatmap(lambda perm: st.integers(1, 5).map(lambda n: perm[:n])),
        min_size=1,
        max_size=30,
    ),
    st.integers(1, 4),
    st.sampled_from(RULES),
)
def test_stv_elects_seats_and_conserves_votes(orders, seats, rules):
    names = list("abcde")
    p = RankedProfile.from_orders(names, [[names[c] for c in o] for o in orders])
    result = tally("stv", p, seats=seats, rules=rules, seed="h")
    assert len(result.winners) == len(set(result.winners)) == seats
    # what cutting values leaves with a winner: under 10^-5 (fractional: 2 x 10^-4, the
    # fraction and the value each cut to 4 decimals) per paper and round
    cut = 2e-4 if rules == "fractional" else 1e-5
    for r in result.rounds:
        held = sum(r.tallies.values()) + r.exhausted
        assert held <= len(orders) + 1e-9
        assert held >= len(orders) - cut * len(orders) * len(result.rounds)


def _random_orders(rng: np.random.Generator, m: int, n: int) -> list[list[int]]:
    out = []
    for _ in range(n):
        perm = rng.permutation(m)
        out.append([int(c) for c in perm[: int(rng.integers(1, m + 1))]])
    return out


@pytest.mark.parametrize("rules", ["scottish", "meek"])
def test_stv_agrees_with_pref_voting(rules):
    # pref-voting's STV-Scottish (SSI 2007/42, history tie-break) and STV-Meek (rational
    # quota, keep factors to 1e-10) on random strict truncated profiles. Profiles where our
    # count met any tie are left out: pref-voting draws lots with its own generator (or
    # by name for Meek), so those legitimately differ. Equal rankings are not compared:
    # pref-voting splits such a paper equally, we make it non-transferable.
    from pref_voting.profiles_with_ties import ProfileWithTies
    from pref_voting.proportional_methods import stv_meek, stv_scottish

    rng = np.random.default_rng(2024)
    compared = 0
    for _ in range(100):
        m = int(rng.integers(3, 7))
        seats = int(rng.integers(2, m))
        orders = _random_orders(rng, m, int(rng.integers(8, 40)))
        names = [f"c{i}" for i in range(m)]
        ours = RankedProfile.from_orders(names, [[names[c] for c in o] for o in orders])
        try:
            result = tally("stv", ours, seats=seats, rules=rules)
        except TieUnresolved:
            continue
        if result.ties:
            continue
        theirs = ProfileWithTies(
            [{c: i + 1 for i, c in enumerate(o)} for o in orders], candidates=list(range(m))
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if rules == "meek":
                elected = stv_meek(theirs, num_seats=seats)
            else:
                elected = stv_scottish(theirs, num_seats=seats, rng=random.Random(0))
        assert set(result.winners) == {names[c] for c in elected}, orders
        compared += 1
    assert compared >= 50


def test_scottish_stv_without_a_valid_paper_gives_no_decision():
    # "with no valid paper there is no decision": every paper has an equal first preference
    p = RankedProfile.from_orders(list("ABC"), [[["A", "B"], "C"]] * 4 + [[["B", "C"]]] * 2)
    result = tally("stv", p, seats=2)
    assert result.no_decision == "no-valid-ballots"
    assert result.winners == ()
