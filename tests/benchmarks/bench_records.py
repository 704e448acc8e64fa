"""Records of certified tabulators: each reader, as ``redbench tally`` calls it, against
merely parsing the same bytes.

Run from the repository root (about two minutes on a quiet 2-core machine; the records go to
a temporary folder):

    .venv/bin/python tests/benchmarks/bench_records.py
    .venv/bin/python tests/benchmarks/bench_records.py --quick
    .venv/bin/python tests/benchmarks/bench_records.py --ballots 1000000 --hart 50000 --repeat 1

It writes, from a seeded model of real ballots (``ballot_model.raw_ballots``: ten candidates,
most voters ranking a few), one contest "Mayor" of --ballots ranked ballots (ten ranks) in
each record format, with one ballot in a hundred overvoting a rank (two candidates marked,
the record naming both), one in fifty skipping a rank and one in fifty ranking the
undeclared write-in line:

  dominion   a Dominion export folder: ``CvrExport.json`` (one session, one card per ballot,
             every field Dominion writes on a mark) and the contest and candidate manifests
  cdf-json   a NIST SP 1500-103 ``CastVoteRecordReport`` in JSON (one CVR, one snapshot per
             ballot; one ``CVRContestSelection`` per candidate marked, a position per rank)
  cdf-xml    the same report in XML
  clearbal   a Clear Ballot CSV export (ten card columns, then one column per candidate per
             rank: 110 cells of 1 or 0 a row)
  hart       a folder of Hart Verity XML files, one per ballot; --hart ballots (one file
             per ballot makes it the slowest per ballot to write and read)

For each record it prints, from one run:
  MB         the record's size on disk (all its files)
  ballots    the ballots read (checked: the profile's total must equal the ballots written,
             and the four records of the same ballots must give the same profile, or the
             run stops, so a reader that fails or drops ballots cannot look fast)
  read s     ``ballots.formats.read_ballots(path)``: format detection, reading the files
             from disk, parsing, the contest's marks, the ballot rules and the profile
  ballots/s  ballots divided by read s
  floor      parsing the same files from disk and building nothing (no ballots), as fast as
             a library can: for JSON ``msgspec.json.decode`` (untyped: Python dicts and lists)
             and ``json.loads``; for XML ``xml.etree.ElementTree.parse`` (every file, for
             Hart); for the CSV ``pyarrow.csv.read_csv`` (which uses every core)
  floor s    the floor's time; read/floor: read s ÷ floor s (below 1 is faster than merely
             building the parse tree the floor builds)
Times are the best of --repeat runs (2: the largest records take a while to parse; the
first read, which the checks use, is one of them). ``--only dominion,hart`` times some of
the records.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
from pyarrow import csv as pa_csv

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from ballot_model import raw_ballots
from timing import best

from ballots.formats import read_ballots
from engine.profile import Profile, RankedProfile

M = 10
"""Candidates on the ballot, and ranks."""

WRITE_IN = M
"""The undeclared write-in line, as a candidate number."""

NAMES = [f"Candidate {c + 1:02d}" for c in range(M)]

Ballot = list[tuple[int, ...]]
"""A ballot, best rank first: the candidates marked at each rank (none: a skipped rank; two:
an overvote)."""


def ballots(n: int, seed: int) -> list[Ballot]:
    """``n`` seeded ballots with a few overvotes, skipped ranks and write-ins."""
    raw = raw_ballots(n, M, seed)
    order = np.argsort(np.where(raw < 0, M, raw), axis=1, kind="stable")
    lengths = (raw >= 0).sum(axis=1)
    rng = np.random.default_rng(seed + 1)
    kind = rng.random(n)
    at = rng.integers(0, M, n)
    other = rng.integers(0, M, n)
    out: list[Ballot] = []
    for i, (row, k) in enumerate(zip(order.tolist(), lengths.tolist(), strict=True)):
        ranks: Ballot = [(c,) for c in row[:k]]
        where = at[i] % k
        if kind[i] < 0.01 and k < M:  # an overvote: beside one, a candidate not ranked
            extra = next(c % M for c in range(other[i], other[i] + M) if c % M not in row[:k])
            ranks[where] = (*ranks[where], extra)
        elif kind[i] < 0.03:  # a skipped rank
            ranks.insert(where, ())
            del ranks[M:]
        elif kind[i] < 0.05:  # the write-in line instead of a candidate
            ranks[where] = (WRITE_IN,)
        out.append(ranks)
    return out


def by_candidate(ballot: Ballot) -> dict[int, list[int]]:
    """The ranks (from 1) at which each candidate is marked."""
    marked: dict[int, list[int]] = {}
    for rank, chosen in enumerate(ballot, start=1):
        for c in chosen:
            marked.setdefault(c, []).append(rank)
    return marked


def write_dominion(folder: Path, votes: list[Ballot]) -> Path:
    folder.mkdir()
    contests: dict[str, Any] = {
        "Version": "5.17.17.1",
        "List": [{"Description": "Mayor", "Id": 1, "ExternalId": None, "DistrictId": 1}],
    }
    contests["List"][0] |= {"VoteFor": 1, "NumOfRanks": M}
    candidates: list[dict[str, Any]] = [
        {"Description": name, "Id": c + 1, "ExternalId": None, "ContestId": 1, "Type": "Regular"}
        for c, name in enumerate(NAMES)
    ]
    candidates.append(
        {"Description": "Write-in", "Id": M + 1, "ExternalId": None, "ContestId": 1}
        | {"Type": "WriteIn"}
    )
    manifest = {"Version": "5.17.17.1", "List": candidates}
    (folder / "ContestManifest.json").write_bytes(msgspec.json.encode(contests))
    (folder / "CandidateManifest.json").write_bytes(msgspec.json.encode(manifest))
    sessions = []
    for number, ballot in enumerate(votes):
        marks = [
            {
                "CandidateId": c + 1,
                "ManifestationId": 100 + c,
                "PartyId": 0,
                "Rank": rank,
                "MarkDensity": 80 + c,
                "IsAmbiguous": False,
                "IsVote": len(chosen) == 1,
                "OutstackConditionIds": [],
            }
            for rank, chosen in enumerate(ballot, start=1)
            for c in chosen
        ]
        contest: dict[str, Any] = {"Id": 1, "ManifestationId": 1, "Undervotes": M - len(ballot)}
        contest |= {"Overvotes": sum(len(r) > 1 for r in ballot), "Marks": marks}
        card = {"Id": number, "PaperIndex": 0, "Contests": [contest], "OutstackConditionIds": []}
        sessions.append(
            {
                "TabulatorId": 100 + number % 40,
                "BatchId": number // 300,
                "RecordId": number % 300 + 1,
                "CountingGroupId": 2,
                "ImageMask": f"C:\\NAS\\Results\\{number // 300:05d}\\{number:08d}*.*",
                "Original": {
                    "PrecinctPortionId": number % 120 + 1,
                    "BallotTypeId": 1,
                    "IsCurrent": True,
                    "Cards": [card],
                },
            }
        )
    body = {"Version": "5.17.17.1", "ElectionId": "General 2026", "Sessions": sessions}
    (folder / "CvrExport.json").write_bytes(msgspec.json.encode(body))
    return folder


def cdf_report(votes: list[Ballot]) -> dict[str, Any]:
    """The ballots as a CDF report, ``@type`` first (detection reads the file's head)."""
    selections: list[dict[str, Any]] = [
        {"@id": f"cs-{c}", "@type": "CVR.CandidateSelection", "CandidateIds": [f"cand-{c}"]}
        for c in range(M)
    ]
    selections.append({"@id": f"cs-{M}", "@type": "CVR.CandidateSelection", "IsWriteIn": True})
    election = {
        "@id": "election-2026",
        "@type": "CVR.Election",
        "Candidate": [
            {"@id": f"cand-{c}", "@type": "CVR.Candidate", "Name": name}
            for c, name in enumerate(NAMES)
        ],
        "Contest": [
            {
                "@id": "mayor",
                "@type": "CVR.CandidateContest",
                "Name": "Mayor",
                "ContestSelection": selections,
            }
        ],
        "ElectionScopeId": "county",
    }
    cvrs = []
    for number, ballot in enumerate(votes):
        chosen = [
            {
                "@type": "CVR.CVRContestSelection",
                "ContestSelectionId": f"cs-{c}",
                "SelectionPosition": [
                    {
                        "@type": "CVR.SelectionPosition",
                        "HasIndication": "yes",
                        "IsAllocable": "yes",
                        "NumberVotes": 1,
                        "Rank": rank,
                    }
                    for rank in ranks
                ],
            }
            for c, ranks in by_candidate(ballot).items()
        ]
        snapshot = {
            "@id": f"cvr-{number}-orig",
            "@type": "CVR.CVRSnapshot",
            "Type": "original",
            "CVRContest": [
                {"@type": "CVR.CVRContest", "ContestId": "mayor", "CVRContestSelection": chosen}
            ],
        }
        cvrs.append(
            {
                "@type": "CVR.CVR",
                "BallotStyleId": f"bs-{number % 12}",
                "CurrentSnapshotId": snapshot["@id"],
                "CVRSnapshot": [snapshot],
            }
        )
    return {
        "@type": "CVR.CastVoteRecordReport",
        "CVR": cvrs,
        "Election": [election],
        "GeneratedDate": "2026-11-04T21:00:00Z",
        "GpUnit": [{"@id": "county", "@type": "CVR.GpUnit", "Name": "County", "Type": "county"}],
        "ReportGeneratingDeviceIds": ["device-1"],
        "ReportingDevice": [{"@id": "device-1", "@type": "CVR.ReportingDevice"}],
        "Version": "1.0.0",
    }


def xml_element(name: str, value: Any, out: list[str]) -> None:
    """``value`` as XML elements named ``name`` (a list: one each), ids as ``ObjectId``."""
    if isinstance(value, list):
        if name in ("CandidateIds", "ReportGeneratingDeviceIds"):
            out.append(f"<{name}>{' '.join(value)}</{name}>")
        else:
            for item in value:
                xml_element(name, item, out)
    elif isinstance(value, dict):
        out.append(f'<{name} ObjectId="{value["@id"]}">' if "@id" in value else f"<{name}>")
        for key, item in value.items():
            if not key.startswith("@"):
                xml_element(key, item, out)
        out.append(f"</{name}>")
    else:
        text = str(value).lower() if isinstance(value, bool) else str(value)
        out.append(f"<{name}>{text}</{name}>")


def write_cdf(folder: Path, votes: list[Ballot]) -> tuple[Path, Path]:
    data = cdf_report(votes)
    json_path = folder / "cvr-report.json"
    json_path.write_bytes(msgspec.json.encode(data))
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n<CastVoteRecordReport xmlns=']
    out.append('"http://itl.nist.gov/ns/voting/1500-103/v1">')
    for key, value in data.items():
        if not key.startswith("@"):
            xml_element(key, value, out)
    out.append("</CastVoteRecordReport>\n")
    xml_path = folder / "cvr-report.xml"
    xml_path.write_text("".join(out), encoding="utf-8")
    return json_path, xml_path


CARD = [
    "RowNumber", "BoxID", "BoxPosition", "BallotID", "PrecinctID", "BallotStyleID",
    "PrecinctStyleName", "ScanComputerName", "Status", "Remade",
]  # fmt: skip


def write_clearballot(path: Path, votes: list[Ballot]) -> Path:
    choices = [*NAMES, "Write-in"]
    header = list(CARD)
    for rank in range(1, M + 1):
        for j, choice in enumerate(choices):
            number = (rank - 1) * len(choices) + j + 1
            header.append(f"Choice_{number}_1:Mayor:{rank}:Number of Winners 1:{choice}:NP")
    width = len(choices)
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(",".join(header) + "\n")
        for number, ballot in enumerate(votes):
            cells = ["0"] * (M * width)
            for rank, chosen in enumerate(ballot):
                for c in chosen:
                    cells[rank * width + c] = "1"
            box, place = divmod(number, 500)
            card = f"{number + 1},{box},{place + 1},{box}-{place + 1},{number % 120 + 1},3,"
            card += f"{number % 120 + 1}-3,SCAN0{number % 4 + 1},0,0,"
            handle.write(card + ",".join(cells) + "\n")
    return path


HART_HEAD = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    '<Cvr xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
    ' xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns="http://tempuri.org/CVRDesign.xsd">\n'
)


