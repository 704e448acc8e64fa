"""Hart Verity XML cast-vote records (:mod:`ballots.formats.hart`): the hand-worked election
of :mod:`tests.support.records` written one XML file per ballot, in a folder and a zip, read
under each overvote rule and counted; write-ins, other files, contests, malformed files."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from ballots.errors import FormatError
from ballots.formats import detect, hart, read_ballots
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

IDS = {
    "Mayor": "0b1e7a52-0000-4000-8000-000000000001",
    "Council": "0b1e7a52-0000-4000-8000-000000000002",
    "Alice": "a1",
    "Bob": "b2",
    "Carol": "c3",
    WRITE_IN: "w4",
    "Dan": "d5",
    "Erin": "e6",
}


def contest(name: str, ranks: list[Rank], width: int) -> str:
    """A ``Contest`` element: one ``Option`` per marked choice, ``Value`` one digit per rank."""
    marked: dict[str, list[int]] = {}
    for rank, at in enumerate(ranks, start=1):
        for choice in (at,) if isinstance(at, str) else at or ():
            marked.setdefault(choice, []).append(rank)
    options = []
    for choice, at in marked.items():
        value = "".join("1" if rank in at else "0" for rank in range(1, width + 1))
        if choice == WRITE_IN:
            options.append(
                f"<Option><Name>Write-in</Name><Id>{IDS[choice]}</Id><Value>{value}</Value>"
                "<WriteInData><ImageId>img-9</ImageId><WriteInDataStatus>Unresolved"
                "</WriteInDataStatus></WriteInData></Option>"
            )
        else:
            options.append(
                f"<Option><Name>{choice}</Name><Id>{IDS[choice]}</Id><Value>{value}</Value></Option>"
            )
    return (
        f"<Contest><Name>{name}</Name><Id>{IDS[name]}</Id>"
        f"<Options>{''.join(options)}</Options></Contest>"
    )


def sheet(ballot: int) -> str:
    contests = []
    if ballot < len(MAYOR):
        contests.append(contest("Mayor", MAYOR[ballot], 3))
    if ballot in COUNCIL:
        contests.append(contest("Council", COUNCIL[ballot], 2))
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<Cvr xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
        ' xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns="http://tempuri.org/CVRDesign.xsd">\n'
        f"  <BatchSequence>{ballot + 1}</BatchSequence>\n  <SheetNumber>1</SheetNumber>\n"
        f"  <Contests>{''.join(contests)}</Contests>\n"
        "  <PrecinctSplit><Name>101</Name><Id>ps-101</Id></PrecinctSplit>\n"
        f"  <BatchNumber>7</BatchNumber>\n  <CvrGuid>guid-{ballot:04d}</CvrGuid>\n</Cvr>\n"
    )


def folder(path: Path) -> Path:
    """The sheets, one file each, and a file of the export that is not a sheet."""
    path.mkdir()
    for ballot in range(BALLOTS):
        (path / f"{ballot + 1:04d}.xml").write_text(sheet(ballot), encoding="utf-8")
    (path / "manifest.xml").write_text("<Manifest><Batch>7</Batch></Manifest>", encoding="utf-8")
    (path / "WriteIn").mkdir()
    (path / "WriteIn" / "img-9.png").write_bytes(b"\x89PNG")
    return path


def zipped(source: Path, target: Path) -> Path:
    with zipfile.ZipFile(target, "w") as archive:
        for file in sorted(source.rglob("*")):
            if file.is_file():
                archive.write(file, str(file.relative_to(source)))
    return target


@pytest.mark.parametrize("rule", ["skip", "exhaust", "exhaust-if-multiple"])
def test_hart_counts_mayor_under_each_overvote_rule(tmp_path: Path, rule: str) -> None:
    rules = CvrRules(overvote=rule)  # type: ignore[arg-type]
    box = hart.read(folder(tmp_path / "cvrs"), rules=rules, contest="Mayor")
    check_mayor(box, rule)
    assert "1 XML files that are not cast-vote records passed over" in box.notes


def test_hart_zip_reads_as_the_folder_and_is_detected(tmp_path: Path) -> None:
    source = folder(tmp_path / "cvrs")
    archive = zipped(source, tmp_path / "cvrs.zip")
    assert detect(source) == "hart"
    assert detect(archive) == "hart"
    assert detect(source / "0001.xml") == "hart"
    check_mayor(read_ballots(archive, contest=IDS["Mayor"]))
    check_mayor(read_ballots(source, contest="Mayor"))


def test_hart_value_digits_are_ranks(tmp_path: Path) -> None:
    path = tmp_path / "one.xml"
    text = sheet(0).replace("<Value>100</Value>", "<Value>001</Value>", 1)  # Alice at rank 3
    path.write_text(text, encoding="utf-8")
    # ranks: 1 nothing, 2 Bob, 3 Alice and Carol (an overvote, passed over)
    assert groups(hart.read(path, contest="Mayor")) == {(("Bob",),): 1}


def test_hart_council_and_contest_errors(tmp_path: Path) -> None:
    source = folder(tmp_path / "cvrs")
    assert groups(hart.read(source, contest="Council")) == COUNCIL_ROWS
    with pytest.raises(FormatError) as info:
        hart.read(source)
    assert str(info.value) == (
        f"cvrs: the record holds 2 contests; name one (--contest): {IDS['Mayor']} 'Mayor';"
        f" {IDS['Council']} 'Council'"
    )


def test_hart_malformed_files_name_the_file(tmp_path: Path) -> None:
    source = folder(tmp_path / "cvrs")
    text = sheet(2).replace("<Value>100</Value>", "<Value>1x0</Value>")
    (source / "0003.xml").write_text(text, encoding="utf-8")
    with pytest.raises(
        FormatError,
        match=r"^0003\.xml: option 'Alice' has Value '1x0', not one digit 0 or 1 per rank$",
    ):
        hart.read(source, contest="Mayor")
    (source / "0003.xml").write_text(
        sheet(2).replace("</Contests>", "</Contest>"), encoding="utf-8"
    )
    with pytest.raises(FormatError, match=r"^0003\.xml, line 5: is not well-formed XML"):
        hart.read(source, contest="Mayor")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(FormatError, match=r"^empty: no XML cast-vote records"):
        hart.read(empty)
