"""A round's settings as stored: each Struct round-trips through its column type, a value
the type does not describe is refused both ways, and the ballot rules are built from them
with the defaults stated once."""

from __future__ import annotations

import msgspec
import pytest

from engine.process import ProcessPhase, RoundPhase
from service.db.models import Process, Round
from service.db.types import EnumText, StructJSON
from service.rounds.settings import BallotSettings, RoundOptions, SlateOption, ballot_rules

SLATE = [
    SlateOption(proposal_id=1, name="文化墙", cost_cents=2_000_000),
    SlateOption(proposal_id=2, name="健身器材", cost_cents=None),
]


@pytest.mark.parametrize(
    ("shape", "value"),
    [
        (RoundOptions, RoundOptions()),
        (RoundOptions, RoundOptions(seats=3, tie_policy="refuse", own={"rules": "meek"})),
        (RoundOptions, RoundOptions(budget=100_000.5, own={"completion": "add1"})),
        (BallotSettings, BallotSettings()),
        (BallotSettings, BallotSettings(allow_ties=True, max_approvals=2, max_score=10)),
        (list[SlateOption], SLATE),
    ],
)
def test_settings_round_trip_through_their_column(shape, value) -> None:
    column = StructJSON(shape)
    stored = column.process_bind_param(value, None)
    assert msgspec.json.decode(msgspec.json.encode(stored)) == stored  # plain JSON
    assert column.process_result_value(stored, None) == value


def test_the_options_round_trip_through_the_shape_the_api_shows() -> None:
    options = RoundOptions(seats=2, tie_policy="refuse", budget=150000, own={"batch": True})
    assert options.shown() == {
        "seats": 2,
        "tie_policy": "refuse",
        "budget": 150000,
        "batch": True,
    }
    assert RoundOptions.of(options.shown()) == options
    assert RoundOptions().shown() == {"seats": 1, "tie_policy": "lot"}  # no budget set


def test_a_plain_mapping_is_not_written_for_a_struct() -> None:
    with pytest.raises(TypeError, match="is not a value of"):
        StructJSON(RoundOptions).process_bind_param({"seats": 2}, None)


def test_a_stored_value_the_struct_does_not_name_fails_when_read() -> None:
    with pytest.raises(msgspec.ValidationError, match="unknown field `allow_empty`"):
        StructJSON(BallotSettings).process_result_value({"allow_empty": True}, None)
    with pytest.raises(msgspec.ValidationError, match=r"Expected `int`, got `null`"):
        StructJSON(BallotSettings).process_result_value({"max_score": None}, None)


def test_a_score_round_allows_five_points_unless_it_says_otherwise() -> None:
    row = Round(ballot_kind="score", options=RoundOptions(), rules=BallotSettings(), slate=SLATE)
    assert ballot_rules(row).max_score == 5
    row.rules = BallotSettings(max_score=10)
    assert ballot_rules(row).max_score == 10


def test_a_budget_round_has_its_costs_and_budget_in_yuan() -> None:
    row = Round(
        ballot_kind="budget",
        options=RoundOptions(budget=30_000),
        rules=BallotSettings(max_approvals=1),
        slate=SLATE,
    )
    rules = ballot_rules(row)
    assert (rules.costs, rules.budget, rules.max_approvals) == ((20_000.0, 0.0), 30_000.0, 1)
    assert (
        ballot_rules(
            Round(ballot_kind="ranked", options=row.options, rules=row.rules, slate=SLATE)
        ).budget
        is None
    )


def test_phases_are_held_as_their_members() -> None:
    round_row = Round(phase="voting")
    assert round_row.phase is RoundPhase.VOTING
    assert Process(phase="deliberating").phase is ProcessPhase.DELIBERATING
    column = EnumText(RoundPhase, 20)
    assert column.process_bind_param(RoundPhase.CLOSED, None) == "closed"
    assert column.process_result_value("closed", None) is RoundPhase.CLOSED
    with pytest.raises(ValueError, match="'votng' is not a valid RoundPhase"):
        column.process_bind_param("votng", None)
