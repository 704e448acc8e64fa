"""The contest options of instant runoff on a real cast-vote record: Minneapolis's 2017
mayoral count, laid out round by round as the certified tabulator lays it out
(tests/elections/data/README.md: "RCTab's report for this CVR")."""

from __future__ import annotations

import pytest

from ballots.formats import read_ballots
from engine import RankedProfile, tally
from tests.support.paths import ELECTIONS

MINOR = (
    "Al Flowers",
    "Aswar Rahman",
    "Captain Jack Sparrow",
    "Charlie Gers",
    "Christopher Zimmerman",
    "David John Wilson",
    "David Rosenfeld",
    "Gregg A. Iverson",
    "Ian Simpson",
    "L.A. Nik",
    "Ronald Lischeid",
    "Theron Preston Washington",
    "Troy Benjegerdes",
)


@pytest.mark.slow
def test_minneapolis_2017_write_ins_go_a_round_before_the_batch():
    # RCTab's report: round 1 drops the undeclared write-ins alone, round 2 eliminates the
    # 13 minor candidates at once, then Levy-Pounds, Hoch and Hodges; round 6 is the final.
    # Without the option the write-ins fall into round 1's batch with the minor candidates.
    profile = read_ballots(ELECTIONS / "minneapolis" / "2017_minneapolis_mayor_cvr.xlsx").profile
    assert isinstance(profile, RankedProfile)
    result = tally(
        "irv",
        profile,
        batch=True,
        write_in="Undeclared Write-ins",
    )
    assert [r.eliminated for r in result.rounds] == [
        ("Undeclared Write-ins",),
        MINOR,
        ("Nekima Levy-Pounds",),
        ("Tom Hoch",),
        ("Betsy Hodges",),
        (),
    ]
    assert [r.note for r in result.rounds] == ["write-in"] + ["elimination"] * 4 + ["majority"]
    assert result.rounds[0].tallies["Jacob Frey"] == 26116
    assert result.rounds[-1].tallies == {"Jacob Frey": 46716, "Raymond Dehn": 34971}
    assert result.winners == ("Jacob Frey",)
