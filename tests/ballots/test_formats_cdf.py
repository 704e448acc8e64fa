"""NIST SP 1500-103 cast-vote records (:mod:`ballots.formats.cdf`), JSON and XML: the
hand-worked election of :mod:`tests.support.records` written as a CDF report, read under each
overvote rule and counted; snapshots, indications, contests and malformed reports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ballots.errors import FormatError
from ballots.formats import cdf, detect, read_ballots
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

SELECTIONS = {
    "mayor": {"Alice": "cs-alice", "Bob": "cs-bob", "Carol": "cs-carol", WRITE_IN: "cs-wi"},
    "council": {"Dan": "cs-dan", "Erin": "cs-erin"},
}

ELECTION = {
    "@id": "election-2026",
    "@type": "CVR.Election",
    "Candidate": [
        {"@id": "cand-alice", "@type": "CVR.Candidate", "Name": "Alice"},
        {"@id": "cand-bob", "@type": "CVR.Candidate", "Name": "Bob"},
        {"@id": "cand-carol", "@type": "CVR.Candidate", "Name": "Carol"},
        {"@id": "cand-dan", "@type": "CVR.Candidate", "Name": "Dan"},
        {"@id": "cand-erin", "@type": "CVR.Candidate", "Name": "Erin"},
    ],
    "Contest": [
        {
            "@id": "mayor",
            "@type": "CVR.CandidateContest",
            "Name": "Mayor",
            "ContestSelection": [
                {
                    "@id": "cs-alice",
                    "@type": "CVR.CandidateSelection",
                    "CandidateIds": ["cand-alice"],
                },
                {"@id": "cs-bob", "@type": "CVR.CandidateSelection", "CandidateIds": ["cand-bob"]},
                {
                    "@id": "cs-carol",
                    "@type": "CVR.CandidateSelection",
                    "CandidateIds": ["cand-carol"],
                },
                {"@id": "cs-wi", "@type": "CVR.CandidateSelection", "IsWriteIn": True},
            ],
        },
        {
            "@id": "council",
            "@type": "CVR.CandidateContest",
            "Name": "Council",
            "ContestSelection": [
                {"@id": "cs-dan", "@type": "CVR.CandidateSelection", "CandidateIds": ["cand-dan"]},
                {
                    "@id": "cs-erin",
                    "@type": "CVR.CandidateSelection",
                    "CandidateIds": ["cand-erin"],
                },
            ],
        },
    ],
    "ElectionScopeId": "county",
}


def selections(contest: str, ranks: list[Rank]) -> list[dict[str, Any]]:
    """A contest's CVRContestSelections: one per choice, a SelectionPosition per rank."""
    by_choice: dict[str, list[int]] = {}
    for rank, marked in enumerate(ranks, start=1):
        for choice in (marked,) if isinstance(marked, str) else marked or ():
            by_choice.setdefault(choice, []).append(rank)
    return [
        {
            "@type": "CVR.CVRContestSelection",
            "ContestSelectionId": SELECTIONS[contest][choice],
            "SelectionPosition": [
                {
                    "@type": "CVR.SelectionPosition",
                    "HasIndication": "yes",
                    "IsAllocable": "yes",
                    "NumberVotes": 1,
                    "Rank": rank,
                }
                for rank in at
            ],
        }
        for choice, at in by_choice.items()
    ]


def report() -> dict[str, Any]:
    """The election as a CDF report: ballot 4's original snapshot marks Bob and a Carol
    the scanner saw no indication for; its modified snapshot, the current one, marks Alice."""
    cvrs = []
    for ballot in range(BALLOTS):
        contests = []
        if ballot < len(MAYOR):
            contests.append(
                {"ContestId": "mayor", "CVRContestSelection": selections("mayor", MAYOR[ballot])}
            )
        if ballot in COUNCIL:
            contests.append(
                {
                    "ContestId": "council",
                    "CVRContestSelection": selections("council", COUNCIL[ballot]),
                }
            )
        snapshots = [
            {
                "@id": f"cvr-{ballot}-orig",
                "@type": "CVR.CVRSnapshot",
                "Type": "original",
                "CVRContest": contests,
            }
        ]
        if ballot == 3:
            original = selections("mayor", ["Bob"]) + selections("mayor", [None, "Carol"])
            original[1]["SelectionPosition"][0]["HasIndication"] = "no"
            snapshots = [
                {
                    "@id": "cvr-3-orig",
                    "Type": "original",
                    "CVRContest": [{"ContestId": "mayor", "CVRContestSelection": original}],
                },
                {"@id": "cvr-3-mod", "Type": "modified", "CVRContest": contests},
            ]
        current = snapshots[-1]["@id"]
        cvrs.append(
            {
                "@type": "CVR.CVR",
                "BallotStyleId": "bs-1",
                "CurrentSnapshotId": current,
                "CVRSnapshot": snapshots,
            }
        )
    return {
        "@type": "CVR.CastVoteRecordReport",
        "CVR": cvrs,
        "Election": [ELECTION],
        "GeneratedDate": "2026-11-04T21:00:00Z",
        "GpUnit": [{"@id": "county", "@type": "CVR.GpUnit", "Name": "County", "Type": "county"}],
        "ReportGeneratingDeviceIds": ["device-1"],
        "ReportingDevice": [{"@id": "device-1", "@type": "CVR.ReportingDevice"}],
        "Version": "1.0.0",
    }


