"""The stored form of a ballot (its marks): a normalised ballot and its marks give each other
back, and the canonical JSON written straight from the marks is the canonical encoder's."""

from __future__ import annotations

import struct

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ballots.digest import canonical_ballot
from ballots.errors import FormatError
from ballots.kinds import Ballot, BallotRules, RankedBallot, ScoreBallot
from ballots.marks import ballot_of, canonical_of, marks_of, marks_table
from ballots.validate import validate

SLATE = ("儿童游乐设施", "健康监测站", '文化"墙', "back\\slash", "Zebra", "é", "\u2028line")


def test_a_ranked_ballot_with_a_tie_and_an_unranked_option():
    # 健康监测站 first; 儿童游乐设施 and Zebra tied second; the rest unranked
    ballot = RankedBallot(ranking=(("健康监测站",), ("儿童游乐设施", "Zebra")))
    marks = marks_of(ballot, SLATE)
    assert struct.unpack("<7h", marks) == (1, 0, -1, -1, 1, -1, -1)
    assert ballot_of(marks, "ranked", SLATE) == ballot
    assert canonical_of(marks, "ranked", SLATE) == (
        '{"kind":"ranked","ranking":[["健康监测站"],["儿童游乐设施","Zebra"]]}'
    )


def test_scores_left_out_are_zero_and_keys_are_sorted():
    ballot = ScoreBallot(scores={"Zebra": 2, "é": 5})
    marks = marks_of(ballot, SLATE)
    assert struct.unpack("<7h", marks) == (0, 0, 0, 0, 2, 5, 0)
    assert canonical_of(marks, "score", SLATE) == '{"kind":"score","scores":{"Zebra":2,"é":5}}'


def test_marks_of_the_wrong_length_are_refused():
    with pytest.raises(FormatError, match="3 bytes of marks for a slate of 7 candidates"):
        ballot_of(b"\x00\x00\x00", "ranked", SLATE)
    with pytest.raises(FormatError):
        canonical_of(b"\x00" * 4, "approval", SLATE)


def test_marks_table_has_one_row_per_ballot():
    rows = marks_of(RankedBallot(ranking=(("Zebra",),)), SLATE) * 3
    assert marks_table(rows, len(SLATE)).shape == (3, 7)


@st.composite
def ballots(draw: st.DrawFn) -> tuple[str, object]:
    """A ballot of any kind over :data:`SLATE`, as a voter might write it."""
    kind = draw(st.sampled_from(["ranked", "approval", "budget", "score"]))
    chosen = draw(st.lists(st.sampled_from(SLATE), unique=True, max_size=len(SLATE)))
    if kind == "ranked":
        cuts = sorted(draw(st.sets(st.integers(1, max(1, len(chosen))), max_size=3)))
        groups, start = [], 0
        for cut in [*cuts, len(chosen)]:
            if chosen[start:cut]:
                groups.append(chosen[start:cut])
            start = cut
        return kind, {"kind": kind, "ranking": groups}
    if kind == "score":
        return kind, {"kind": kind, "scores": {n: draw(st.integers(0, 5)) for n in chosen}}
    return kind, {"kind": kind, "approved": chosen}


@given(ballots())
def test_marks_give_the_normalised_ballot_and_its_canonical_json(drawn):
    kind, raw = drawn
    costs = (1.0,) * len(SLATE) if kind == "budget" else None
    rules = BallotRules(
        kind=kind,
        candidates=SLATE,
        allow_ties=True,
        allow_empty=True,
        costs=costs,
        budget=100.0 if kind == "budget" else None,
    )
    valid = validate(msgspec.convert(raw, Ballot), rules)
    marks = marks_of(valid, SLATE)
    assert ballot_of(marks, kind, SLATE) == valid
    assert canonical_of(marks, kind, SLATE) == canonical_ballot(valid).decode()
