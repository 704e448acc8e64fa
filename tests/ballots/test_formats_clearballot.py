"""Clear Ballot's CSV export (:mod:`ballots.formats.clearballot`): the hand-worked election of
:mod:`tests.support.records` written with one column per choice and rank, read under each
overvote rule and counted; a contest that is not ranked, contests, malformed files."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from ballots.errors import FormatError
from ballots.formats import clearballot, detect, read_ballots
from ballots.formats.cvr import CvrRules
from tests.support.records import (
    BALLOTS,
    COUNCIL,
    COUNCIL_ROWS,
    MAYOR,
    WRITE_IN,
    Rank,
    check_mayor,
    groups,
)

CARD = [
    "RowNumber", "BoxID", "BoxPosition", "BallotID", "PrecinctID", "BallotStyleID",
    "PrecinctStyleName", "ScanComputerName", "Status", "Remade",
]  # fmt: skip

MAYOR_CHOICES = [("Alice", "DEM"), ("Bob", "REP"), ("Carol", "NP"), ("Write-in", "")]
COUNCIL_CHOICES = [("Dan", "NP"), ("Erin", "NP")]


def columns() -> list[tuple[str, str, int, str]]:
    """(header, contest, rank, choice) of each choice column: Mayor and Council ranked, and
    a measure that is not ranked (five header fields)."""
    out = []
    number = 0
    for contest, width, choices in (("Mayor", 3, MAYOR_CHOICES), ("Council", 2, COUNCIL_CHOICES)):
        for rank in range(1, width + 1):
            for choice, party in choices:
                number += 1
                header = f"Choice_{number}_1:{contest}:{rank}:Number of Winners 1:{choice}:{party}"
                out.append((header, contest, rank, choice))
    for choice in ("Yes", "No"):
        number += 1
        out.append(
            (
                f"Choice_{number}_1:Measure A:Vote For 1:{choice}:Non-Partisan",
                "Measure A",
                1,
                choice,
            )
        )
    return out


def cell(ranks: list[Rank] | None, contest: str, rank: int, choice: str) -> str:
    """1 where the ballot marks ``choice`` at ``rank``, 0 where not, empty off its card."""
    if ranks is None:
        return ""
    name = WRITE_IN if choice == "Write-in" else choice
    if rank > len(ranks):
        return "0"
    at = ranks[rank - 1]
    marked = (at,) if isinstance(at, str) else at or ()
    return "1" if name in marked else "0"


def export(tmp_path: Path) -> Path:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    cols = columns()
    writer.writerow(CARD + [header for header, *_ in cols])
    for ballot in range(BALLOTS):
        ranks = {
            "Mayor": MAYOR[ballot] if ballot < len(MAYOR) else None,
            "Council": COUNCIL.get(ballot),
            "Measure A": ["Yes" if ballot % 3 else "No"],
        }
        card = [ballot + 1, 12, ballot + 1, f"12-{ballot + 1}", 101, 3, "101-3", "SCAN01", 0, 0]
        writer.writerow(card + [cell(ranks[c], c, r, ch) for _, c, r, ch in cols])
    path = tmp_path / "CVR_Export_20261104.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


@pytest.mark.parametrize("rule", ["skip", "exhaust", "exhaust-if-multiple"])
def test_clearballot_counts_mayor_under_each_overvote_rule(tmp_path: Path, rule: str) -> None:
    rules = CvrRules(overvote=rule)  # type: ignore[arg-type]
    check_mayor(clearballot.read(export(tmp_path), rules=rules, contest="Mayor"), rule)


def test_clearballot_other_contests_and_detection(tmp_path: Path) -> None:
    path = export(tmp_path)
    assert detect(path) == "clearballot"
    check_mayor(read_ballots(path, contest="Mayor"))
    assert groups(clearballot.read(path, contest="Council")) == COUNCIL_ROWS
    # the measure is on every card: ballots 1, 4, 7 and 10 say No
    assert groups(clearballot.read(path, contest="Measure A")) == {(("No",),): 4, (("Yes",),): 8}
    with pytest.raises(FormatError) as info:
        clearballot.read(path)
    assert str(info.value) == (
        "CVR_Export_20261104.csv: the record holds 3 contests; name one (--contest):"
        " Mayor; Council; Measure A"
    )


def test_clearballot_malformed_files_name_the_line(tmp_path: Path) -> None:
    path = export(tmp_path)
    lines = path.read_text(encoding="utf-8").splitlines()
    fields = lines[3].split(",")
    fields[len(CARD)] = "2"  # ballot 3's first Mayor cell
    lines[3] = ",".join(fields)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(
        FormatError, match=r"^CVR_Export_20261104\.csv, line 4: a choice cell holds '2'"
    ):
        clearballot.read(path, contest="Mayor")
    path.write_text("RowNumber,BoxID,Status\n1,2,0\n", encoding="utf-8")
    with pytest.raises(FormatError, match=r"^CVR_Export_20261104\.csv, line 1: no choice columns"):
        clearballot.read(path)
    path.write_text(
        "RowNumber,BoxID,Choice_1_1:Mayor:first:Rule:Alice:NP\n1,2,1\n", encoding="utf-8"
    )
    with pytest.raises(FormatError, match=r"rank 'first' is not a whole number from 1"):
        clearballot.read(path)