def write_json(tmp_path: Path, data: dict[str, Any] | None = None) -> Path:
    path = tmp_path / "cvr-report.json"
    path.write_text(json.dumps(data if data is not None else report()), encoding="utf-8")
    return path


NS = "http://itl.nist.gov/ns/voting/1500-103/v1"


def as_xml(data: dict[str, Any]) -> str:
    """The same report in the XML form (ids as ObjectId attributes, the CVRs first)."""

    def element(name: str, value: Any) -> str:
        if isinstance(value, list):
            if name == "CandidateIds":
                return f"<CandidateIds>{' '.join(value)}</CandidateIds>"
            return "".join(element(name, item) for item in value)
        if isinstance(value, dict):
            attrs = f' ObjectId="{value["@id"]}"' if "@id" in value else ""
            inner = "".join(element(k, v) for k, v in value.items() if not k.startswith("@"))
            return f"<{name}{attrs}>{inner}</{name}>"
        text = str(value).lower() if isinstance(value, bool) else str(value)
        return f"<{name}>{text}</{name}>"

    body = "".join(element(k, v) for k, v in data.items() if not k.startswith("@"))
    head = '<?xml version="1.0" encoding="UTF-8"?>\n'
    return f'{head}<CastVoteRecordReport xmlns="{NS}">{body}</CastVoteRecordReport>\n'


def write_xml(tmp_path: Path, text: str | None = None) -> Path:
    path = tmp_path / "cvr-report.xml"
    path.write_text(text if text is not None else as_xml(report()), encoding="utf-8")
    return path


@pytest.mark.parametrize("rule", ["skip", "exhaust", "exhaust-if-multiple"])
def test_cdf_json_counts_mayor_under_each_overvote_rule(tmp_path: Path, rule: str) -> None:
    box = cdf.read(write_json(tmp_path), rules=CvrRules(overvote=rule), contest="Mayor")  # type: ignore[arg-type]
    check_mayor(box, rule)
    assert box.title == "Mayor"
    assert box.format == "cdf"


def test_cdf_xml_counts_mayor_as_the_json_does(tmp_path: Path) -> None:
    box = cdf.read(write_xml(tmp_path), contest="mayor")
    check_mayor(box)


def test_cdf_the_current_snapshot_counts_and_unindicated_positions_do_not(tmp_path: Path) -> None:
    data = report()
    data["CVR"] = [data["CVR"][3]]  # original: Bob, and Carol with no indication; modified: Alice
    assert groups(cdf.read(write_json(tmp_path, data), contest="mayor")) == {(("Alice",),): 1}
    data["CVR"][0]["CurrentSnapshotId"] = "cvr-3-orig"
    assert groups(cdf.read(write_json(tmp_path, data), contest="mayor")) == {(("Bob",),): 1}
    del data["CVR"][0]["CurrentSnapshotId"]  # none named: the modified snapshot
    assert groups(cdf.read(write_json(tmp_path, data), contest="mayor")) == {(("Alice",),): 1}


def test_cdf_position_not_allocable_is_no_mark(tmp_path: Path) -> None:
    data = report()
    data["CVR"] = [data["CVR"][0]]  # Alice, Bob, Carol
    bob = data["CVR"][0]["CVRSnapshot"][0]["CVRContest"][0]["CVRContestSelection"][1]
    bob["SelectionPosition"][0]["IsAllocable"] = "no"
    assert groups(cdf.read(write_json(tmp_path, data), contest="mayor")) == {
        (("Alice",), ("Carol",)): 1
    }


