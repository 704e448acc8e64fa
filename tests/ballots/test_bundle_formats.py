"""A bundle's ballots written as BLT, PrefLib and pabulib files read back with
:mod:`ballots.formats` and count to the same result (so outside tools can recount)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ballots.box import BallotBox
from ballots.formats import read_ballots, write_ballots
from ballots.kinds import BudgetBallot
from ballots.recount import ballot_box, ballots_of, published_count, round_from_box
from engine import tally
from engine.profile import ApprovalProfile
from tests.support.park import BUDGET_BALLOTS, BUDGET_COSTS, BUDGET_OPTIONS, park_bundle


def budget_box() -> BallotBox:
    rows = [
        [name in approved for name in BUDGET_OPTIONS]
        for n, approved in BUDGET_BALLOTS
        for _ in range(n)
    ]
    profile = ApprovalProfile.from_matrix(BUDGET_OPTIONS, rows, costs=BUDGET_COSTS, budget=200000)
    return BallotBox(profile=profile, format="test", title="预算分配")


@pytest.mark.parametrize(("fmt", "name"), [("blt", "park.blt"), ("preflib", "park.soi")])
def test_ranked_ballots_round_trip_through_outside_formats(tmp_path: Path, fmt, name) -> None:
    record = park_bundle().rounds[0]
    path = tmp_path / name
    write_ballots(ballot_box(record, "口袋公园"), path, format=fmt)
    again = read_ballots(path)
    assert again.profile.candidates == record.rules.candidates
    assert again.profile.total == 72
    result = tally("irv", again.profile, seed=record.result.seed)
    assert result == record.result


def test_budget_ballots_round_trip_through_pabulib(tmp_path: Path) -> None:
    record = round_from_box(budget_box(), "equal-shares")
    # Equal Shares funds the fitness equipment (28 supporters) and the play equipment
    assert record.result.winners == ("健身器材", "儿童游乐设施")
    path = tmp_path / "park.pb"
    write_ballots(ballot_box(record, "口袋公园"), path)
    text = path.read_text(encoding="utf-8")
    assert "project_id;cost;votes;name;selected\n1;120000;22;儿童游乐设施;1\n" in text
    assert "redbench_candidates;name\n" in text
    again = read_ballots(path)
    # projects are numbered in the file, and counted under their names again
    assert again.profile.candidates == BUDGET_OPTIONS
    assert again.official == ("儿童游乐设施", "健身器材")
    assert again.published == published_count(record)
    assert tally("equal-shares", again.profile, seed=record.result.seed) == record.result


def test_every_voter_becomes_one_ballot_of_the_bundle() -> None:
    record = round_from_box(budget_box(), "greedy")
    assert len(record.ballots) == 40
    assert all(isinstance(e.ballot, BudgetBallot) for e in record.ballots)
    assert sorted(c for _, c in ballots_of(budget_box().profile)) == [4, 5, 6, 7, 8, 10]
    assert record.rules.costs == BUDGET_COSTS
    assert record.rules.budget == 200000
    assert tuple(s.cost for s in record.slate) == BUDGET_COSTS
