"""Ballot counts in files: every reader keeps them exact, refuses a line of no ballots and a
count or total at or past 2^53 with one line naming the file, and never overflows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ballots.errors import FormatError
from ballots.formats import read_ballots
from engine import tally

LIMIT = 2**53
BIG = 2**52
TOO_MANY = "ballots are more than can be counted exactly (a box may hold fewer than 2^53"

PREFLIB = "# DATA TYPE: soi\n# ALTERNATIVE NAME 1: A\n# ALTERNATIVE NAME 2: B\n{lines}"
BLT = '2 1\n{lines}0\n"A"\n"B"\n"t"\n'
ALASKA = "A,B\nIND,IND\n-+-+-\n{lines}"
VOTEKIT = (
    "VoteKit RankProfile\nCandidates\n(A:0),(B:1)\nMax Ranking Length\n2\n"
    "Includes Voter Set\nFalse\n=,=,=,=,=,=\nRanking_1,Ranking_2,&,Weight,&\n{lines}"
)
CVR = "rank1,rank2,Count\n{lines}"


def _json(lines: str) -> str:
    entries = [
        {"count": int(n), "ballot": {"kind": "ranked", "ranking": [[name]]}}
        for n, name in (line.split() for line in lines.splitlines())
    ]
    rules = {"kind": "ranked", "candidates": ["A", "B"]}
    head = {"format": "redbench-ballots", "version": 1, "rules": rules}
    return json.dumps({**head, "ballots": entries})


# (file name, template, how one line with count n for candidate A or B is written)
FORMATS = [
    ("box.soi", PREFLIB, lambda n, c: f"{n}: {'AB'.index(c) + 1}\n"),
    ("box.blt", BLT, lambda n, c: f"{n} {'AB'.index(c) + 1} 0\n"),
    ("box.profile", ALASKA, lambda n, c: f"({c}) : {n}\n"),
    ("box.csv", VOTEKIT, lambda n, c: f"{{'{'AB'.index(c)}'}},,&,{n}.0,&\n"),
    ("cvr.csv", CVR, lambda n, c: f"{c},,{n}\n"),
    ("box.json", None, lambda n, c: f"{n} {c}\n"),
]


def write(tmp_path: Path, fmt: tuple, counts: list[tuple[int, str]]) -> Path:
    name, template, line = fmt
    lines = "".join(line(n, c) for n, c in counts)
    path = tmp_path / name
    path.write_text(_json(lines) if template is None else template.format(lines=lines))
    return path


@pytest.mark.parametrize("fmt", FORMATS, ids=[f[0] for f in FORMATS])
def test_counts_just_under_the_limit_are_read_and_counted_exactly(tmp_path, fmt):
    # A 2^52 + 1, B 2^52 - 2: 2^53 - 1 ballots, A ahead by three; as doubles the first count
    # would already be rounded
    path = write(tmp_path, fmt, [(BIG + 1, "A"), (BIG - 2, "B")])
    profile = read_ballots(path).profile
    assert profile.total == LIMIT - 1
    result = tally("plurality", profile)
    assert result.winners == ("A",)
    assert result.ties == ()


# a JSON wrapper's count is bounded in its type, so msgspec words those refusals
JSON_SAYS = {
    "zero": "ballots[0].count: Expected `int` >= 1",
    "past 2^53": "ballots[0].count: Expected `int` <= 9007199254740991",
    "2^63": "ballots[0].count: Expected `int` <= 9007199254740991",
    "2^70": "ballots[0].count: Expected `int` <= 9007199254740991",
}


@pytest.mark.parametrize("fmt", FORMATS, ids=[f[0] for f in FORMATS])
@pytest.mark.parametrize(
    ("case", "counts", "message"),
    [
        ("zero", [(0, "A"), (3, "B")], "ballot count 0: a line must stand for at least one ballot"),
        ("past 2^53", [(LIMIT + 1, "A")], f"9,007,199,254,740,993 {TOO_MANY}"),
        ("2^63", [(2**63, "A")], f"9,223,372,036,854,775,808 {TOO_MANY}"),
        ("2^70", [(2**70, "A")], f"1,180,591,620,717,411,303,424 {TOO_MANY}"),
        ("total", [(BIG, "A"), (BIG, "B")], f"9,007,199,254,740,992 {TOO_MANY}"),
    ],
)
def test_bad_counts_are_refused_in_one_line(tmp_path, fmt, case, counts, message):
    path = write(tmp_path, fmt, counts)
    with pytest.raises(FormatError) as info:
        read_ballots(path)
    text = str(info.value)
    assert text.startswith(path.name)
    assert "\n" not in text
    assert (JSON_SAYS.get(case, message) if fmt[0] == "box.json" else message) in text
