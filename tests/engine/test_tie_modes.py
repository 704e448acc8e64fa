"""The count's tie-break modes (:class:`engine.tiebreak.TieBreaker`) on one hand-worked,
tie-heavy instant-runoff profile, every round checked, and the modes in STV and a
plurality's ranking."""

from __future__ import annotations

import pickle

import msgspec
import pytest

from engine import RankedProfile, TieUnresolved, tally
from engine.errors import OptionError
from engine.result import Result, TieAnswer, TieBreak
from engine.tiebreak import lot_key, permutation

# 9 × A, 3 × X>Y, 4 × Y>X, 2 × E>X>Y, 1 × F>Y, 1 × F: 20 ballots.
# Round 1: A 9, X 3, Y 4, E 2, F 2 — E and F tie for last with no earlier round.
# If E goes (its 2 to X): round 2 A 9, X 5, Y 4, F 2 → F out ("F>Y" to Y, "F" exhausts);
# if F goes: round 2 A 9, X 3, Y 5, E 2, 1 exhausted → E out (its 2 to X).
# Either way round 3: A 9, X 5, Y 5, 1 exhausted (19 in play, no majority) — X and Y tie.
# After E went first, X had fewer in round 1 (3 < 4) but more in round 2 (5 > 4): the
# earlier-round rule puts out X, the later-round rule Y. After F went first X had fewer
# in both rounds (3 < 4, 3 < 5).
# X out: round 4 A 9, Y 10 (X's 3 and E's 2 to Y) → Y elected (10 > 19 / 2).
# Y out: round 4 A 9, X 9 (Y's 4 to X), 2 exhausted ("F", "F>Y"): 9 is not over 18 / 2 —
# A and X tie; by history X had fewer (3 and 5 against 9 and 9): X out, A elected alone in
# round 5 with 9 and 11 exhausted. A drawn or ordered out instead: X elected with 9.
NAMES = ["A", "X", "Y", "E", "F"]
TIES = RankedProfile.from_orders(
    NAMES,
    [["A"]] * 9 + [["X", "Y"]] * 3 + [["Y", "X"]] * 4 + [["E", "X", "Y"]] * 2 + [["F", "Y"], ["F"]],
)
E_FIRST = "seed-1"
"""A seed whose lot draws E before F (and whose permutation is X, A, Y, E, F)."""
LOT_SEED = "seed-5"
"""A seed whose lot draws E before F, Y before X and A before X."""

R1 = {"A": 9.0, "X": 3.0, "Y": 4.0, "E": 2.0, "F": 2.0}
R2_E_OUT = {"A": 9.0, "X": 5.0, "Y": 4.0, "F": 2.0}
R2_F_OUT = {"A": 9.0, "X": 3.0, "Y": 5.0, "E": 2.0}
R3 = {"A": 9.0, "X": 5.0, "Y": 5.0}


Step = tuple[dict[str, float], tuple[str, ...], tuple[str, ...], float]


def rounds(result: Result) -> list[Step]:
    return [(r.tallies, r.eliminated, r.elected, r.exhausted) for r in result.rounds]


def ties(result: Result) -> list[tuple[int | None, str, tuple[str, ...], str, tuple[str, ...]]]:
    return [(t.round, t.purpose, t.tied, t.rule, t.chosen) for t in result.ties]


def test_the_seeds_draw_as_the_worked_example_says():
    def drawn_before(seed: str, a: str, b: str) -> bool:
        return lot_key(seed, a) < lot_key(seed, b)

    assert drawn_before(E_FIRST, "E", "F")
    assert drawn_before(LOT_SEED, "E", "F")
    assert drawn_before(LOT_SEED, "Y", "X")
    assert drawn_before(LOT_SEED, "A", "X")
    assert permutation(NAMES, E_FIRST) == ("X", "A", "Y", "E", "F")


def test_default_is_the_methods_own_rule_and_states_no_mode():
    default = tally("irv", TIES, seed=E_FIRST)
    earlier = tally("irv", TIES, seed=E_FIRST, tie_break=TieBreak(mode="earlier-round"))
    assert rounds(default) == rounds(earlier)
    assert b'"tie_break"' not in msgspec.json.encode(default)
    assert earlier.tie_break == TieBreak(mode="earlier-round")