def write_hart(folder: Path, votes: list[Ballot]) -> Path:
    folder.mkdir()
    for number, ballot in enumerate(votes):
        options = []
        for c, ranks in by_candidate(ballot).items():
            value = "".join("1" if rank in ranks else "0" for rank in range(1, M + 1))
            if c == WRITE_IN:
                options.append(
                    f"<Option><Name>Write-in</Name><Id>opt-wi</Id><Value>{value}</Value>"
                    f"<WriteInData><ImageId>img-{number}</ImageId><WriteInDataStatus>Unresolved"
                    "</WriteInDataStatus></WriteInData></Option>"
                )
            else:
                options.append(
                    f"<Option><Name>{NAMES[c]}</Name><Id>opt-{c}</Id><Value>{value}</Value>"
                    "</Option>"
                )
        text = (
            f"{HART_HEAD}  <BatchSequence>{number % 300 + 1}</BatchSequence>\n"
            "  <SheetNumber>1</SheetNumber>\n  <Contests><Contest><Name>Mayor</Name>"
            "<Id>0b1e7a52-0000-4000-8000-000000000001</Id>"
            f"<Options>{''.join(options)}</Options></Contest></Contests>\n"
            f"  <PrecinctSplit><Name>{number % 120 + 101}</Name><Id>ps-{number % 120}</Id>"
            f"</PrecinctSplit>\n  <BatchNumber>{number // 300}</BatchNumber>\n"
            f"  <CvrGuid>7c0d{number:08x}-0000-4000-8000-000000000000</CvrGuid>\n</Cvr>\n"
        )
        (folder / f"{number:08d}.xml").write_text(text, encoding="utf-8")
    return folder