def test_cdf_write_in_position_on_a_write_in_selection_is_uwi(tmp_path: Path) -> None:
    data = report()
    data["CVR"] = [data["CVR"][8]]  # write-in, Bob
    wi = data["CVR"][0]["CVRSnapshot"][0]["CVRContest"][0]["CVRContestSelection"][0]
    wi["SelectionPosition"][0]["CVRWriteIn"] = {"@type": "CVR.CVRWriteIn", "Text": "Zed"}
    box = cdf.read(write_json(tmp_path, data), contest="mayor")
    assert groups(box) == {(("Undeclared Write-ins",), ("Bob",)): 1}


def test_cdf_council_is_read_from_the_same_report(tmp_path: Path) -> None:
    path = write_json(tmp_path)
    assert groups(cdf.read(path, contest="council")) == COUNCIL_ROWS
    assert groups(cdf.read(write_xml(tmp_path), contest="Council")) == COUNCIL_ROWS


def test_cdf_several_contests_and_none_named_lists_them(tmp_path: Path) -> None:
    path = write_json(tmp_path)
    with pytest.raises(FormatError) as info:
        cdf.read(path)
    assert str(info.value) == (
        "cvr-report.json: the record holds 2 contests; name one (--contest):"
        " mayor 'Mayor'; council 'Council'"
    )
    with pytest.raises(FormatError, match=r"no contest 'Sheriff'; the record holds: mayor"):
        cdf.read(path, contest="Sheriff")


def test_cdf_read_ballots_detects_json_and_xml_and_takes_the_contest(tmp_path: Path) -> None:
    json_path, xml_path = write_json(tmp_path), write_xml(tmp_path)
    assert detect(json_path) == "cdf"
    assert detect(xml_path) == "cdf"
    check_mayor(read_ballots(json_path, contest="Mayor"))
    check_mayor(read_ballots(xml_path, contest="Mayor"))


def test_cdf_malformed_reports_name_the_file_and_place(tmp_path: Path) -> None:
    with pytest.raises(
        FormatError,
        match=r"^cvr-report\.json: is not a NIST CDF cast-vote record in JSON: .*\$\.CVR\[0\]",
    ):
        cdf.read(write_json(tmp_path, {"CVR": [{"CVRSnapshot": "x"}], "Election": []}))
    with pytest.raises(FormatError, match=r"^cvr-report\.xml, line 3: is not well-formed XML"):
        cdf.read(
            write_xml(
                tmp_path,
                f'<?xml version="1.0"?>\n<CastVoteRecordReport xmlns="{NS}">\n<CVR></CVX>\n',
            )
        )
    with pytest.raises(
        FormatError,
        match=r"^cvr-report\.xml: is not a NIST CDF cast-vote record \(its root is 'Cvr'\)$",
    ):
        cdf.read(write_xml(tmp_path, "<Cvr><Contests/></Cvr>"))
    data = report()
    data["CVR"][0]["CVRSnapshot"][0]["CVRContest"][0]["CVRContestSelection"][0][
        "ContestSelectionId"
    ] = "cs-nobody"
    with pytest.raises(
        FormatError,
        match=r"^cvr-report\.json: selection 'cs-nobody' is not a selection of contest mayor",
    ):
        cdf.read(write_json(tmp_path, data), contest="mayor")
    data = report()
    data["CVR"][0]["CVRSnapshot"][0]["CVRContest"][0]["CVRContestSelection"][0][
        "SelectionPosition"
    ][0]["Rank"] = 0
    with pytest.raises(
        FormatError, match=r"^cvr-report\.json: rank 0 is not a rank from 1 to 1000$"
    ):
        cdf.read(write_json(tmp_path, data), contest="mayor")


def test_json_and_xml_records_are_told_apart_by_content(tmp_path: Path) -> None:
    from ballots.errors import UnknownFormat
    from tests.support.paths import DEMO

    assert detect(DEMO) == "json"  # Red Bench's own ballots
    assert detect(write_json(tmp_path)) == "cdf"
    dominion = tmp_path / "CvrExport.json"
    dominion.write_text('{"Version": "5.17.17.1", "ElectionId": "G", "Sessions": []}')
    assert detect(dominion) == "dominion"
    hart = tmp_path / "sheet.xml"
    hart.write_text('<?xml version="1.0"?>\n<Cvr xmlns="http://tempuri.org/CVRDesign.xsd"/>')
    assert detect(hart) == "hart"
    assert detect(write_xml(tmp_path)) == "cdf"
    folder = tmp_path / "empty"
    folder.mkdir()
    with pytest.raises(UnknownFormat, match=r"empty: holds no record Red Bench reads"):
        detect(folder)
