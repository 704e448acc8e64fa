"""Dominion Democracy Suite's JSON export of cast-vote records; read only.

The export is a folder (or a zip archive of it) holding ``CvrExport.json`` — or the same
split over ``CvrExport_1.json``, ``CvrExport_2.json`` … — and manifests. Two manifests are
needed: ``ContestManifest.json`` (each contest's ``Id`` and ``Description``) and
``CandidateManifest.json`` (each candidate's ``Id``, ``Description``, ``ContestId`` and
``Type``); the others (precincts, ballot types, tabulators …) do not change a count and are
not read. The path may be the folder, the zip, or any JSON file in the folder.

What is read from each ``Sessions`` entry (one ballot): ``Modified`` when present, else
``Original``; in it the contests of each of its ``Cards`` (or of the entry itself, as older
exports have them); of the chosen contest's ``Id`` its ``Marks``, each a ``CandidateId`` at a
``Rank`` (1 is the first). A mark with ``IsAmbiguous`` true is not a mark (Dominion could not
tell whether the voter marked there). ``IsVote`` is not used to drop marks: Dominion sets it
false on marks that its own single-choice reading does not count, which for a ranked contest
includes the marks of an overvoted rank and later ranks — the ranks are what count, and the
certified tabulator (RCTab) reads these marks the same way. A ballot whose entry lacks the
contest is not a ballot of the contest; one that has it with no marks ranks nobody.

A candidate of ``Type`` ``WriteIn`` is the undeclared write-in line (the label ``UWI``); a
``QualifiedWriteIn`` is a declared write-in, a candidate like any other. The JSON is decoded
with msgspec into typed structs.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TypeVar

import msgspec
from msgspec import Struct, field

from ballots.box import BallotBox
from ballots.formats._common import Progress, fail
from ballots.formats._records import (
    WRITE_IN,
    Contest,
    MarkLog,
    Member,
    choose_contest,
    members,
    read_members,
)
from ballots.formats.cvr import MINNEAPOLIS, CvrRules, profile_from_marks, write_in_of

NAME = "dominion"
EXTENSIONS = (".json", ".zip")

EXPORT = re.compile(r"CvrExport(?:_(\d+))?\.json", re.IGNORECASE)
"""The name of the export's file of ballots, whole or one part of it."""
CONTESTS = "ContestManifest.json"
CANDIDATES = "CandidateManifest.json"

_T = TypeVar("_T")


class _Base(Struct, rename="pascal"):
    """Export structs: fields in the export's PascalCase, unknown fields ignored."""


class _Entry(_Base):
    id: int
    description: str = ""


class _Candidate(_Entry):
    contest_id: int = -1
    type: str = "Regular"


class _ContestList(_Base):
    entries: list[_Entry] = field(name="List")


class _CandidateList(_Base):
    entries: list[_Candidate] = field(name="List")


class _Mark(_Base):
    candidate_id: int
    rank: int = 1
    is_ambiguous: bool = False
    is_vote: bool = True


class _Contest(_Base):
    id: int
    marks: list[_Mark] = []


class _Card(_Base):
    contests: list[_Contest] = []


class _Ballot(_Base):
    cards: list[_Card] | None = None
    contests: list[_Contest] | None = None


class _Session(_Base):
    original: _Ballot | None = None
    modified: _Ballot | None = None


class _Export(_Base):
    sessions: list[_Session]


def read(
    path: Path,
    progress: Progress | None = None,
    *,
    rules: CvrRules = MINNEAPOLIS,
    contest: str | None = None,
) -> BallotBox:
    """Read a Dominion JSON export (folder, zip, or a JSON file in the folder) for one
    contest, counted by ``rules``."""
    path = Path(path)
    folder = path.parent if path.is_file() and path.suffix.lower() == ".json" else path
    found = members(folder, lambda name: name.lower().endswith(".json"))
    by_name = {member.name.rsplit("/", 1)[-1].lower(): member for member in found}
    contests = _decode(path, _manifest(path, by_name, CONTESTS), _ContestList).entries
    candidates = _decode(path, _manifest(path, by_name, CANDIDATES), _CandidateList).entries
    chosen = choose_contest(path, [Contest(str(c.id), c.description) for c in contests], contest)
    labels = {
        str(c.id): WRITE_IN if c.type.lower() == "writein" else c.description
        for c in candidates
        if str(c.contest_id) == chosen.id
    }
    parts = sorted(
        (m for m in found if EXPORT.fullmatch(m.name.rsplit("/", 1)[-1])),
        key=lambda m: (int(EXPORT.fullmatch(m.name.rsplit("/", 1)[-1]).group(1) or 0), m.name),  # type: ignore[union-attr]
    )
    if not parts:
        raise fail(path, None, "no CvrExport.json (nor CvrExport_1.json …) in the export")
    log = MarkLog()
    wanted = int(chosen.id)
    code = log.contest(chosen.id)
    not_votes = 0
    for member, data in read_members(parts, progress):
        export = _decode(path, (member, data), _Export)
        for number, session in enumerate(export.sessions):
            ballot_marks = session.modified or session.original
            if ballot_marks is None:
                raise fail(
                    path,
                    None,
                    f"{member.name}: session {number + 1} has neither Original nor Modified",
                )
            held = [
                c
                for card in (ballot_marks.cards or [_Card(contests=ballot_marks.contests or [])])
                for c in card.contests
                if c.id == wanted
            ]
            if not held:
                continue
            ballot = log.ballot()
            log.holds(ballot, code)
            for contest_marks in held:
                for mark in contest_marks.marks:
                    if mark.is_ambiguous:
                        continue
                    key = str(mark.candidate_id)
                    if key not in labels:
                        raise fail(
                            path,
                            None,
                            f"{member.name}: session {number + 1} marks candidate {key}, "
                            f"not a candidate of contest {chosen.said()} in {CANDIDATES}",
                        )
                    if mark.rank < 1:
                        raise fail(
                            path,
                            None,
                            f"{member.name}: session {number + 1}: rank {mark.rank} is not a rank",
                        )
                    not_votes += not mark.is_vote
                    log.mark(ballot, code, mark.rank, key)
    profile, notes = profile_from_marks(path, log.marks(path, chosen, labels.__getitem__), rules)
    if not_votes:
        notes = (*notes, f"{not_votes} marks flagged IsVote false counted at their rank")
    return BallotBox(
        profile=profile,
        format=NAME,
        title=chosen.name or chosen.id,
        notes=notes,
        write_in=write_in_of(profile, rules),
        meta={"contest": chosen.id},
    )


def _manifest(path: Path, by_name: dict[str, Member], name: str) -> tuple[Member, bytes]:
    member = by_name.get(name.lower())
    if member is None:
        raise fail(path, None, f"no {name} in the export (it names the contests and candidates)")
    return member, member.read()


def _decode(path: Path, found: tuple[Member, bytes], kind: type[_T]) -> _T:
    member, data = found
    try:
        return msgspec.json.decode(data, type=kind)
    except msgspec.DecodeError as exc:
        raise fail(path, None, f"{member.name} is not a Dominion export file: {exc}") from exc
