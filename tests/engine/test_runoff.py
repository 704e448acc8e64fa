"""Instant runoff, Bucklin and STAR on hand-worked profiles."""

from __future__ import annotations

import pytest

from engine import RankedProfile, ScoreProfile, Tie, TieUnresolved, tally
from engine.tiebreak import lot_key

# 4 × a>b>c, 3 × b>c, 2 × c>b, 2 × d>c
FOUR = RankedProfile.from_orders(
    list("abcd"), [["a", "b", "c"]] * 4 + [["b", "c"]] * 3 + [["c", "b"]] * 2 + [["d", "c"]] * 2
)


def test_irv_round_by_round():
    # round 1: a 4, b 3, c 2, d 2 — c and d tie for last; earlier rounds cannot separate them
    # (there are none), so the lot decides. With seed "1" the lot eliminates d:
    # round 2: a 4, b 3, c 4 (d's 2 go to c) → b out; round 3: a 4, c 7 (b's 3 go to c).
    result = tally("irv", FOUR, seed="1")
    assert [r.tallies for r in result.rounds] == [
        {"a": 4.0, "b": 3.0, "c": 2.0, "d": 2.0},
        {"a": 4.0, "b": 3.0, "c": 4.0},
        {"a": 4.0, "c": 7.0},
    ]
    assert [r.eliminated for r in result.rounds] == [("d",), ("b",), ()]
    assert result.winners == ("c",)
    assert result.ranking == (("c",), ("a",), ("b",), ("d",))
    assert result.rounds[1].transfers[0].received == {"a": 0.0, "b": 0.0, "c": 2.0}


def test_irv_tie_uses_earlier_round():
    # round 1: a 5, b 4, c 3, d 1 → d out, its vote goes to c.
    # round 2: a 5, b 4, c 4 — b and c tie for last; in round 1 c had fewer (3 < 4): c out.
    profile = RankedProfile.from_orders(
        list("abcd"), [["a"]] * 5 + [["b"]] * 4 + [["c"]] * 3 + [["d", "c"]]
    )
    result = tally("irv", profile)  # no seed needed: the earlier round decides
    assert result.rounds[1].eliminated == ("c",)
    assert result.ties[0].rule == "earlier-round"
    assert result.ties[0].tied == ("b", "c")
    assert result.ties[0].chosen == ("c",)
    assert result.winners == ("a",)


# The example (PrefLib soi): 40 W, 30 Z>X, 20 X>Z, 20 Y>X>W, 10 Q1>Y>X>W,
# 10 Q2>X>Z, 5 Q2>W; 135 ballots.
CONTINUED = RankedProfile.from_orders(
    ["W", "X", "Y", "Z", "Q1", "Q2"],
    [["W"]] * 40
    + [["Z", "X"]] * 30
    + [["X", "Z"]] * 20
    + [["Y", "X", "W"]] * 20
    + [["Q1", "Y", "X", "W"]] * 10
    + [["Q2", "X", "Z"]] * 10
    + [["Q2", "W"]] * 5,
)


@pytest.mark.parametrize("seed", [None, "1", "2", "3", "4", "7", "8", "bench"])
def test_irv_tie_narrowing_continues_to_later_rounds(seed):
    # "Candidates tied for last are compared round by round from the first ... and the ones
    # still tied are compared at the next round, and so on."
    # round 1: W 40, X 20, Y 20, Z 30, Q1 10, Q2 15 -> Q1 out, its 10 go to Y
    # round 2: W 40, X 20, Y 30, Z 30, Q2 15 -> Q2 out: 10 to X, 5 to W
    # round 3: W 45, X 30, Y 30, Z 30 -> X, Y, Z tie for last. Round 1 spares Z (30 > 20)
    #   and leaves X = Y = 20; round 2 goes on with them: X 20 < Y 30, so X is out
    #   (no lot is needed, so no seed either); X's 30 go to Z
    # round 4: W 45, Y 30, Z 60 -> Y out, its 30 go to W
    # round 5: W 75, Z 60 -> W has 75 of 135 > 67.5 and wins
    result = tally("irv", CONTINUED, seed=seed)
    assert [r.eliminated for r in result.rounds] == [("Q1",), ("Q2",), ("X",), ("Y",), ()]
    assert result.rounds[2].tallies == {"W": 45.0, "X": 30.0, "Y": 30.0, "Z": 30.0}
    assert result.rounds[4].tallies == {"W": 75.0, "Z": 60.0}
    assert result.ties == (
        Tie(
            round=3, purpose="eliminate", tied=("X", "Y", "Z"), rule="earlier-round", chosen=("X",)
        ),
    )
    assert result.winners == ("W",)


# 10 A, 4 B, 4 C, 5 D, 1 E, 1 F>B, 1 F>C: 26 ballots
NEVER_APART = RankedProfile.from_orders(
    list("ABCDEF"),
    [["A"]] * 10 + [["B"]] * 4 + [["C"]] * 4 + [["D"]] * 5 + [["E"]] + [["F", "B"]] + [["F", "C"]],
)


