"""The ``redbench`` command line: tables, JSON, languages, and one-line errors."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from service.commands.count import ProgressBar
from tests.support.cli import run
from tests.support.paths import DEMO, ELECTIONS, ROOT


def test_tally_prints_a_chinese_round_table(capsys):
    code, out, err = run(capsys, "tally", str(DEMO), "--method", "irv", "--lang", "zh")
    assert code == 0, err
    assert "计票方法: 即时决选（IRV）" in out
    assert "当选: 儿童游乐设施" in out
    assert "第1步" in out
    assert "✗" in out  # someone is eliminated
    assert "计票第 5 步：儿童游乐设施 得 44 票，超过仍在计数的 68 票的一半，当选。" in out
    assert "不再计入的票" in out
    assert "抽签种子" in out


def test_tally_in_english(capsys):
    code, out, _ = run(capsys, "tally", str(DEMO), "--method", "schulze", "--lang", "en")
    assert code == 0
    assert "Winners: 儿童游乐设施" in out
    assert "No ties were met." in out


def test_language_follows_the_locale(capsys, monkeypatch):
    monkeypatch.setenv("LC_ALL", "en_US.UTF-8")
    _, out, _ = run(capsys, "tally", str(DEMO), "--method", "borda")
    assert out.startswith("Method: borda")
    monkeypatch.setenv("LC_ALL", "zh_CN.UTF-8")
    _, out, _ = run(capsys, "tally", str(DEMO), "--method", "borda")
    assert out.startswith("计票方法: 波达计数")


def test_json_has_method_winners_rounds_and_ties(capsys):
    code, out, _ = run(capsys, "tally", str(DEMO), "--method", "irv", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["method"] == "irv"
    assert data["winners"] == ["儿童游乐设施"]
    assert len(data["rounds"]) >= 2
    assert data["ties"] == []
    assert data["rounds"][0]["tallies"]["儿童游乐设施"] == 28


def test_default_seed_is_the_ballots_digest_and_seed_can_be_given(capsys):
    from ballots.digest import profile_digest
    from ballots.formats import read_ballots

    _, out, _ = run(capsys, "tally", str(DEMO), "--method", "irv", "--json")
    assert json.loads(out)["seed"] == profile_digest(read_ballots(DEMO).profile)
    _, out, _ = run(capsys, "tally", str(DEMO), "--method", "irv", "--json", "--seed", "42")
    assert json.loads(out)["seed"] == "42"


def test_stv_rules_and_seats_flags(capsys):
    blt = ELECTIONS / "scotland" / "Calton-2007.blt"
    code, out, _ = run(capsys, "tally", str(blt), "--method", "stv", "--rules", "meek", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["options"]["rules"] == "meek"
    assert data["options"]["seats"] == 3  # from the file
    code, out, _ = run(capsys, "tally", str(blt), "--method", "stv", "--seats", "2", "--json")
    assert len(json.loads(out)["winners"]) == 2


def test_fractional_stv_flags(capsys):
    # Calton 2007 (3 seats, 5,199 ballots) under the certified tabulators' rules, each
    # option set by its flag: Hare 5,199 / 3 = 1,733 to two decimals, and Redmond's 1,982
    # first preferences reach it in round 1
    blt = ELECTIONS / "scotland" / "Calton-2007.blt"
    flags = ["--rules", "fractional", "--quota", "hare", "--no-integer-threshold"]
    flags += ["--decimals", "2", "--one-per-round", "--write-in", "George Redmond", "--json"]
    code, out, _ = run(capsys, "tally", str(blt), "--method", "stv", *flags)
    assert code == 0
    data = json.loads(out)
    assert {k: data["options"][k] for k in ("quota", "integer_threshold", "decimals")} == {
        "quota": "hare",
        "integer_threshold": False,
        "decimals": 2,
    }
    assert (data["options"]["one_per_round"], data["options"]["write_in"]) == (
        True,
        "George Redmond",
    )
    assert data["rounds"][0]["quota"] == 1733.0
    assert data["rounds"][0]["eliminated"] == ["George Redmond"]  # the write-in, first
    assert "George Redmond" not in data["winners"]
    code, _, err = run(
        capsys, "tally", str(blt), "--method", "stv", "--quota", "hare", "--lang", "en"
    )
    assert code == 2
    assert "option quota applies to rules fractional only, not scottish" in err


def test_budget_tally_explains_each_project(capsys):
    pb = ELECTIONS / "pabulib" / "Poland_Warszawa_2017_Goclaw.pb"
    code, out, _ = run(capsys, "tally", str(pb), "--method", "greedy", "--lang", "en")
    assert code == 0
    assert "skipped: not enough money left" in out
    # the projects by the names the file gives them, not their numbers 632, 1098 …
    assert "Funded: Nowoczesna Biblioteka nad Balatonem, Droga rowerowa na Bora-" in out
    assert "Funded: 632" not in out
    code, out, _ = run(
        capsys, "tally", str(pb), "--method", "greedy", "--budget", "20000", "--json"
    )
    assert json.loads(out)["winners"] == ["632", "2042"]  # 10,000 + 9,600 fit in 20,000


def test_compare_names_the_condorcet_winner(capsys):
    toi = ELECTIONS / "preflib" / "00005-00000002.toi"
    code, out, _ = run(capsys, "compare", str(toi), "--lang", "en")
    assert code == 0
    assert "Condorcet winner (beats every other option head to head): Andy Montroll" in out
    assert "The methods do not agree." in out
    assert "irv" in out.split("Methods that do not elect the Condorcet winner:")[1]


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["tally", "missing.blt", "--method", "irv"], 1, "missing.blt"),
        (
            ["tally", str(DEMO), "--method", "irv", "--seats", "0"],
            2,
            "seats must be a whole number of at least 1",
        ),
        (
            ["tally", str(DEMO), "--method", "irv", "--rules", "meek"],
            2,
            "method irv has no option rules",
        ),
        (
            ["tally", str(DEMO), "--method", "stv", "--rules", "irish"],
            2,
            "option rules must be one of scottish, meek",
        ),
        (
            ["tally", str(DEMO), "--method", "approval"],
            1,
            "method approval counts approval ballots, but the ballots are ranked",
        ),
        (
            ["tally", str(DEMO), "--method", "irv", "--budget", "10"],
            2,
            "--budget applies to approval (budget) ballots only",
        ),
        (["tally", str(DEMO), "--method", "irv", "--format", "nonsense"], 1, "nonsense"),
    ],
)
def test_bad_input_is_one_line_and_non_zero(capsys, argv, code, message):
    got, out, err = run(capsys, *argv, "--lang", "en")
    assert got == code
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("redbench: error: ")
    assert message in err


def test_malformed_file_is_one_line(capsys, tmp_path):
    bad = tmp_path / "bad.blt"
    bad.write_text("3 1\n1 1 2 x 0\n0\n", encoding="utf-8")
    code, _, err = run(capsys, "tally", str(bad), "--method", "irv", "--lang", "en")
    assert code == 1
    assert err.count("\n") == 1
    assert "bad.blt" in err


def test_unknown_method_is_refused_by_the_parser():
    done = subprocess.run(
        [sys.executable, "-m", "service.cli", "tally", str(DEMO), "--method", "dictator"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert done.returncode == 2
    assert "invalid choice: 'dictator'" in done.stderr


def test_progress_bar_draws_and_finishes_the_line():
    stream = io.StringIO()
    bar = ProgressBar(stream, "读取中", size=10)
    for done in (0, 50, 50, 100):
        bar(done, 100)
    shown = stream.getvalue()
    assert "\r读取中 [.....-----" not in shown
    assert "\r读取中 [#####.....]  50%" in shown
    assert shown.count(" 50%") == 1  # an unchanged percentage is not redrawn
    assert shown.endswith("[##########] 100%\n")


def test_console_script_is_installed():
    exe = Path(sys.executable).parent / "redbench"
    done = subprocess.run(
        [str(exe), "tally", str(DEMO), "--method", "plurality", "--lang", "en"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert "Winners: 儿童游乐设施" in done.stdout


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("huge.blt", b"3 1\n" + b"1 1 2 3 0\n" * 200_000 + b"1 9 0\n0\n"),  # bad line at the end
        ("binary.soi", bytes(range(256)) * 4000),
        ("not-utf8.csv", b"\xff\xfe" + "投票".encode("utf-16-le") * 1000),
        ("empty.blt", b""),
    ],
)
def test_hostile_ballot_files_are_one_line(capsys, tmp_path, name, content):
    """Malformed, binary, wrongly encoded and empty files: one line, exit 1."""
    path = tmp_path / name
    path.write_bytes(content)
    code, out, err = run(capsys, "tally", str(path), "--method", "irv", "--lang", "en")
    assert code == 1, err
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("redbench: error: ")


CONTINUED_TIE = """# DATA TYPE: soi
# NUMBER ALTERNATIVES: 6
# ALTERNATIVE NAME 1: W
# ALTERNATIVE NAME 2: X
# ALTERNATIVE NAME 3: Y
# ALTERNATIVE NAME 4: Z
# ALTERNATIVE NAME 5: Q1
# ALTERNATIVE NAME 6: Q2
40: 1
30: 4,2
20: 2,4
20: 3,2,1
10: 5,3,2,1
10: 6,2,4
5: 6,1
"""


@pytest.mark.parametrize("seed", ["1", "2", "4", "7", "8"])
def test_irv_tie_is_decided_by_the_rounds_not_the_seed(capsys, tmp_path, seed):
    # round 3: X, Y, Z tie at 30; round 1 spares Z, round 2 separates X (20) from Y (30)
    path = tmp_path / "continued.soi"
    path.write_text(CONTINUED_TIE, encoding="utf-8")
    code, out, err = run(capsys, "tally", str(path), "--method", "irv", "--seed", seed, "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["winners"] == ["W"]
    assert [t["rule"] for t in data["ties"]] == ["earlier-round"]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("0: 1,2,3", "line 9: ballot count 0: a line must stand for at least one ballot"),
        ("9223372036854775808: 1,2", "line 9: 9,223,372,036,854,775,808 ballots are more than"),
        ("9007199254740993: 1", "line 9: 9,007,199,254,740,993 ballots are more than"),
    ],
    ids=["zero", "2^63", "past 2^53"],
)
def test_absurd_counts_are_one_line_without_a_traceback(tmp_path, line, message):
    path = tmp_path / "counts.soi"
    path.write_text(CONTINUED_TIE.split("40: 1")[0] + line + "\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "service.cli", "tally", str(path), "--method", "irv"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "LC_ALL": "en_US.UTF-8"},
    )
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith("redbench: error: counts.soi, ")
    assert message in done.stderr


BLANK_BALLOTS = """# DATA TYPE: toi
# ALTERNATIVE NAME 1: 文化墙
# ALTERNATIVE NAME 2: 健身器材
5:
"""


@pytest.mark.parametrize("method", ["irv", "plurality", "borda", "schulze", "stv"])
def test_blank_ballots_give_no_decision(capsys, tmp_path, method):
    path = tmp_path / "blank.toi"
    path.write_text(BLANK_BALLOTS, encoding="utf-8")
    code, out, err = run(capsys, "tally", str(path), "--method", method, "--lang", "zh")
    assert code == 0, err
    assert "无结果：没有有效选票" in out
    assert "当选: " not in out
    code, out, _ = run(capsys, "tally", str(path), "--method", method, "--lang", "en")
    assert "No decision: no valid ballots" in out
    code, out, _ = run(capsys, "tally", str(path), "--method", method, "--json")
    data = json.loads(out)
    assert (data["winners"], data["ties"], data["no_decision"]) == ([], [], "no-valid-ballots")
    code, out, _ = run(capsys, "compare", str(path), "--lang", "en")
    assert "No decision" in out
    assert "Condorcet" not in out
