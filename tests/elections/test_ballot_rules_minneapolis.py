"""The Minneapolis 2013 mayor record under two named ballot rule sets gives the two certified
counts: the city's own rules 38,870–24,972 in the last round (the city's count), Maine's
38,852–24,942 (the count RCTab, the certified tabulator, gives from its Maine-rules
configuration, tests/elections/data/minneapolis/..._rctab_expected_detailed_report.csv).

What makes the difference is the two rules Maine sets and Minneapolis does not: an overvote
ends the ballot at once (188 ballots end there), and two or more skipped ranks in a row end
it (47 ballots, RCTab's "Inactive Ballots by Skipped Rankings"). Either alone gives other
figures (38,857–24,962 and 38,865–24,952), so the test pins both. Batch elimination changes
the rounds, not the last one. The record is read once per rule set.
"""

from __future__ import annotations

import json

import pytest

from ballots.box import BallotBox
from ballots.formats import read_ballots
from ballots.formats.cvr_rules import rules_named
from engine import tally
from tests.support.cli import run
from tests.support.paths import ELECTIONS

MAYOR = ELECTIONS / "minneapolis" / "2013_minneapolis_mayor_cvr.csv"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def by_rules() -> dict[str, BallotBox]:
    return {name: read_ballots(MAYOR, rules=rules_named(name)) for name in ("minneapolis", "maine")}


@pytest.mark.parametrize(
    ("rules", "first", "last"),
    [
        ("minneapolis", (28962, 19648), (38870, 24972)),
        ("maine", (28951, 19621), (38852, 24942)),
    ],
)
def test_mayor_2013_under_named_rules(
    by_rules: dict[str, BallotBox],
    rules: str,
    first: tuple[int, int],
    last: tuple[int, int],
) -> None:
    result = tally("irv", by_rules[rules].profile, batch=True)
    opening = result.rounds[0].tallies
    assert (opening["BETSY HODGES"], opening["MARK ANDREW"]) == first
    assert result.rounds[-1].tallies == {"BETSY HODGES": last[0], "MARK ANDREW": last[1]}
    assert result.winners == ("BETSY HODGES",)


def test_maine_rules_end_ballots_as_rctab_does(by_rules: dict[str, BallotBox]) -> None:
    notes = by_rules["maine"].notes
    assert "235 overvoted ranks ended 188 ballots" in notes
    assert "47 ballots ended after more than 1 skipped ranks" in notes


def test_mayor_2013_maine_rules_on_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["tally", str(MAYOR), "--method", "irv", "--batch", "--rules", "maine"]
    code, out, err = run(capsys, *argv, "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["rounds"][-1]["tallies"] == {"BETSY HODGES": 38852, "MARK ANDREW": 24942}
    assert data["ballot_rules"]["preset"] == "maine"
    assert (data["ballot_rules"]["overvote"], data["ballot_rules"]["max_skipped"]) == (
        "exhaust",
        1,
    )