def test_earlier_round_compares_from_the_first_round():
    result = tally("irv", TIES, seed=E_FIRST, tie_break=TieBreak(mode="earlier-round"))
    assert rounds(result) == [
        (R1, ("E",), (), 0.0),
        (R2_E_OUT, ("F",), (), 0.0),
        (R3, ("X",), (), 1.0),
        ({"A": 9.0, "Y": 10.0}, (), ("Y",), 1.0),
    ]
    assert ties(result) == [
        (1, "eliminate", ("E", "F"), "lot", ("E",)),
        (3, "eliminate", ("X", "Y"), "earlier-round", ("X",)),
    ]
    assert result.winners == ("Y",)


def test_later_round_compares_from_the_most_recent_round():
    result = tally("irv", TIES, seed=E_FIRST, tie_break=TieBreak(mode="later-round"))
    assert rounds(result) == [
        (R1, ("E",), (), 0.0),
        (R2_E_OUT, ("F",), (), 0.0),
        (R3, ("Y",), (), 1.0),
        ({"A": 9.0, "X": 9.0}, ("X",), (), 2.0),
        ({"A": 9.0}, (), ("A",), 11.0),
    ]
    assert ties(result) == [
        (1, "eliminate", ("E", "F"), "lot", ("E",)),
        (3, "eliminate", ("X", "Y"), "later-round", ("Y",)),
        (4, "eliminate", ("A", "X"), "later-round", ("X",)),
    ]
    assert result.winners == ("A",)


def test_lot_draws_at_once_without_comparing_rounds():
    result = tally("irv", TIES, seed=LOT_SEED, tie_break=TieBreak(mode="lot"))
    assert rounds(result) == [
        (R1, ("E",), (), 0.0),
        (R2_E_OUT, ("F",), (), 0.0),
        (R3, ("Y",), (), 1.0),
        ({"A": 9.0, "X": 9.0}, ("A",), (), 2.0),
        ({"X": 9.0}, (), ("X",), 11.0),
    ]
    assert [t.rule for t in result.ties] == ["lot", "lot", "lot"]
    assert result.winners == ("X",)


def test_candidate_order_eliminates_the_one_listed_last():
    order = ("A", "X", "Y", "E", "F")
    mode = TieBreak(mode="candidate-order", order=order)
    result = tally("irv", TIES, tie_break=mode)  # no seed: the order decides every tie
    assert rounds(result) == [
        (R1, ("F",), (), 0.0),
        (R2_F_OUT, ("E",), (), 1.0),
        (R3, ("Y",), (), 1.0),
        ({"A": 9.0, "X": 9.0}, ("X",), (), 2.0),
        ({"A": 9.0}, (), ("A",), 11.0),
    ]
    assert ties(result) == [
        (1, "eliminate", ("E", "F"), "candidate-order", ("F",)),
        (3, "eliminate", ("X", "Y"), "candidate-order", ("Y",)),
        (4, "eliminate", ("A", "X"), "candidate-order", ("X",)),
    ]
    assert result.tie_break == mode


def test_permutation_is_drawn_once_stated_and_followed():
    result = tally("irv", TIES, seed=E_FIRST, tie_break=TieBreak(mode="permutation"))
    # the permutation X, A, Y, E, F: the one latest in it is eliminated
    assert result.tie_break == TieBreak(mode="permutation", order=("X", "A", "Y", "E", "F"))
    assert rounds(result) == [
        (R1, ("F",), (), 0.0),
        (R2_F_OUT, ("E",), (), 1.0),
        (R3, ("Y",), (), 1.0),
        ({"A": 9.0, "X": 9.0}, ("A",), (), 2.0),
        ({"X": 9.0}, (), ("X",), 11.0),
    ]
    assert [t.rule for t in result.ties] == ["permutation"] * 3


