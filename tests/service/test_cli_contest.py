"""``redbench tally --contest``: a certified tabulator's record that holds several contests,
here a folder of Hart sheets, counted for the contest named; without one, a one-line error
that lists them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.cli import run

SHEET = (
    '<?xml version="1.0" encoding="utf-8"?>\n<Cvr xmlns="http://tempuri.org/CVRDesign.xsd">'
    "<Contests><Contest><Name>Mayor</Name><Id>m-1</Id><Options>{mayor}</Options></Contest>"
    "<Contest><Name>Council</Name><Id>c-1</Id><Options/></Contest></Contests>"
    "<CvrGuid>g-{n}</CvrGuid></Cvr>\n"
)


def option(name: str, value: str) -> str:
    return f"<Option><Name>{name}</Name><Id>{name[0]}</Id><Value>{value}</Value></Option>"


@pytest.fixture
def sheets(tmp_path: Path) -> Path:
    """Three sheets: Alice; Bob then Alice; Bob."""
    folder = tmp_path / "hart"
    folder.mkdir()
    ballots = [
        option("Alice", "10"),
        option("Bob", "10") + option("Alice", "01"),
        option("Bob", "1"),
    ]
    for n, mayor in enumerate(ballots, start=1):
        (folder / f"{n}.xml").write_text(SHEET.format(mayor=mayor, n=n), encoding="utf-8")
    return folder


def test_tally_counts_the_named_contest_of_a_folder(
    capsys: pytest.CaptureFixture[str], sheets: Path
) -> None:
    code, out, err = run(
        capsys, "tally", str(sheets), "--contest", "Mayor", "--method", "irv", "--json"
    )
    assert code == 0, err
    data = json.loads(out)
    assert data["winners"] == ["Bob"]  # 2 of 3 first choices at once
    assert [step["tallies"] for step in data["rounds"]] == [{"Alice": 1.0, "Bob": 2.0}]


def test_tally_without_a_contest_lists_them_in_one_line(
    capsys: pytest.CaptureFixture[str], sheets: Path
) -> None:
    code, _, err = run(capsys, "tally", str(sheets), "--method", "irv", "--lang", "en")
    assert code == 1
    assert err.strip().splitlines() == [
        "redbench: error: hart: the record holds 2 contests; name one (--contest):"
        " m-1 'Mayor'; c-1 'Council'"
    ]