def files(path: Path) -> list[Path]:
    return sorted(p for p in path.iterdir()) if path.is_dir() else [path]


def size(path: Path) -> float:
    return sum(p.stat().st_size for p in files(path)) / 1e6


Floor = tuple[str, Callable[[Path], object]]

JSON_FLOORS: list[Floor] = [
    ("msgspec.json.decode", lambda p: [msgspec.json.decode(f.read_bytes()) for f in files(p)]),
    ("json.loads", lambda p: [json.loads(f.read_bytes()) for f in files(p)]),
]
XML_FLOORS: list[Floor] = [("ElementTree.parse", lambda p: [ET.parse(f) for f in files(p)])]
CSV_FLOORS: list[Floor] = [("pyarrow.csv.read_csv", lambda p: pa_csv.read_csv(p))]


def same(a: Profile, b: Profile) -> bool:
    """Whether two ranked profiles hold the same candidates, ballots and counts."""
    if not isinstance(a, RankedProfile) or not isinstance(b, RankedProfile):
        return False
    return (
        a.candidates == b.candidates
        and np.array_equal(a.ranks, b.ranks)
        and np.array_equal(a.counts, b.counts)
    )


def measure(
    name: str, path: Path, n: int, floors: list[Floor], repeat: int, first: list[Profile]
) -> None:
    """Time ``read_ballots(path)`` and the floors; check it read every ballot, and the same
    profile as the first record read of these ballots (``first``, filled by the first)."""
    started = time.perf_counter()
    profile = read_ballots(path).profile
    read = time.perf_counter() - started
    if profile.total != n:
        raise SystemExit(f"{name}: read {profile.total:,d} ballots of the {n:,d} written")
    if not first:
        first.append(profile)
    elif not same(profile, first[0]):
        raise SystemExit(f"{name}: read other ballots than the first record")
    if repeat > 1:
        read = min(read, best(lambda: read_ballots(path), repeat - 1))
    for number, (label, floor) in enumerate(floors):
        seconds = best(lambda f=floor: f(path), repeat)
        head = (
            f"{name:<9} {size(path):7.1f} {n:9,d} {read:8.3f} {n / read:10,.0f}"
            if number == 0
            else " " * 48
        )
        print(f"{head}  {label:<21} {seconds:8.3f} {read / seconds:9.2f}x", flush=True)


