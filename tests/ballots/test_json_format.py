"""Red Bench's JSON ballot file: reading, strict errors with JSON paths, deterministic writing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ballots.box import BallotBox
from ballots.errors import FormatError
from ballots.formats import json_
from engine.profile import ApprovalProfile, RankedProfile, ScoreProfile
from engine.registry import tally
from tests.support.park import PARK
from tests.support.paths import DEMO


def write_doc(tmp_path: Path, doc: object, name: str = "box.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def ranked_doc(ballots: list[object], **extra: object) -> dict[str, object]:
    return {
        "format": "redbench-ballots",
        "version": 1,
        "title": "测试",
        "rules": {"kind": "ranked", "candidates": ["a", "b", "c"]},
        "ballots": ballots,
        **extra,
    }


def test_read_plain_and_counted_ballots(tmp_path: Path) -> None:
    doc = ranked_doc(
        [
            {"kind": "ranked", "ranking": [["a"], ["b"]]},
            {"count": 4, "ballot": {"kind": "ranked", "ranking": [["c"]]}},
            {"kind": "ranked", "ranking": [["a"], ["b"]]},
        ],
        seats=1,
    )
    box = json_.read(write_doc(tmp_path, doc))
    assert box.format == "json"
    assert (box.title, box.seats) == ("测试", 1)
    profile = box.profile
    assert isinstance(profile, RankedProfile)
    assert profile.total == 6  # 1 + 4 + 1
    assert sorted(profile.counts.tolist()) == [2, 4]


@pytest.mark.parametrize(
    ("ballots", "message"),
    [
        (
            [{"kind": "ranked", "ranking": [["a"]]}, {"kind": "ranked", "ranking": [["b", "x"]]}],
            "box.json: ballots[1].ranking[0][1]: unknown candidate 'x'",
        ),
        (
            [{"count": 2, "ballot": {"kind": "ranked", "ranking": [["a"], ["a"]]}}],
            "box.json: ballots[0].ballot.ranking[1][0]: candidate 'a' is ranked twice",
        ),
        (
            [{"kind": "ranked", "ranking": [["a"]], "weight": 2}],
            "box.json: ballots[0]: Object contains unknown field `weight`",
        ),
        (
            [{"count": 0, "ballot": {"kind": "ranked", "ranking": [["a"]]}}],
            "box.json: ballots[0].count: Expected `int` >= 1",
        ),
        (
            [{"kind": "ranked", "ranking": [["a", 3]]}],
            "box.json: ballots[0].ranking[0][1]: Expected `str`, got `int`",
        ),
        (
            [{"kind": "ballotage", "ranking": [["a"]]}],
            "box.json: ballots[0].kind: Invalid value 'ballotage'",
        ),
        (
            [{"count": 2}],
            "box.json: ballots[0]: Object missing required field `ballot`",
        ),
        (
            [["a", "b"]],
            "box.json: ballots[0]: Expected `object`, got `array`",
        ),
        (
            [{"kind": "approval", "approved": ["a"]}],
            "box.json: ballots[0].kind: the ballot is of kind 'approval', "
            "but this round takes 'ranked' ballots",
        ),
    ],
)
def test_ballot_errors_name_the_json_path(
    tmp_path: Path, ballots: list[object], message: str
) -> None:
    with pytest.raises(FormatError) as info:
        json_.read(write_doc(tmp_path, ranked_doc(ballots)))
    assert str(info.value).startswith(message)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"format": "other"}, "box.json: format: expected 'redbench-ballots', got 'other'"),
        ({"version": 2}, "box.json: version: this reader knows version 1, the file is version 2"),
        ({"seats": 0}, "box.json: seats: Expected `int` >= 1"),
        ({"extra": 1}, "box.json: (top level): Object contains unknown field `extra`"),
        (
            {"rules": {"kind": "ranked", "candidates": ["a", "a"]}},
            "box.json: rules: candidate 'a' is listed twice",
        ),
        (
            {"rules": {"kind": "ranked", "candidates": ["a"], "ties": True}},
            "box.json: rules: Object contains unknown field `ties`",
        ),
    ],
)
def test_header_errors(tmp_path: Path, change: dict[str, object], message: str) -> None:
    doc = ranked_doc([{"kind": "ranked", "ranking": [["a"]]}])
    doc.update(change)
    with pytest.raises(FormatError) as info:
        json_.read(write_doc(tmp_path, doc))
    assert str(info.value) == message


def test_malformed_json_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "box.json"
    path.write_text('{"format": "redbench-ballots",\n "version": 1,\n "title": }\n')
    with pytest.raises(FormatError, match=r"^box\.json, line 3: JSON is malformed"):
        json_.read(path)


def test_missing_and_empty_files(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match=r"no such file"):
        json_.read(tmp_path / "none.json")
    (tmp_path / "empty.json").write_text("")
    with pytest.raises(FormatError, match=r"the file is empty"):
        json_.read(tmp_path / "empty.json")


def test_write_is_deterministic_and_round_trips(tmp_path: Path) -> None:
    box = json_.read(DEMO)
    first, second = tmp_path / "one.json", tmp_path / "two.json"
    json_.write(box, first)
    json_.write(json_.read(first), second)
    assert first.read_bytes() == second.read_bytes()
    again = json_.read(second)
    assert isinstance(again.profile, RankedProfile)
    assert isinstance(box.profile, RankedProfile)
    assert again.profile.ranks.tolist() == box.profile.ranks.tolist()
    assert again.profile.counts.tolist() == box.profile.counts.tolist()
    assert (again.title, again.seats, again.meta) == (box.title, box.seats, box.meta)


def test_demo_file_is_written_by_this_writer(tmp_path: Path) -> None:
    out = tmp_path / "pocket_park.json"
    json_.write(json_.read(DEMO), out)
    assert out.read_bytes() == DEMO.read_bytes()


def test_demo_pocket_park_outcome() -> None:
    box = json_.read(DEMO)
    assert box.title == "杜集社区口袋公园建设方案"
    assert box.profile.candidates == PARK
    assert box.profile.total == 72
    # IRV and Schulze agree on the children's play equipment; Borda prefers the shade
    # seating, which many residents rank second.
    assert tally("irv", box.profile).winners == ("儿童游乐设施",)
    assert tally("schulze", box.profile).winners == ("儿童游乐设施",)
    assert tally("borda", box.profile).winners == ("遮阳座椅",)


def test_write_derives_rules_for_a_box_from_elsewhere(tmp_path: Path) -> None:
    profile = RankedProfile.from_orders(["a", "b", "c"], [[["a", "b"], "c"], ["c"], []])
    path = tmp_path / "box.json"
    json_.write(BallotBox(profile=profile, format="preflib"), path)
    rules = json.loads(path.read_text())["rules"]
    assert (rules["allow_ties"], rules["allow_truncation"], rules["allow_empty"]) == (
        True,
        True,
        True,
    )
    again = json_.read(path).profile
    assert isinstance(again, RankedProfile)
    assert again.ranks.tolist() == profile.ranks.tolist()
    assert again.counts.tolist() == profile.counts.tolist()


def test_budget_round_trip_keeps_costs_and_over_budget_ballots(tmp_path: Path) -> None:
    # Costs 3 + 2 = 5 > budget 4: the second ballot is over budget, as pabulib data can be.
    profile = ApprovalProfile.from_matrix(
        ["a", "b"], [[1, 0], [1, 1]], [3, 1], costs=[3, 2], budget=4
    )
    path = tmp_path / "pb.json"
    json_.write(BallotBox(profile=profile, format="pabulib"), path)
    doc = json.loads(path.read_text())
    assert doc["rules"]["kind"] == "budget"
    assert doc["rules"]["allow_over_budget"] is True
    again = json_.read(path).profile
    assert isinstance(again, ApprovalProfile)
    assert (again.costs, again.budget) == ((3.0, 2.0), 4.0)
    assert again.approvals.tolist() == profile.approvals.tolist()
    assert again.counts.tolist() == profile.counts.tolist()


def test_score_round_trip(tmp_path: Path) -> None:
    profile = ScoreProfile.from_matrix(["a", "b"], [[3, 0], [1, 2]], [2, 5], max_score=3)
    path = tmp_path / "scores.json"
    json_.write(BallotBox(profile=profile, format="json", title="评分"), path)
    again = json_.read(path)
    assert isinstance(again.profile, ScoreProfile)
    assert again.profile.max_score == 3
    assert again.profile.scores.tolist() == profile.scores.tolist()
    assert again.profile.counts.tolist() == profile.counts.tolist()


def test_progress_reaches_the_end(tmp_path: Path) -> None:
    calls: list[tuple[int, int]] = []
    json_.read(DEMO, progress=lambda done, total: calls.append((done, total)))
    size = DEMO.stat().st_size
    assert calls[0] == (0, size)
    assert calls[-1] == (size, size)
