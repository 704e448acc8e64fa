"""The validity rule: quorum arithmetic (exact half, rounding up, each kind) and the
winner's share for each method family."""

from __future__ import annotations

import msgspec
import pytest

from engine.result import Result, Round
from engine.validity import (
    HALF,
    MORE_THAN_HALF,
    Share,
    Validity,
    decide,
    quorum,
    winner_votes,
)

TWO_THIRDS = Share(numerator=2, denominator=3)


def result(method: str, winner: str, tallies: list[dict[str, float]], ballots: int) -> Result:
    names = tuple(sorted({n for t in tallies for n in t}))
    return Result(
        method=method,
        options={},
        candidates=names,
        ballots=ballots,
        winners=(winner,),
        rounds=tuple(Round(number=i + 1, tallies=t) for i, t in enumerate(tallies)),
    )


def test_exact_half_is_enough() -> None:
    rule = Validity(quorum="households", quorum_share=HALF)
    assert quorum(rule, 15, 30).reached
    assert quorum(rule, 15, 30).required == 15
    assert not quorum(rule, 14, 30).reached
    assert quorum(rule, 14, 30).missing == 1


def test_required_rounds_up() -> None:
    rule = Validity(quorum="households", quorum_share=HALF)
    assert quorum(rule, 15, 31).required == 16
    assert not quorum(rule, 15, 31).reached
    assert quorum(Validity(quorum="codes", quorum_share=TWO_THIRDS), 20, 30).required == 20
    assert quorum(Validity(quorum="codes", quorum_share=TWO_THIRDS), 20, 31).required == 21


def test_each_quorum_kind() -> None:
    none = quorum(Validity(), 0, 0)
    assert none.reached
    assert none.required == 0
    assert none.kind == "none"
    count = quorum(Validity(quorum="count", quorum_count=12), 11, 999)
    assert (count.required, count.reached, count.missing, count.base) == (12, False, 1, None)
    codes = quorum(Validity(quorum="codes", quorum_share=HALF), 5, 10)
    assert (codes.kind, codes.base, codes.reached) == ("codes", 10, True)
    empty = quorum(Validity(quorum="households", quorum_share=HALF), 0, 0)
    assert empty.required == 1
    assert not empty.reached


def test_share_bounds_refused() -> None:
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert({"numerator": 3, "denominator": 2}, Share)
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert({"numerator": 0, "denominator": 2}, Share)


def test_irv_winner_share_uses_last_round_over_valid_ballots() -> None:
    # 10 valid ballots; the final round gives A 6 and B 3, one exhausted: A holds 6/10.
    counted = result("irv", "A", [{"A": 4, "B": 3, "C": 3}, {"A": 6, "B": 3}], ballots=10)
    assert winner_votes(counted) == 6
    rule = Validity(winner_share=TWO_THIRDS)
    verdict = decide(rule, quorum(rule, 10, 10), counted)
    assert not verdict.valid
    (reason,) = verdict.reasons
    assert (reason.code, reason.votes, reason.valid) == ("winner-share", 6, 10)
    assert decide(
        Validity(winner_share=Share(numerator=3, denominator=5)), quorum(rule, 0, 0), counted
    ).valid


def test_plurality_exact_half_meets_half() -> None:
    counted = result("plurality", "A", [{"A": 5, "B": 5}], ballots=10)
    rule = Validity(winner_share=HALF)
    assert decide(rule, quorum(rule, 0, 0), counted).valid


def test_approval_share_is_approvals_over_ballots() -> None:
    counted = result("approval", "A", [{"A": 7, "B": 9}], ballots=20)
    assert winner_votes(counted, kind="approval") == 7
    rule = Validity(winner_share=HALF)
    verdict = decide(rule, quorum(rule, 0, 0), counted, kind="approval")
    assert not verdict.valid
    assert verdict.reasons[0].votes == 7


def test_points_methods_and_multi_seat_hold_to_the_quorum_only() -> None:
    rule = Validity(quorum="count", quorum_count=3, winner_share=HALF)
    borda = result("borda", "A", [{"A": 2, "B": 40}], ballots=20)
    verdict = decide(rule, quorum(rule, 3, 0), borda)
    assert verdict.valid
    assert not verdict.winner_share_applies
    stv = result("stv", "A", [{"A": 1, "B": 1}], ballots=20)
    assert decide(rule, quorum(rule, 3, 0), stv, seats=2).valid
    assert winner_votes(stv, seats=2) is None


def test_quorum_reason_comes_first() -> None:
    rule = Validity(quorum="households", quorum_share=HALF, winner_share=HALF)
    counted = result("plurality", "A", [{"A": 4, "B": 6}], ballots=10)
    verdict = decide(rule, quorum(rule, 12, 30), counted)
    assert [r.code for r in verdict.reasons] == ["quorum", "winner-share"]
    assert (verdict.reasons[0].present, verdict.reasons[0].required) == (12, 15)


def test_no_decision_fails_a_winner_share() -> None:
    rule = Validity(winner_share=HALF)
    empty = Result(
        method="plurality",
        options={},
        candidates=("A",),
        ballots=0,
        winners=(),
        no_decision="no-ballots",
    )
    verdict = decide(rule, quorum(rule, 0, 0), empty)
    assert [r.code for r in verdict.reasons] == ["no-decision"]


# --- 过半数: a strict share (review item 11) ---------------------------------------------


def test_more_than_half_needs_strictly_more_than_half():
    assert MORE_THAN_HALF.of(30) == 16  # 15 is exactly half: not enough
    assert MORE_THAN_HALF.of(31) == 16
    assert MORE_THAN_HALF.of(1) == 1
    assert not MORE_THAN_HALF.reached(15, 30)
    assert MORE_THAN_HALF.reached(16, 30)
    assert HALF.reached(15, 30)
    assert not MORE_THAN_HALF.reached(0, 0)


def test_a_strict_share_of_a_quorum_and_a_winner():
    rule = Validity(quorum="households", quorum_share=MORE_THAN_HALF)
    assert quorum(rule, 15, 30).required == 16
    assert not quorum(rule, 15, 30).reached
    assert quorum(Validity(quorum="households"), 15, 30).reached
    strict = Share(numerator=2, denominator=3, strict=True)
    assert strict.of(30) == 21
    assert strict.reached(20.5, 30)
    assert not strict.reached(20, 30)


def test_nothing_is_more_than_all():
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert({"numerator": 1, "denominator": 1, "strict": True}, Share)


def test_a_share_that_is_not_strict_encodes_as_before():
    assert msgspec.json.encode(HALF) == b'{"numerator":1,"denominator":2}'
    assert msgspec.json.decode(msgspec.json.encode(MORE_THAN_HALF), type=Share) == MORE_THAN_HALF