def test_irv_tie_still_equal_in_every_round_goes_to_lot_among_the_narrowed():
    # round 1: A 10, B 4, C 4, D 5, E 1, F 2 -> E out (its ballot exhausts)
    # round 2: A 10, B 4, C 4, D 5, F 2 -> F out, one ballot each to B and C
    # round 3: A 10, B 5, C 5, D 5 -> B, C, D tie. Round 1 spares D (5 > 4), round 2 leaves
    #   B = C = 4 again: the lot decides between B and C only.
    with pytest.raises(TieUnresolved, match="B, C"):
        tally("irv", NEVER_APART)
    result = tally("irv", NEVER_APART, seed="x")
    drawn = min("BC", key=lambda name: lot_key("x", name))
    assert result.rounds[2].eliminated == (drawn,)
    assert result.ties[:2] == (
        Tie(
            round=3,
            purpose="eliminate",
            tied=("B", "C", "D"),
            rule="earlier-round",
            chosen=("B", "C"),
        ),
        Tie(round=3, purpose="eliminate", tied=("B", "C"), rule="lot", chosen=(drawn,)),
    )


def test_irv_tie_without_history_goes_to_lot_and_is_reproducible():
    first = tally("irv", FOUR, seed="bench-42")
    again = tally("irv", FOUR, seed="bench-42")
    assert first == again
    assert first.ties[0].rule == "lot"
    assert first.ties[0].tied == ("c", "d")


def test_irv_majority_in_first_round_stops():
    profile = RankedProfile.from_orders(list("ab"), [["a"]] * 3 + [["b"]] * 2)
    result = tally("irv", profile)
    assert len(result.rounds) == 1
    assert result.rounds[0].elected == ("a",)


def test_irv_counts_exhausted_ballots():
    # 2 × a, 2 × b, 1 × c (no later preference): c out, its ballot exhausts → a 2, b 2 tie,
    # earlier round equal too → lot.
    profile = RankedProfile.from_orders(list("abc"), [["a"]] * 2 + [["b"]] * 2 + [["c"]])
    result = tally("irv", profile, seed="x")
    assert result.rounds[1].exhausted == 1.0


def test_irv_batch_eliminates_hopeless_candidates_together():
    # a 10, b 8, c 2, d 1: c + d = 3 < 8, so both go at once in batch mode
    profile = RankedProfile.from_orders(
        list("abcd"), [["a"]] * 10 + [["b"]] * 8 + [["c", "b"]] * 2 + [["d", "b"]]
    )
    batch = tally("irv", profile, batch=True)
    assert batch.rounds[0].eliminated == ("c", "d")
    single = tally("irv", profile)
    assert single.rounds[0].eliminated == ("d",)
    assert batch.winners == single.winners == ("b",)


def test_bucklin_adds_later_preferences_until_majority():
    # 11 voters. Round 1 (firsts): a 4, b 3, c 2, d 2 — no majority (need > 5.5).
    # Round 2 (firsts + seconds): a 4, b 4+2=6, c 3+2+... → b 7? count: a>b>c ×4 gives b;
    # b>c ×3 gives c; c>b ×2 gives b; d>c ×2 gives c. b = 3+4+2 = 9, c = 2+3+2 = 7.
    result = tally("bucklin", FOUR)
    assert result.rounds[0].tallies == {"a": 4.0, "b": 3.0, "c": 2.0, "d": 2.0}
    assert result.rounds[1].tallies == {"a": 4.0, "b": 9.0, "c": 7.0, "d": 2.0}
    assert result.winners == ("b",)


def test_star_runoff_between_two_highest_scores():
    # totals: x = 5+5+0 = 10, y = 4+4+5 = 13, z = 0+0+4 = 4 → runoff y vs x:
    # ballots 1, 2 prefer x (5 > 4), ballot 3 prefers y → x wins 2–1 despite the lower total.
    profile = ScoreProfile.from_matrix(
        ["x", "y", "z"], [[5, 4, 0], [5, 4, 0], [0, 5, 4]], max_score=5
    )
    result = tally("star", profile)
    assert result.rounds[0].tallies == {"x": 10.0, "y": 13.0, "z": 4.0}
    assert result.rounds[1].tallies == {"x": 2.0, "y": 1.0}
    assert result.winners == ("x",)


def test_star_runoff_tie_goes_to_higher_score():
    # x vs y: one ballot each way; totals x 5+1 = 6, y 2+5 = 7 → y wins on total score
    profile = ScoreProfile.from_matrix(["x", "y"], [[5, 2], [1, 5]], max_score=5)
    result = tally("star", profile)
    assert result.winners == ("y",)
    assert result.ties[0].rule == "higher-score"


def test_irv_tied_top_choice_is_an_overvote_for_good():
    # 3 × a, 2 × b, 1 × (c=b)>a: round 1 the tied ballot counts for nobody: a 3, b 2, c 0.
    # a has 3 of 5 votes in play (> half) and wins; the overvote stays exhausted.
    profile = RankedProfile.from_orders(
        list("abc"), [["a"]] * 3 + [["b"]] * 2 + [[["c", "b"], "a"]]
    )
    result = tally("irv", profile)
    assert result.rounds[0].tallies == {"a": 3.0, "b": 2.0, "c": 0.0}
    assert result.rounds[0].exhausted == 1.0
    assert result.winners == ("a",)


def test_irv_with_every_ballot_an_overvote_gives_no_decision():
    # "if every ballot is one [an overvote], there is no decision": 3 × (a=b)>c, 2 × (b=c)
    profile = RankedProfile.from_orders(list("abc"), [[["a", "b"], "c"]] * 3 + [[["b", "c"]]] * 2)
    result = tally("irv", profile)  # no seed needed: no lot is drawn
    assert result.no_decision == "no-valid-ballots"
    assert result.winners == ()
    assert result.ballots == 5