RECORDS = ("dominion", "cdf-json", "cdf-xml", "clearbal", "hart")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ballots", type=int, help="ballots per record (200,000; quick 20,000)")
    parser.add_argument("--hart", type=int, help="Hart ballots, one file each (10,000; 1,000)")
    parser.add_argument("--quick", action="store_true", help="a tenth of the ballots")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--only", default=",".join(RECORDS), help="comma-separated records")
    args = parser.parse_args()
    n = args.ballots or (20_000 if args.quick else 200_000)
    hart_n = args.hart or (1_000 if args.quick else 10_000)
    only = {name.strip() for name in args.only.split(",") if name.strip()}
    if only - set(RECORDS):
        parser.error(f"--only: unknown records {sorted(only - set(RECORDS))}; known: {RECORDS}")

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        votes = ballots(n, args.seed)
        first: list[Profile] = []
        print(
            f"{'record':<9} {'MB':>7} {'ballots':>9} {'read s':>8} {'ballots/s':>10}"
            f"  {'floor':<21} {'floor s':>8} {'read/floor':>10}",
            flush=True,
        )
        if "dominion" in only:
            path = write_dominion(folder / "dominion", votes)
            measure("dominion", path, n, JSON_FLOORS, args.repeat, first)
        if only & {"cdf-json", "cdf-xml"}:
            json_path, xml_path = write_cdf(folder, votes)
            if "cdf-json" in only:
                measure("cdf-json", json_path, n, JSON_FLOORS, args.repeat, first)
            if "cdf-xml" in only:
                measure("cdf-xml", xml_path, n, XML_FLOORS, args.repeat, first)
            json_path.unlink()
            xml_path.unlink()
        if "clearbal" in only:
            path = write_clearballot(folder / "CVR_Export_20261104.csv", votes)
            measure("clearbal", path, n, CSV_FLOORS, args.repeat, first)
        if "hart" in only:
            path = write_hart(folder / "hart", ballots(hart_n, args.seed))
            measure("hart", path, hart_n, XML_FLOORS, args.repeat, [])


if __name__ == "__main__":
    main()