def test_ask_raises_with_round_purpose_and_names_then_follows_the_answers():
    with pytest.raises(TieUnresolved) as first:
        tally("irv", TIES, tie_break=TieBreak(mode="ask"))
    asked = first.value
    assert (asked.round, asked.purpose, asked.tied, asked.asked) == (
        1,
        "eliminate",
        ("E", "F"),
        True,
    )
    answers = [TieAnswer(round=1, purpose="eliminate", tied=("E", "F"), chosen=("F",))]
    with pytest.raises(TieUnresolved) as second:  # the first answered, only the next asked
        tally("irv", TIES, tie_break=TieBreak(mode="ask", answers=tuple(answers)))
    assert (second.value.round, second.value.tied) == (3, ("X", "Y"))
    answers += [
        TieAnswer(round=3, purpose="eliminate", tied=("X", "Y"), chosen=("Y",)),
        TieAnswer(round=4, purpose="eliminate", tied=("A", "X"), chosen=("A",)),
    ]
    result = tally("irv", TIES, tie_break=TieBreak(mode="ask", answers=tuple(answers)))
    assert rounds(result) == [
        (R1, ("F",), (), 0.0),
        (R2_F_OUT, ("E",), (), 1.0),
        (R3, ("Y",), (), 1.0),
        ({"A": 9.0, "X": 9.0}, ("A",), (), 2.0),
        ({"X": 9.0}, (), ("X",), 11.0),
    ]
    assert [t.rule for t in result.ties] == ["operator"] * 3
    assert result.tie_break == TieBreak(mode="ask", answers=tuple(answers))


def test_later_round_then_ask_asks_only_what_history_leaves():
    with pytest.raises(TieUnresolved) as caught:
        tally("irv", TIES, tie_break=TieBreak(mode="later-round-then-ask"))
    assert (caught.value.round, caught.value.tied) == (1, ("E", "F"))
    answer = TieAnswer(round=1, purpose="eliminate", tied=("E", "F"), chosen=("E",))
    mode = TieBreak(mode="later-round-then-ask", answers=(answer,))
    result = tally("irv", TIES, tie_break=mode)
    assert [r.eliminated for r in result.rounds] == [("E",), ("F",), ("Y",), ("X",), ()]
    assert ties(result)[1:] == [
        (3, "eliminate", ("X", "Y"), "later-round", ("Y",)),
        (4, "eliminate", ("A", "X"), "later-round", ("X",)),
    ]
    assert result.winners == ("A",)


def test_an_answer_must_choose_among_the_tied():
    bad = TieAnswer(round=1, purpose="eliminate", tied=("E", "F"), chosen=("A",))
    with pytest.raises(OptionError, match="must choose 1 of them, not A"):
        tally("irv", TIES, tie_break=TieBreak(mode="ask", answers=(bad,)))


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        (TieBreak(mode="coin"), "tie-break mode must be one of earlier-round, "),
        (TieBreak(mode="candidate-order", order=("A", "X")), "missing: Y, E, F"),
        (TieBreak(mode="candidate-order", order=(*NAMES, "Z")), "not candidates: Z"),
        (TieBreak(mode="lot", order=("A",)), "only with candidate-order, not lot"),
        (TieBreak(mode="permutation"), "permutation needs a lot seed"),
    ],
)
def test_a_bad_mode_is_refused_with_what_is_wrong(mode: TieBreak, message: str):
    with pytest.raises(OptionError, match=message):
        tally("irv", TIES, tie_break=mode)


def test_a_question_pickles_whole():
    asked = TieUnresolved("asks", ("E", "F"), 1, "eliminate", asked=True)
    again = pickle.loads(pickle.dumps(asked))
    assert (again.tied, again.round, again.purpose, again.asked) == (
        ("E", "F"),
        1,
        "eliminate",
        True,
    )


def test_stv_follows_the_mode_too():
    # 2 seats; 3 × a, 2 × b, 2 × c: a reaches the quota (7 / 3 + 1 = 3) and is elected with
    # no surplus; b and c tie at 2 at every stage: one is excluded as the mode says
    profile = RankedProfile.from_orders(list("abc"), [["a"]] * 3 + [["b"]] * 2 + [["c"]] * 2)
    with pytest.raises(TieUnresolved) as caught:
        tally("stv", profile, seats=2, tie_break=TieBreak(mode="ask"))
    assert caught.value.tied == ("b", "c")
    assert caught.value.asked
    ordered = tally(
        "stv", profile, seats=2, tie_break=TieBreak(mode="candidate-order", order=("c", "b", "a"))
    )
    assert set(ordered.winners) == {"a", "c"}


def test_a_plurality_tie_for_the_seat_goes_to_the_first_listed():
    profile = RankedProfile.from_orders(list("ab"), [["a"], ["b"]])
    mode = TieBreak(mode="candidate-order", order=("b", "a"))
    result = tally("plurality", profile, tie_break=mode)
    assert result.winners == ("b",)
    assert ties(result) == [(None, "win", ("a", "b"), "candidate-order", ("b",))]
