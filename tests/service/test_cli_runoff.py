"""``redbench tally`` with the contest options of instant runoff, sequential IRV and
bottoms-up: the flags, their JSON, the words of each step, and one-line refusals."""

from __future__ import annotations

import json

import pytest

from tests.support.cli import run

# 14 ballots: 5 × A > B; 4 × B > C; 3 × C > A; 2 × D > C (the hand-worked election of
# tests/engine/test_seat_filling_runoffs.py).
FOUR = """# DATA TYPE: soi
# NUMBER ALTERNATIVES: 4
# ALTERNATIVE NAME 1: A
# ALTERNATIVE NAME 2: B
# ALTERNATIVE NAME 3: C
# ALTERNATIVE NAME 4: D
5: 1,2
4: 2,3
3: 3,1
2: 4,3
"""


@pytest.fixture
def four(tmp_path):
    path = tmp_path / "four.soi"
    path.write_text(FOUR, encoding="utf-8")
    return str(path)


def test_every_method_and_flag_is_in_the_help(capsys):
    with pytest.raises(SystemExit):
        run(capsys, "tally", "--help")
    out = capsys.readouterr().out
    for word in ("sequential-irv", "bottoms-up", "--write-in", "--until-two", "--threshold"):
        assert word in out
    for word in ("--stop-after", "--percentage", "first-round"):
        assert word in out


def test_sequential_irv_json(capsys, four):
    code, out, err = run(
        capsys, "tally", four, "--method", "sequential-irv", "--seats", "3", "--json"
    )
    assert code == 0, err
    data = json.loads(out)
    assert data["winners"] == ["C", "A", "B"]
    assert [r["note"] for r in data["rounds"]] == [
        "pass-1:elimination",
        "pass-1:elimination",
        "pass-1:majority",
        "pass-2:majority",
        "pass-3:majority",
    ]
    assert data["rounds"][4]["tallies"] == {"B": 9.0, "D": 2.0}


def test_sequential_irv_steps_name_their_pass(capsys, four):
    code, out, err = run(
        capsys, "tally", four, "--method", "sequential-irv", "--seats", "3", "--lang", "zh"
    )
    assert code == 0, err
    assert "逐席即时决选" in out
    assert "计票第 4 步：第 2 遍计票，选出第 2 个名额：已当选的 C 不再参加" in out
    assert "计票第 5 步：第 3 遍计票，选出第 3 个名额：已当选的 C、A 不再参加" in out


def test_bottoms_up_percentage_flag(capsys, four):
    code, out, err = run(
        capsys, "tally", four, "--method", "bottoms-up", "--percentage", "25", "--json"
    )
    assert code == 0, err
    data = json.loads(out)
    assert data["options"]["percentage"] == 25.0
    assert data["winners"] == ["A", "C", "B"]
    code, out, err = run(
        capsys, "tally", four, "--method", "bottoms-up", "--percentage", "25", "--lang", "en"
    )
    assert "Every option still counting has more than 25% of this step's votes (3.5)" in out


def test_irv_flags_reach_the_count(capsys, four):
    argv = ["tally", four, "--method", "irv", "--json", "--threshold", "first-round"]
    code, out, err = run(capsys, *argv, "--until-two", "--stop-after", "2", "--write-in", "D")
    assert code == 0, err
    data = json.loads(out)
    assert data["options"] == {
        "seats": 1,
        "batch": False,
        "stop_after": 2,
        "threshold": "first-round",
        "until_two": True,
        "write_in": "D",
    }
    # Round 1: D (the write-in) holds 2 votes and goes alone, 2 to C. Round 2 is the last
    # one counted: A 5, B 4, C 5 — no one has the fixed 8; A and C lead, tied now and at
    # round 1 A had more (5 > 3): A wins.
    assert [r["eliminated"] for r in data["rounds"]] == [["D"], []]
    assert [r["note"] for r in data["rounds"]] == ["write-in", "stopped"]
    assert data["winners"] == ["A"]
    assert data["rounds"][0]["quota"] == 8.0


def test_write_in_step_is_told(capsys, four):
    code, out, err = run(
        capsys, "tally", four, "--method", "irv", "--write-in", "D", "--lang", "zh"
    )
    assert code == 0, err
    assert (
        "计票第 1 步：数每张选票的第一志愿。D 代表未申报的手写候选（共 2 票），按规定最先淘汰"
        in out
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--method", "irv", "--stop-after", "-1"], "option stop_after must be at least 0"),
        (
            ["--method", "bottoms-up", "--percentage", "100"],
            "option percentage must be less than 100",
        ),
        (["--method", "borda", "--write-in", "D"], "method borda has no option write_in"),
        (["--method", "bottoms-up", "--until-two"], "method bottoms-up has no option until_two"),
    ],
)
def test_bad_options_are_one_line_and_exit_2(capsys, four, argv, message):
    code, out, err = run(capsys, "tally", four, *argv, "--lang", "en")
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert message in err
