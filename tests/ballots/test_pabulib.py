"""pabulib ``.pb`` files: write -> read round trips and the exact errors for malformed files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ballots.box import BallotBox
from ballots.errors import FormatError
from ballots.formats import pabulib
from engine import ApprovalProfile, RankedProfile

GOOD = '''META
key;value
description;Dují pocket park
num_projects;3
num_votes;4
budget;1000.50
vote_type;approval
PROJECTS
project_id;cost;votes;name;selected
1;600.25;3;"儿童游乐设施; ""play""";1
2;400;2;健康监测站;1
3;300;1;文化墙;0
VOTES
voter_id;vote
v1;1,2
v2;1,3
v3;1
v4;2
'''


def write_text(tmp_path: Path, text: str, name: str = "park.pb") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_read_small_file(tmp_path: Path) -> None:
    box = pabulib.read(write_text(tmp_path, GOOD))
    profile = box.profile
    assert isinstance(profile, ApprovalProfile)
    assert profile.candidates == ("1", "2", "3")
    assert profile.costs == (600.25, 400.0, 300.0)
    assert profile.budget == 1000.5
    assert profile.total == 4
    assert profile.approval_counts().tolist() == [3, 2, 1]
    assert box.official == ("1", "2")
    assert box.title == "Dují pocket park"
    assert box.meta["project.1.name"] == '儿童游乐设施; "play"'
    assert box.format == "pabulib"


def test_write_read_round_trip(tmp_path: Path) -> None:
    names = ["play", "health", "wall"]
    profile = ApprovalProfile.from_matrix(
        names,
        [[1, 1, 0], [1, 0, 1], [0, 0, 0]],
        [3, 1, 2],
        costs=[600.25, 400, 0.1],
        budget=969_245.38,
    )
    titles = {"project.play.name": '儿童游乐设施; 含 "滑梯"', "project.wall.name": "文化墙"}
    box = BallotBox(
        profile=profile,
        format="pabulib",
        title="口袋公园",
        official=("play",),
        meta={"country": "China", **titles},
    )
    path = tmp_path / "out.pb"
    pabulib.write(box, path)
    again = pabulib.read(path)
    back = again.profile
    assert isinstance(back, ApprovalProfile)
    assert back.candidates == profile.candidates
    assert np.array_equal(back.approvals, profile.approvals)
    assert np.array_equal(back.counts, profile.counts)
    assert back.costs == (600.25, 400.0, 0.1)
    assert back.budget == 969_245.38
    assert again.official == ("play",)
    assert again.title == "口袋公园"
    assert again.meta["country"] == "China"
    assert {k: v for k, v in again.meta.items() if k.startswith("project.")} == titles
    # one VOTES line per voter: 3 + 1 + 2 = 6, the empty ballots included
    votes = path.read_text(encoding="utf-8").split("VOTES\n")[1].splitlines()
    assert votes[0] == "voter_id;vote"
    assert len(votes) == 1 + 6
    assert "budget;969245.38" in path.read_text(encoding="utf-8")


def test_round_trip_without_selected_keeps_official_unknown(tmp_path: Path) -> None:
    profile = ApprovalProfile.from_matrix(["a"], [[1]], costs=[5], budget=10)
    path = tmp_path / "x.pb"
    pabulib.write(BallotBox(profile=profile, format="pabulib"), path)
    assert pabulib.read(path).official is None


def test_progress_is_reported_to_the_end(tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    path = write_text(tmp_path, GOOD)
    pabulib.read(path, progress=lambda done, total: seen.append((done, total)))
    assert seen
    assert seen[-1][0] == seen[-1][1]


MALFORMED = [
    ("VOTES\nvoter_id;vote\n", "", "park.pb: the VOTES section is missing"),
    ("1;600.25;", "1;six hundred;", "line 10: the cost of project 1 'six hundred' is not a number"),
    ("1;600.25;", "1;-5;", "line 10: the cost of project 1 '-5' is not a number of at least 0"),
    (
        "1;600.25;",
        "1;600.251;",
        "line 10: the cost of project 1 '600.251' is not a whole number of cents",
    ),
    ("v2;1,3", "v2;1,9", "line 16: vote for unknown project 9"),
    ("v2;1,3", "v2;1,3,1", "line 16: project 1 is approved twice"),
    (
        "vote_type;approval",
        "vote_type;ordinal",
        "line 7: vote_type ordinal is not supported; only approval votes can be read",
    ),
    ("budget;1000.50\n", "", "park.pb: the META section has no budget"),
    ("project_id;cost;", "project_id;price;", "line 9: the PROJECTS header has no cost column"),
    ("3;300;1;", "2;300;1;", "line 12: project 2 is listed twice"),
    ("META\n", "hello\nMETA\n", "line 1: text before the META section"),
    ("voter_id;vote\n", "voter_id;vote\nVOTES\n", "line 15: a second VOTES section"),
]


@pytest.mark.parametrize(("old", "new", "message"), MALFORMED)
def test_malformed_files(tmp_path: Path, old: str, new: str, message: str) -> None:
    assert old in GOOD
    path = write_text(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(FormatError) as caught:
        pabulib.read(path)
    expected = message if message.startswith("park.pb") else f"park.pb, {message}"
    assert str(caught.value) == expected


def test_write_refuses_ranked_ballots(tmp_path: Path) -> None:
    box = BallotBox(profile=RankedProfile.from_orders(["a"], [[["a"]]]), format="preflib")
    with pytest.raises(FormatError) as caught:
        pabulib.write(box, tmp_path / "x.pb")
    assert str(caught.value) == "x.pb: pabulib files hold approval ballots, not ranked"


def test_write_refuses_ballots_without_costs(tmp_path: Path) -> None:
    box = BallotBox(profile=ApprovalProfile.from_matrix(["a"], [[1]]), format="csv")
    with pytest.raises(FormatError) as caught:
        pabulib.write(box, tmp_path / "x.pb")
    assert str(caught.value) == "x.pb: pabulib files need a cost for every project and a budget"
