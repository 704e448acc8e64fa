"""Dominion's JSON export (:mod:`ballots.formats.dominion`): the hand-worked election of
:mod:`tests.support.records` written as an export folder (whole, split, zipped), read under
each overvote rule and counted; adjudicated and ambiguous marks, contests, malformed exports."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from ballots.errors import FormatError
from ballots.formats import detect, dominion, read_ballots
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

CONTESTS = {
    "Version": "5.17.17.1",
    "List": [
        {
            "Description": "Mayor",
            "Id": 1,
            "ExternalId": None,
            "DistrictId": 1,
            "VoteFor": 1,
            "NumOfRanks": 3,
        },
        {
            "Description": "Council",
            "Id": 2,
            "ExternalId": None,
            "DistrictId": 1,
            "VoteFor": 1,
            "NumOfRanks": 2,
        },
    ],
}

CANDIDATES = {
    "Version": "5.17.17.1",
    "List": [
        {"Description": "Alice", "Id": 1, "ExternalId": None, "ContestId": 1, "Type": "Regular"},
        {"Description": "Bob", "Id": 2, "ExternalId": None, "ContestId": 1, "Type": "Regular"},
        {
            "Description": "Carol",
            "Id": 3,
            "ExternalId": None,
            "ContestId": 1,
            "Type": "QualifiedWriteIn",
        },
        {"Description": "Write-in", "Id": 4, "ExternalId": None, "ContestId": 1, "Type": "WriteIn"},
        {"Description": "Dan", "Id": 5, "ExternalId": None, "ContestId": 2, "Type": "Regular"},
        {"Description": "Erin", "Id": 6, "ExternalId": None, "ContestId": 2, "Type": "Regular"},
    ],
}

IDS = {"Alice": 1, "Bob": 2, "Carol": 3, WRITE_IN: 4, "Dan": 5, "Erin": 6}


def marks(ranks: list[Rank]) -> list[dict[str, Any]]:
    """A contest's marks: one per candidate per rank (an overvote's marks are not votes)."""
    out = []
    for rank, marked in enumerate(ranks, start=1):
        chosen = (marked,) if isinstance(marked, str) else marked or ()
        for name in chosen:
            out.append(
                {
                    "CandidateId": IDS[name],
                    "ManifestationId": 100 + IDS[name],
                    "PartyId": 0,
                    "Rank": rank,
                    "MarkDensity": 87,
                    "IsAmbiguous": False,
                    "IsVote": len(chosen) == 1,
                    "OutstackConditionIds": [],
                }
            )
    return out


def session(ballot: int) -> dict[str, Any]:
    """Ballot ``ballot`` as a session: contests on a card. Ballot 1 has an ambiguous mark for
    Carol at rank 1 (not a mark); ballot 4 was adjudicated (original: Bob; modified: Alice);
    ballot 12 is in the older layout, contests without cards."""
    contests = []
    if ballot < len(MAYOR):
        contests.append(
            {
                "Id": 1,
                "ManifestationId": 1,
                "Undervotes": 0,
                "Overvotes": 0,
                "Marks": marks(MAYOR[ballot]),
            }
        )
    if ballot in COUNCIL:
        contests.append(
            {
                "Id": 2,
                "ManifestationId": 2,
                "Undervotes": 0,
                "Overvotes": 0,
                "Marks": marks(COUNCIL[ballot]),
            }
        )
    if ballot == 0:
        ambiguous = marks(["Carol"])[0] | {"IsAmbiguous": True, "IsVote": False}
        contests[0]["Marks"].append(ambiguous)
    card = {"Id": 1000 + ballot, "PaperIndex": 0, "Contests": contests, "OutstackConditionIds": []}
    original: dict[str, Any] = {
        "PrecinctPortionId": 1,
        "BallotTypeId": 1,
        "IsCurrent": True,
        "Cards": [card],
    }
    entry: dict[str, Any] = {
        "TabulatorId": 5,
        "BatchId": 1,
        "RecordId": ballot + 1,
        "CountingGroupId": 2,
        "ImageMask": f"x{ballot}*.*",
        "Original": original,
    }
    if ballot == 3:
        before = {
            "Id": 1,
            "ManifestationId": 1,
            "Undervotes": 0,
            "Overvotes": 0,
            "Marks": marks(["Bob"]),
        }
        entry["Original"] = original | {
            "IsCurrent": False,
            "Cards": [card | {"Contests": [before]}],
        }
        entry["Modified"] = original
    if ballot == 11:
        entry["Original"] = {
            "PrecinctPortionId": 1,
            "BallotTypeId": 2,
            "IsCurrent": True,
            "Contests": contests,
        }
    return entry


def export(folder: Path, parts: int = 1) -> Path:
    """Write the export into ``folder``: CvrExport.json, or ``parts`` CvrExport_n.json."""
    folder.mkdir(exist_ok=True)
    (folder / "ContestManifest.json").write_text(json.dumps(CONTESTS), encoding="utf-8")
    (folder / "CandidateManifest.json").write_text(json.dumps(CANDIDATES), encoding="utf-8")
    (folder / "PrecinctPortionManifest.json").write_text(
        json.dumps({"List": [{"Description": "P1", "Id": 1}]}), encoding="utf-8"
    )
    sessions = [session(ballot) for ballot in range(BALLOTS)]
    if parts == 1:
        names = ["CvrExport.json"]
    else:
        names = [f"CvrExport_{n}.json" for n in range(1, parts + 1)]
    size = -(-len(sessions) // len(names))
    for number, name in enumerate(names):
        part = sessions[number * size : (number + 1) * size]
        body = {"Version": "5.17.17.1", "ElectionId": "General 2026", "Sessions": part}
        (folder / name).write_text(json.dumps(body), encoding="utf-8")
    return folder


def zipped(folder: Path, target: Path) -> Path:
    with zipfile.ZipFile(target, "w") as archive:
        for file in sorted(folder.iterdir()):
            archive.write(file, f"export/{file.name}")
    return target


@pytest.mark.parametrize("rule", ["skip", "exhaust", "exhaust-if-multiple"])
def test_dominion_counts_mayor_under_each_overvote_rule(tmp_path: Path, rule: str) -> None:
    rules = CvrRules(overvote=rule)  # type: ignore[arg-type]
    box = dominion.read(export(tmp_path / "export"), rules=rules, contest="Mayor")
    check_mayor(box, rule)
    assert box.meta == {"contest": "1"}
    # the two marks of each overvote (ballots 8 and 11) are not votes by Dominion's reading
    assert "4 marks flagged IsVote false counted at their rank" in box.notes


def test_dominion_split_zipped_and_named_file_read_alike(tmp_path: Path) -> None:
    split = export(tmp_path / "split", parts=3)
    reported: list[tuple[int, int]] = []
    check_mayor(
        dominion.read(split, lambda done, total: reported.append((done, total)), contest="1")
    )
    parts = sum((split / f"CvrExport_{n}.json").stat().st_size for n in (1, 2, 3))
    assert reported[-1] == (parts, parts)  # the progress of reading the three parts
    check_mayor(dominion.read(zipped(split, tmp_path / "split.zip"), contest="Mayor"))
    whole = export(tmp_path / "whole")
    check_mayor(dominion.read(whole / "CvrExport.json", contest="Mayor"))


def test_dominion_ambiguous_marks_and_the_original_of_an_adjudicated_ballot_do_not_count(
    tmp_path: Path,
) -> None:
    box = dominion.read(export(tmp_path / "export"), contest="Mayor")
    rows = groups(box)
    assert rows[(("Alice",), ("Bob",), ("Carol",))] == 1  # ballot 1: no overvote at rank 1
    assert rows[(("Alice",),)] == 1  # ballot 4: the adjudicated Alice, not the original Bob
    assert (("Bob",),) not in rows


def test_dominion_council_and_contest_errors(tmp_path: Path) -> None:
    folder = export(tmp_path / "export")
    assert groups(dominion.read(folder, contest="Council")) == COUNCIL_ROWS
    with pytest.raises(FormatError) as info:
        dominion.read(folder)
    assert (
        str(info.value)
        == "export: the record holds 2 contests; name one (--contest): 1 'Mayor'; 2 'Council'"
    )


def test_dominion_detected_as_folder_zip_and_json_and_read_through_read_ballots(
    tmp_path: Path,
) -> None:
    folder = export(tmp_path / "export")
    assert detect(folder) == "dominion"
    assert detect(zipped(folder, tmp_path / "export.zip")) == "dominion"
    assert detect(folder / "CvrExport.json") == "dominion"
    assert detect(folder / "CandidateManifest.json") == "dominion"
    check_mayor(read_ballots(folder, contest="Mayor"))
    check_mayor(read_ballots(tmp_path / "export.zip", contest="Mayor"))


def test_dominion_malformed_exports(tmp_path: Path) -> None:
    folder = export(tmp_path / "export")
    (folder / "CandidateManifest.json").unlink()
    with pytest.raises(FormatError, match=r"^export: no CandidateManifest\.json in the export"):
        dominion.read(folder, contest="Mayor")
    folder = export(tmp_path / "bad-candidate")
    body = json.loads((folder / "CvrExport.json").read_text())
    body["Sessions"][2]["Original"]["Cards"][0]["Contests"][0]["Marks"][0]["CandidateId"] = 5
    (folder / "CvrExport.json").write_text(json.dumps(body))
    with pytest.raises(
        FormatError,
        match=r"^bad-candidate: CvrExport\.json: session 3 marks candidate 5, not a candidate of"
        r" contest 1 'Mayor'",
    ):
        dominion.read(folder, contest="Mayor")
    body["Sessions"][2]["Original"]["Cards"][0]["Contests"][0]["Marks"][0]["Rank"] = "first"
    (folder / "CvrExport.json").write_text(json.dumps(body))
    with pytest.raises(
        FormatError,
        match=r"CvrExport\.json is not a Dominion export file: Expected `int`, got `str`"
        r" - at `\$\.Sessions\[2\]",
    ):
        dominion.read(folder, contest="Mayor")
    folder = export(tmp_path / "no-ballots")
    (folder / "CvrExport.json").unlink()
    with pytest.raises(FormatError, match=r"^no-ballots: no CvrExport\.json"):
        dominion.read(folder, contest="Mayor")


def test_a_zip_member_unpacking_far_beyond_a_record_is_refused(tmp_path, monkeypatch):
    # a zip bomb: 400 kB of zeros pack to a few hundred bytes; the limit is lowered for the
    # test (a real member may unpack freely to 64 MiB)
    import zipfile

    from ballots.errors import FormatError
    from ballots.formats import _records

    monkeypatch.setattr(_records, "UNPACK_FREE", 1000)
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as packed:
        packed.writestr("CvrExport.json", b"0" * 400_000)
    with pytest.raises(FormatError, match="would unpack to 400,000 bytes"):
        _records.members(archive, lambda name: True)
