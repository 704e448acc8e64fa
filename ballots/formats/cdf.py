"""NIST SP 1500-103 Common Data Format cast-vote records (``CastVoteRecordReport``), as JSON
or XML; read only.

What is read, and nothing else:

* ``Election`` (every one): its ``Candidate`` ids and ``Name`` s, and its ``Contest`` s —
  id, ``Name`` and ``ContestSelection`` s, each with its ``CandidateIds`` and ``IsWriteIn``.
* ``CVR`` (one per ballot): the snapshot to count — the one ``CurrentSnapshotId`` names, else
  the one of ``Type`` ``modified``, else ``interpreted``, else ``original`` — and in it the
  ``CVRContest`` of the chosen contest (a ballot without it is not a ballot of the contest).
* Each ``CVRContestSelection``: its ``ContestSelectionId``; a selection whose ``Status``
  says ``needs-adjudication`` is passed over. Each of its ``SelectionPosition`` s is a mark
  at the position's ``Rank`` (or the selection's, when the position has none), unless
  ``HasIndication`` is ``no`` or ``IsAllocable`` is ``no``; a selection without positions
  is one mark at its own ``Rank``.

A selection names its candidate through ``CandidateIds`` (several ids, a ticket, read as the
names joined by `` / ``). A selection with ``IsWriteIn`` true and no candidate, or a
position carrying a ``CVRWriteIn`` on such a selection, is an undeclared write-in (the label
``UWI``); a write-in selection that names a candidate is that (declared) candidate.
Identifiers are ``@id`` in JSON and the ``ObjectId`` attribute in XML.

JSON is decoded with msgspec into typed structs; XML is read with ElementTree's pull
parser, one ``CVR`` element at a time (the report lists its CVRs before the election they
belong to, so marks are logged by id and named at the end).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import msgspec
from msgspec import Struct, field

from ballots.box import BallotBox
from ballots.formats._common import Progress, Ticker, fail, read_bytes
from ballots.formats._records import (
    WRITE_IN,
    Contest,
    MarkLog,
    Tags,
    choose_contest,
    local,
    top_elements,
    xml_root,
)
from ballots.formats.cvr import MINNEAPOLIS, CvrRules, profile_from_marks, write_in_of

NAME = "cdf"
EXTENSIONS = (".json", ".xml")

_WRITTEN = "\x00"
"""Prefixed to a selection id: a position of the selection carries a ``CVRWriteIn``."""

_SNAPSHOT_ORDER = ("modified", "interpreted", "original")
"""Snapshot types in the order one is chosen when ``CurrentSnapshotId`` names none."""


class _Base(Struct, rename="pascal"):
    """Record structs: fields in the record's PascalCase; unknown fields are ignored (a
    record holds much that the count does not need)."""


class _Position(_Base):
    rank: int | None = None
    has_indication: str | None = None
    is_allocable: str | None = None
    cvr_write_in: Any = field(default=None, name="CVRWriteIn")


class _Selection(_Base):
    contest_selection_id: str | None = None
    rank: int | None = None
    status: list[str] | str | None = None
    selection_position: list[_Position] = []


class _CvrContest(_Base):
    contest_id: str
    selections: list[_Selection] = field(default_factory=list, name="CVRContestSelection")


class _Snapshot(_Base):
    id: str = field(default="", name="@id")
    type: str | None = None
    contests: list[_CvrContest] = field(default_factory=list, name="CVRContest")


class _Cvr(_Base):
    current_snapshot_id: str | None = None
    snapshots: list[_Snapshot] = field(default_factory=list, name="CVRSnapshot")


class _ContestSelection(_Base):
    id: str = field(name="@id")
    candidate_ids: list[str] = []
    is_write_in: bool | None = None


class _Contest(_Base):
    id: str = field(name="@id")
    name: str = ""
    contest_selection: list[_ContestSelection] = []


class _Candidate(_Base):
    id: str = field(name="@id")
    name: str = ""


class _Election(_Base):
    candidate: list[_Candidate] = []
    contest: list[_Contest] = []


class _Report(_Base):
    cvrs: list[_Cvr] = field(default_factory=list, name="CVR")
    election: list[_Election] = []


class _Definitions:
    """The election's definitions: candidates' names, contests and their selections."""

    def __init__(self) -> None:
        self.candidates: dict[str, str] = {}
        self.contests: list[Contest] = []
        self.selections: dict[str, dict[str, tuple[list[str], bool]]] = {}
        """contest id -> selection id -> (candidate ids, is a write-in)."""

    def label(self, path: Path, contest: Contest, key: str) -> str:
        """The label of choice ``key`` (a selection id) in ``contest``."""
        written = key.startswith(_WRITTEN)
        key = key.removeprefix(_WRITTEN)
        found = self.selections.get(contest.id, {}).get(key)
        if found is None:
            raise fail(
                path, None, f"selection {key!r} is not a selection of contest {contest.said()}"
            )
        ids, write_in = found
        if not ids:
            if write_in or written:
                return WRITE_IN
            raise fail(path, None, f"selection {key!r} names no candidate")
        missing = [i for i in ids if i not in self.candidates]
        if missing:
            raise fail(
                path,
                None,
                f"selection {key!r} names candidate {missing[0]!r}, which no election defines",
            )
        return " / ".join(self.candidates[i] for i in ids)


def read(
    path: Path,
    progress: Progress | None = None,
    *,
    rules: CvrRules = MINNEAPOLIS,
    contest: str | None = None,
) -> BallotBox:
    """Read a CDF cast-vote record (JSON or XML) for one contest, counted by ``rules``."""
    path = Path(path)
    data = read_bytes(path, progress)
    log, defs = (_read_json if data.lstrip()[:1] == b"{" else _read_xml)(path, data, progress)
    chosen = choose_contest(path, defs.contests, contest)
    marks = log.marks(path, chosen, lambda key: defs.label(path, chosen, key))
    profile, notes = profile_from_marks(path, marks, rules)
    return BallotBox(
        profile=profile,
        format=NAME,
        title=chosen.name or chosen.id,
        notes=notes,
        write_in=write_in_of(profile, rules),
        meta={"contest": chosen.id},
    )


def _read_json(path: Path, data: bytes, progress: Progress | None) -> tuple[MarkLog, _Definitions]:
    try:
        report = msgspec.json.decode(data, type=_Report)
    except msgspec.DecodeError as exc:
        raise fail(path, None, f"is not a NIST CDF cast-vote record in JSON: {exc}") from exc
    defs = _Definitions()
    for election in report.election:
        for candidate in election.candidate:
            defs.candidates[candidate.id] = candidate.name
        for contest in election.contest:
            defs.contests.append(Contest(contest.id, contest.name))
            defs.selections[contest.id] = {
                s.id: (s.candidate_ids, bool(s.is_write_in)) for s in contest.contest_selection
            }
    log = MarkLog()
    for number, cvr in enumerate(report.cvrs):
        snapshot = _current(
            path, number, cvr.snapshots, cvr.current_snapshot_id, lambda s: (s.id, s.type)
        )
        ballot = log.ballot()
        for cvr_contest in snapshot.contests if snapshot is not None else ():
            code = log.contest(cvr_contest.contest_id)
            log.holds(ballot, code)
            for selection in cvr_contest.selections:
                _mark_selection(path, number, log, ballot, code, selection)
    Ticker(progress, len(data)).finish()
    return log, defs


def _current(path: Path, number: int, snapshots: list[Any], current: str | None, key: Any) -> Any:
    """The snapshot of a CVR to count (``key`` gives a snapshot's id and type)."""
    if not snapshots:
        return None
    if current:
        for snapshot in snapshots:
            if key(snapshot)[0] == current:
                return snapshot
        raise fail(path, None, f"CVR {number + 1}: CurrentSnapshotId {current!r} names no snapshot")
    for wanted in _SNAPSHOT_ORDER:
        for snapshot in snapshots:
            if (key(snapshot)[1] or "").lower() == wanted:
                return snapshot
    return snapshots[0]


def _mark_selection(
    path: Path,
    number: int,
    log: MarkLog,
    ballot: int,
    contest: int,
    selection: _Selection,
) -> None:
    """Log the marks of one ``CVRContestSelection`` (JSON)."""
    status = [selection.status] if isinstance(selection.status, str) else selection.status or []
    if "needs-adjudication" in status:
        return
    key = selection.contest_selection_id
    if key is None:
        raise fail(path, None, f"CVR {number + 1}: a CVRContestSelection has no ContestSelectionId")
    positions = [
        (p.rank, p.has_indication, p.is_allocable, p.cvr_write_in is not None)
        for p in selection.selection_position
    ]
    _log_positions(path, number, log, ballot, contest, key, selection.rank, positions)


def _log_positions(
    path: Path,
    number: int,
    log: MarkLog,
    ballot: int,
    contest: int,
    key: str,
    rank: int | None,
    positions: list[tuple[int | None, str | None, str | None, bool]],
) -> None:
    """Log a selection's marks: each position (rank, indication, allocable, write-in)."""
    if not positions:
        if rank is None:
            raise fail(path, None, f"CVR {number + 1}: selection {key!r} has no Rank")
        log.mark(ballot, contest, rank, key)
        return
    for at, indication, allocable, write_in in positions:
        if (indication or "").lower() == "no" or (allocable or "").lower() == "no":
            continue
        chosen = at if at is not None else rank
        if chosen is None:
            raise fail(
                path, None, f"CVR {number + 1}: selection {key!r} has a position without a Rank"
            )
        log.mark(ballot, contest, chosen, _WRITTEN + key if write_in else key)


def _read_xml(path: Path, data: bytes, progress: Progress | None) -> tuple[MarkLog, _Definitions]:
    root = xml_root(path, data)
    if root is None or local(root) != "CastVoteRecordReport":
        found = "no element" if root is None else f"its root is {local(root)!r}"
        raise fail(path, None, f"is not a NIST CDF cast-vote record ({found})")
    q = Tags(root)
    defs = _Definitions()
    log = MarkLog()
    for name, element in top_elements(path, data, q, ("CVR", "Election"), progress):
        if name == "Election":
            _define(element, defs, q)
        else:
            _read_cvr(path, element, log, q)
    return log, defs


def _object_id(element: ET.Element) -> str:
    return str(element.get("ObjectId", "")).strip()


def _define(election: ET.Element, defs: _Definitions, q: Tags) -> None:
    """Record an ``Election`` element's candidates and contests."""
    for candidate in election.findall(q("Candidate")):
        defs.candidates[_object_id(candidate)] = q.text(candidate, "Name") or ""
    for contest in election.findall(q("Contest")):
        contest_id = _object_id(contest)
        defs.contests.append(Contest(contest_id, q.text(contest, "Name") or ""))
        selections: dict[str, tuple[list[str], bool]] = {}
        for selection in contest.findall(q("ContestSelection")):
            ids = [i for c in selection.findall(q("CandidateIds")) for i in (c.text or "").split()]
            write_in = (q.text(selection, "IsWriteIn") or "").lower() in ("true", "1")
            selections[_object_id(selection)] = (ids, write_in)
        defs.selections[contest_id] = selections


def _read_cvr(path: Path, cvr: ET.Element, log: MarkLog, q: Tags) -> None:
    """Log the marks of one ``CVR`` element."""
    number = log.ballots
    ballot = log.ballot()
    snapshot = _current(
        path,
        number,
        cvr.findall(q("CVRSnapshot")),
        q.text(cvr, "CurrentSnapshotId"),
        lambda s: (_object_id(s), q.text(s, "Type")),
    )
    for cvr_contest in snapshot.findall(q("CVRContest")) if snapshot is not None else ():
        contest_id = q.text(cvr_contest, "ContestId")
        if not contest_id:
            raise fail(path, None, f"CVR {number + 1}: a CVRContest has no ContestId")
        code = log.contest(contest_id)
        log.holds(ballot, code)
        for selection in cvr_contest.findall(q("CVRContestSelection")):
            statuses = [(s.text or "").strip() for s in selection.findall(q("Status"))]
            if "needs-adjudication" in statuses:
                continue
            key = q.text(selection, "ContestSelectionId")
            if not key:
                raise fail(
                    path, None, f"CVR {number + 1}: a CVRContestSelection has no ContestSelectionId"
                )
            positions = [
                (
                    _rank(path, number, q.text(p, "Rank")),
                    q.text(p, "HasIndication"),
                    q.text(p, "IsAllocable"),
                    p.find(q("CVRWriteIn")) is not None,
                )
                for p in selection.findall(q("SelectionPosition"))
            ]
            rank = _rank(path, number, q.text(selection, "Rank"))
            _log_positions(path, number, log, ballot, code, key, rank, positions)


def _rank(path: Path, number: int, text: str | None) -> int | None:
    if text is None or text == "":
        return None
    if not text.isdigit():
        raise fail(path, None, f"CVR {number + 1}: Rank {text!r} is not a whole number")
    return int(text)
