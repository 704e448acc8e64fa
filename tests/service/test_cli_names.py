"""Names, not numbers, in what ``redbench tally``, ``compare`` and ``seal`` print, for every
format the command line reads: a pabulib file from outside Red Bench counts its projects by
number and names them in its ``name`` column, and the output says the names (the count is
still done on the numbers, so ``--json`` keeps them and adds ``names``); BLT, PrefLib, the
cast-vote-record CSV, VoteKit, the ballots CSV and the JSON bundle name their options
themselves, and the output keeps those names."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from ballots.formats import read_ballots, write_ballots
from service.records import tables
from tests.support.cli import run
from tests.support.park import PARK, park_bundle
from tests.support.paths import DEMO

PROJECTS = {"1": "儿童游乐设施", "2": "健康监测站", "3": "小型活动区", "4": "健身器材"}
NUMBERED_PB = """META
key;value
description;口袋公园
country;China
unit;杜集社区
instance;2026
num_projects;4
num_votes;5
budget;200000
vote_type;approval
rule;greedy
PROJECTS
project_id;cost;votes;name;selected
1;80000;4;儿童游乐设施;1
2;60000;3;健康监测站;1
3;90000;2;小型活动区;0
4;50000;3;健身器材;1
VOTES
voter_id;vote
1;1,2,4
2;1,4
3;1,2
4;1,3,4
5;2,3
"""
"""A pabulib file as pabulib.org publishes them: projects by number, titles in ``name``."""


def numbers_listed(line: str) -> bool:
    """Whether ``line`` lists options by bare numbers (``立项: 1、4、2``, ``1, 4, 2``; not
    an amount such as ``190,000``)."""
    return re.search(r"[:：]\s*\d+(?:(?:、|, )\d+)+\s*$", line) is not None


@pytest.fixture
def numbered(tmp_path: Path) -> Path:
    path = tmp_path / "park.pb"
    path.write_text(NUMBERED_PB, encoding="utf-8")
    return path


@pytest.mark.parametrize("method", ["greedy", "equal-shares"])
def test_tally_of_a_numbered_pabulib_file_prints_the_projects_names(capsys, numbered, method):
    code, out, err = run(capsys, "tally", str(numbered), "--method", method, "--lang", "zh")
    assert code == 0, err
    assert "立项: 儿童游乐设施、健身器材、健康监测站" in out
    assert not any(numbers_listed(line) for line in out.splitlines()), out
    lines = out.splitlines()
    rule = next(i for i, line in enumerate(lines) if line.startswith("----"))
    rows = [line.split()[0] for line in lines[rule + 1 : rule + 5]]  # the decisions table
    assert rows == ["儿童游乐设施", "健身器材", "健康监测站", "小型活动区"], out
    if method == "equal-shares":  # the tie is told by name too
        assert "健康监测站、健身器材 支持票相同" in out


def test_compare_and_english_of_a_numbered_pabulib_file(capsys, numbered):
    code, out, _ = run(capsys, "compare", str(numbered), "--lang", "en")
    assert code == 0
    assert "儿童游乐设施, 健身器材, 健康监测站" in out
    assert not any(numbers_listed(line) for line in out.splitlines()), out
    code, out, _ = run(capsys, "compare", str(numbered), "--lang", "zh")
    assert "儿童游乐设施、健身器材、健康监测站" in out


def test_json_keeps_the_counted_numbers_and_adds_their_names(capsys, numbered):
    code, out, _ = run(capsys, "tally", str(numbered), "--method", "greedy", "--json")
    assert code == 0
    shown = json.loads(out)
    assert shown["winners"] == ["1", "4", "2"]  # what the file counts under
    assert shown["names"] == PROJECTS


def test_seal_of_a_numbered_pabulib_file_prints_names(capsys, numbered, tmp_path):
    bundle = tmp_path / "park.json"
    code, out, err = run(
        capsys, "seal", str(numbered), "--method", "greedy", "-o", str(bundle), "--lang", "zh"
    )
    assert code == 0, err
    assert "当选: 儿童游乐设施、健身器材、健康监测站" in out
    assert not any(numbers_listed(line) for line in out.splitlines()), out


def test_a_name_given_twice_keeps_its_number_beside_it(capsys, tmp_path):
    path = tmp_path / "twice.pb"
    path.write_text(NUMBERED_PB.replace("4;50000;3;健身器材", "4;50000;3;儿童游乐设施"), "utf-8")
    code, out, _ = run(capsys, "tally", str(path), "--method", "greedy", "--lang", "zh")
    assert code == 0
    assert "立项: 儿童游乐设施（1号）、儿童游乐设施（4号）、健康监测站" in out


def _written(folder: Path, fmt: str, suffix: str) -> Path:
    path = folder / f"park{suffix}"
    write_ballots(read_ballots(DEMO), path, format=fmt)
    return path


def _ballots_csv(folder: Path) -> Path:
    path = folder / "park.csv"
    path.write_bytes(tables.to_csv(tables.ballot_file_rows(park_bundle().rounds[0], "zh")))
    return path


@pytest.mark.parametrize(
    ("fmt", "make"),
    [
        ("blt", lambda folder: _written(folder, "blt", ".blt")),
        ("preflib", lambda folder: _written(folder, "preflib", ".soi")),
        ("cvr", lambda folder: _written(folder, "cvr", ".csv")),
        ("votekit", lambda folder: _written(folder, "votekit", ".csv")),
        ("json", lambda folder: _written(folder, "json", ".json")),
        ("ballots-csv", _ballots_csv),
    ],
)
def test_every_ranked_format_prints_the_options_names(capsys, tmp_path, fmt, make):
    path = make(tmp_path)
    argv = ["tally", str(path), "--method", "irv", "--format", fmt, "--lang", "zh"]
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    assert "当选: 儿童游乐设施" in out, out
    for name in PARK:
        assert name in out, (name, out)
    assert not any(numbers_listed(line) for line in out.splitlines()), out
    code, out, err = run(capsys, "compare", str(path), "--format", fmt, "--lang", "zh")
    assert code == 0, err
    assert "儿童游乐设施" in out


def test_a_pabulib_file_written_again_by_red_bench_still_names_its_projects(capsys, tmp_path):
    numbered = tmp_path / "numbered.pb"
    numbered.write_text(NUMBERED_PB, encoding="utf-8")
    written = tmp_path / "written.pb"
    write_ballots(read_ballots(numbered), written, format="pabulib")
    code, out, err = run(capsys, "tally", str(written), "--method", "greedy", "--lang", "zh")
    assert code == 0, err
    assert "立项: 儿童游乐设施、健身器材、健康监测站" in out
