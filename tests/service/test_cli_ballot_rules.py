"""``redbench tally`` and ``compare`` with the ballot rules of an election office's record:
presets and flags, the line that says the rules, ``ballot_rules`` in ``--json``, several
files of one contest, write-ins, and a bad value refused in one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.registry import METHODS
from tests.support.chinese import foreign_words
from tests.support.cli import run

# 2 A; 1 overvote then B; 1 B, two skipped ranks, A; 2 C then A|B; 1 write-in then C
RECORD = (
    "rank1,rank2,rank3,rank4,count\n"
    "A,undervote,undervote,undervote,2\n"
    "overvote,B,undervote,undervote,1\n"
    "B,undervote,undervote,A,1\n"
    "C,A|B,undervote,undervote,2\n"
    "UWI,C,undervote,undervote,1\n"
)


@pytest.fixture
def record(tmp_path: Path) -> Path:
    path = tmp_path / "cvr.csv"
    path.write_text(RECORD, encoding="utf-8")
    return path


def counted(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:
    code, out, err = run(capsys, "tally", *argv, "--method", "plurality", "--json")
    assert code == 0, err
    data: dict = json.loads(out)
    return data


def test_flags_override_the_preset(capsys: pytest.CaptureFixture[str], record: Path) -> None:
    data = counted(
        capsys, str(record), "--rules", "maine", "--overvote", "skip", "--delimiter", "|"
    )
    rules = data["ballot_rules"]
    assert (rules["preset"], rules["overvote"], rules["max_skipped"]) == ("maine", "skip", 1)
    # first choices: the overvote is passed over, so that ballot counts for B
    assert data["rounds"][0]["tallies"] == {"A": 2, "B": 2, "C": 2, "Undeclared Write-ins": 1}
    data = counted(capsys, str(record), "--rules", "maine", "--delimiter", "|")
    assert data["rounds"][0]["tallies"] == {"A": 2, "B": 1, "C": 2, "Undeclared Write-ins": 1}


def test_each_flag_reaches_the_rules(capsys: pytest.CaptureFixture[str], record: Path) -> None:
    argv = [
        *("--overvote", "exhaust-if-multiple", "--max-skipped", "0", "--duplicate", "exhaust"),
        *("--write-ins", "eliminate", "--blank-is-write-in", "--alias", "Z=C", "--exclude", "B"),
        *("--delimiter", "|", "--max-rankings", "3"),
    ]
    rules = counted(capsys, str(record), *argv)["ballot_rules"]
    assert rules == {
        "preset": None,
        "overvote": "exhaust-if-multiple",
        "max_skipped": 0,
        "duplicate": "exhaust",
        "blank_is_write_in": True,
        "write_ins": "eliminate",
        "aliases": {"Z": "C"},
        "excluded": ["B"],
        "delimiter": "|",
        "first_rank_column": None,
        "max_rankings": 3,
        "count_column": None,
        "labels": {},
    }
    data = counted(capsys, str(record), "--first-rank-column", "1", "--max-rankings", "4")
    assert data["ballot_rules"]["first_rank_column"] == 1
    assert data["rounds"][0]["tallies"]["C"] == 2


def test_the_rules_are_said_in_chinese_and_english(
    capsys: pytest.CaptureFixture[str], record: Path
) -> None:
    code, out, _ = run(capsys, "tally", str(record), "--method", "irv", "--rules", "maine")
    assert code == 0
    assert out.startswith(
        "选票规则（缅因州规则）：同一名次标了多人：这张票到此为止；连续跳过超过 1 个名次："
        "这张票到此为止；同一候选人填了几次：按最靠前的名次计一次；未登记的手写候选人：当作一位候选人计票\n"
    )
    code, out, _ = run(capsys, "compare", str(record), "--lang", "en")
    assert code == 0
    assert out.startswith(
        "Ballot rules: overvote: skipped, the next rank counts; skipped ranks: no limit;"
        " repeated candidate: counted once, at the highest rank; undeclared write-ins:"
        " counted as a candidate\n"
    )


def test_a_file_without_ballot_rules_says_none(capsys: pytest.CaptureFixture[str]) -> None:
    from tests.support.paths import DEMO

    code, out, _ = run(capsys, "tally", str(DEMO), "--method", "irv", "--json")
    assert code == 0
    assert "ballot_rules" not in json.loads(out)  # the output of such a file is as before


def test_several_files_are_one_contest(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("rank1,rank2\nA,B\nB,A\n", encoding="utf-8")
    (tmp_path / "b.csv").write_text("rank1,rank2\nA,undervote\n", encoding="utf-8")
    for argv in ([str(tmp_path / "a.csv"), str(tmp_path / "b.csv")], [str(tmp_path)]):
        data = counted(capsys, *argv)
        assert data["rounds"][0]["tallies"] == {"A": 2, "B": 1}


def test_write_ins_eliminated_first_go_to_the_method(
    capsys: pytest.CaptureFixture[str], record: Path
) -> None:
    argv = ["tally", str(record), "--method", "irv", "--write-ins", "eliminate", "--lang", "en"]
    code, out, err = run(capsys, *argv, "--json")
    assert code == 0, err
    if "write_in" in METHODS["irv"].options:  # the engine's option, when it has it
        assert json.loads(out)["options"]["write_in"] == "Undeclared Write-ins"
    else:
        code, out, err = run(capsys, *argv)
        assert "irv cannot eliminate the undeclared write-ins first" in out


def test_stv_rule_set_and_ballot_rules_together(
    capsys: pytest.CaptureFixture[str], record: Path
) -> None:
    argv = ["tally", str(record), "--method", "stv", "--seats", "2", "--json"]
    code, out, err = run(capsys, *argv, "--rules", "maine", "--rules", "meek")
    assert code == 0, err
    data = json.loads(out)
    assert (data["options"]["rules"], data["ballot_rules"]["preset"]) == ("meek", "maine")


@pytest.mark.parametrize(
    ("flags", "message", "zh"),
    [
        (
            ["--overvote", "ignore"],
            "--overvote must be one of skip, exhaust, exhaust-if-multiple, got 'ignore'",
            "--overvote 的取值“ignore”不对，可选的取值见 --help",
        ),
        (
            ["--max-skipped", "two"],
            "--max-skipped 'two' is not a whole number of at least 0",
            "--max-skipped 的取值“two”不对：要是不小于 0 的整数",
        ),
        (
            ["--first-rank-column", "0"],
            "--first-rank-column '0' is not a whole number of at least 1",
            "--first-rank-column 的取值“0”不对：要是不小于 1 的整数",
        ),
        (
            ["--alias", "C"],
            "--alias 'C' is not CODE=NAME",
            "--alias 要写成“代码=候选人”，而不是“C”",
        ),
        (
            ["--rules", "maine", "--rules", "minneapolis"],
            "--rules is given twice (maine, minneapolis)",
            "--rules 指定了两次（maine、minneapolis）",
        ),
        (
            ["--rules", "missing.json"],
            "missing.json: not an RCTab configuration with a 'rules' section",
            "--rules 的“missing.json”不是能读的计票配置文件",
        ),
    ],
)
def test_a_bad_rule_value_is_one_line(
    capsys: pytest.CaptureFixture[str], record: Path, flags: list[str], message: str, zh: str
) -> None:
    code, out, err = run(capsys, "tally", str(record), "--method", "irv", *flags, "--lang", "en")
    assert (code, out) == (2, "")
    assert err == f"redbench: error: ballot rules: {message}\n"
    code, out, err = run(capsys, "tally", str(record), "--method", "irv", *flags, "--lang", "zh")
    assert (code, out) == (2, "")
    assert err == f"redbench: 错误: {zh}\n"
    # in Chinese, only what was typed is in Latin letters (and the flags)
    assert foreign_words(zh, flags) == []


def test_compare_takes_no_method_rule_set(capsys: pytest.CaptureFixture[str], record: Path) -> None:
    code, out, err = run(capsys, "compare", str(record), "--rules", "meek", "--lang", "en")
    assert (code, out) == (2, "")
    assert err == "redbench: error: --rules meek: not ballot rules (a preset or a .json file)\n"


def test_the_rules_line_is_chinese_with_every_rule(
    capsys: pytest.CaptureFixture[str], record: Path
) -> None:
    argv = [
        *("--rules", "maine", "--overvote", "exhaust-if-multiple", "--duplicate", "exhaust"),
        *("--write-ins", "eliminate", "--blank-is-write-in", "--alias", "Z=C"),
        *("--exclude", "B", "--delimiter", "|", "--max-rankings", "4"),
        *("--first-rank-column", "1", "--count-column", "5"),
    ]
    code, out, err = run(capsys, "tally", str(record), "--method", "irv", *argv, "--lang", "zh")
    assert code == 0, err
    line = out.splitlines()[0]
    assert line.startswith("选票规则（缅因州规则）：同一名次标了多人：其中两人以上仍在计票时")
    for said in ("候选人代码：1 个", "不计入的候选人：B", "一格内多人的分隔符：|", "票数在第 5 列"):
        assert said in line
    assert foreign_words(line, ["B"]) == []
