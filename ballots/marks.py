"""The stored form of one ballot: its *marks*, one little-endian int16 per candidate of the
slate, in slate order.

- ranked: the preference position (0 first; candidates tied share one; -1 not ranked);
- score: the score (0 when not scored);
- approval and budget: 1 approved, 0 not.

Marks are what a ballot box keeps and what the engine counts (a round's marks, joined, are
one ``(ballots, candidates)`` table, :func:`profile_from_marks`). They hold exactly what a
valid ballot says: for a normalised ballot (:func:`ballots.validate.validate`)
:func:`ballot_of` gives the ballot back, so the canonical JSON shown in the published list is
derived from the marks, never stored beside them while voting.

A closed box is a round's ballots as rows of a tracker (16 ASCII bytes) and its marks;
:func:`close_box` puts them in tracker order and digests them, as :mod:`ballots.digest`
defines the digests but written for a million ballots at once (equal ballots' canonical
JSON made once). With sealed receipts it sorts the marks apart from the trackers, by
content, so nothing stored pairs them; :func:`content_list` reads the content list back.
"""

from __future__ import annotations

import functools
import hashlib
import math
import struct
from collections.abc import Sequence
from typing import Any, Final, NamedTuple

import msgspec
import numpy as np
import numpy.typing as npt

from ballots.digest import ENCODER, TRACKER_LENGTH, sealed_box_digest
from ballots.errors import FormatError
from ballots.kinds import (
    ApprovalBallot,
    Ballot,
    BallotRules,
    BudgetBallot,
    RankedBallot,
    ScoreBallot,
)
from engine.profile import ApprovalProfile, Profile, RankedProfile, ScoreProfile

NONE: Final[int] = -1
"""The mark of a candidate a ranked ballot leaves unranked."""

WIDTH: Final[int] = 2
"""Bytes per mark (int16)."""


@functools.lru_cache(maxsize=64)
def _index(candidates: tuple[str, ...]) -> dict[str, int]:
    """Candidate name to position, built once per slate."""
    return {name: i for i, name in enumerate(candidates)}


def marks_of(ballot: Ballot, candidates: Sequence[str]) -> bytes:
    """The marks of a valid ``ballot`` over the slate ``candidates``."""
    index = _index(tuple(candidates))
    if isinstance(ballot, RankedBallot):
        values = [NONE] * len(index)
        for position, group in enumerate(ballot.ranking):
            for name in group:
                values[index[name]] = position
    elif isinstance(ballot, ScoreBallot):
        values = [0] * len(index)
        for name, score in ballot.scores.items():
            values[index[name]] = score
    else:
        values = [0] * len(index)
        for name in ballot.approved:
            values[index[name]] = 1
    return struct.pack(f"<{len(values)}h", *values)


def ballot_of(marks: bytes, kind: str, candidates: Sequence[str]) -> Ballot:
    """The normalised ballot whose marks are ``marks`` (the inverse of :func:`marks_of` on
    normalised ballots): tie groups and approvals in slate order, zero scores left out."""
    m = len(candidates)
    if len(marks) != WIDTH * m:
        raise FormatError(f"{len(marks)} bytes of marks for a slate of {m} candidates")
    values = struct.unpack(f"<{m}h", marks)
    if kind == "ranked":
        groups: dict[int, list[str]] = {}
        for name, position in zip(candidates, values, strict=True):
            if position != NONE:
                groups.setdefault(position, []).append(name)
        return RankedBallot(ranking=tuple(tuple(groups[p]) for p in sorted(groups)))
    if kind == "score":
        return ScoreBallot(scores={n: v for n, v in zip(candidates, values, strict=True) if v})
    approved = tuple(n for n, v in zip(candidates, values, strict=True) if v)
    return (
        BudgetBallot(approved=approved) if kind == "budget" else ApprovalBallot(approved=approved)
    )


@functools.lru_cache(maxsize=64)
def _names(candidates: tuple[str, ...]) -> tuple[str, ...]:
    """Each candidate's name as a JSON string, as the canonical encoder writes it."""
    return tuple(ENCODER.encode(name).decode() for name in candidates)


def canonical_of(marks: bytes, kind: str, candidates: Sequence[str]) -> str:
    """The canonical JSON of the ballot whose marks are ``marks``: exactly
    ``canonical_ballot(ballot_of(marks, kind, candidates))``, written directly for ranked,
    approval and budget ballots (counting a box derives it for every distinct ballot)."""
    if kind == "score":
        return ENCODER.encode(ballot_of(marks, kind, candidates)).decode()
    names = _names(tuple(candidates))
    m = len(names)
    if len(marks) != WIDTH * m:
        raise FormatError(f"{len(marks)} bytes of marks for a slate of {m} candidates")
    values = struct.unpack(f"<{m}h", marks)
    if kind == "ranked":
        groups: dict[int, list[str]] = {}
        for name, position in zip(names, values, strict=True):
            if position != NONE:
                groups.setdefault(position, []).append(name)
        ranking = ",".join("[" + ",".join(groups[p]) + "]" for p in sorted(groups))
        return '{"kind":"ranked","ranking":[' + ranking + "]}"
    approved = ",".join(name for name, value in zip(names, values, strict=True) if value)
    return '{"kind":"' + kind + '","approved":[' + approved + "]}"


def marks_table(marks: bytes, candidates: int) -> npt.NDArray[np.int64]:
    """Ballots' marks joined into one byte string, as a ``(ballots, candidates)`` table."""
    rows = len(marks) // (WIDTH * candidates) if candidates else 0
    return np.frombuffer(marks, "<i2").reshape(rows, candidates).astype(np.int64)


def profile_from_marks(rules: BallotRules, marks: bytes) -> Profile:
    """The engine profile of ballots' joined ``marks`` under the round's ``rules``."""
    table = marks_table(marks, len(rules.candidates))
    if rules.kind == "ranked":
        return RankedProfile.from_ranks(rules.candidates, table)
    if rules.kind == "score":
        return ScoreProfile.from_matrix(rules.candidates, table, max_score=rules.max_score)
    return ApprovalProfile.from_matrix(
        rules.candidates, table, costs=rules.costs, budget=rules.budget
    )


class ClosedBox(msgspec.Struct, frozen=True):
    """A round's ballots as its close stores them: ``count`` trackers joined in tracker
    order, the marks joined beside them (open receipts) or in content order (sealed
    receipts), and the box's digest; with sealed receipts also the digests of the tracker
    list and of the content list, which the box digest is made of."""

    trackers: bytes
    marks: bytes
    count: int
    digest: str
    trackers_digest: str | None = None
    contents_digest: str | None = None


def close_box(
    rows: bytes, kind: str, candidates: Sequence[str], *, open_receipts: bool = False
) -> ClosedBox:
    """The box of ballots given as joined rows of a tracker and its marks (module
    docstring). CPU work only: run it off the event loop."""
    width = TRACKER_LENGTH + WIDTH * len(candidates)
    count = len(rows) // width
    table = np.frombuffer(rows, np.uint8).reshape(count, width)
    table = table[tracker_order(table[:, :TRACKER_LENGTH])]
    trackers = table[:, :TRACKER_LENGTH].tobytes()
    marks = np.ascontiguousarray(table[:, TRACKER_LENGTH:])
    if open_receipts:
        digest = box_digest(trackers, marks, kind, candidates)
        return ClosedBox(trackers=trackers, marks=marks.tobytes(), count=count, digest=digest)
    lists = sealed_lists(trackers, marks, kind, candidates)
    return ClosedBox(
        trackers=trackers,
        marks=lists.marks.tobytes(),
        count=count,
        digest=sealed_box_digest(lists.trackers_digest, lists.contents_digest),
        trackers_digest=lists.trackers_digest,
        contents_digest=lists.contents_digest,
    )


class SealedLists(NamedTuple):
    """A box's two published lists as the close makes them: the marks in content order,
    and the digests of the tracker list and of the content list."""

    marks: npt.NDArray[np.uint8]
    trackers_digest: str
    contents_digest: str


def sealed_lists(
    trackers: bytes, marks: npt.NDArray[np.uint8], kind: str, candidates: Sequence[str]
) -> SealedLists:
    """The marks sorted by content (equal marks together), apart from the trackers, and the
    digests of the two lists as :func:`ballots.digest.tracker_list_digest` and
    :func:`ballots.digest.content_list_digest` define them (``trackers`` in tracker order)."""
    count = len(trackers) // TRACKER_LENGTH
    lines = np.empty((count, TRACKER_LENGTH + 1), np.uint8)
    lines[:, :TRACKER_LENGTH] = np.frombuffer(trackers, np.uint8).reshape(count, TRACKER_LENGTH)
    lines[:, TRACKER_LENGTH] = ord("\n")
    trackers_digest = hashlib.sha256(lines.tobytes()).hexdigest()
    if count == 0:
        return SealedLists(marks, trackers_digest, hashlib.sha256(b"").hexdigest())
    firsts, inverse, counts = _distinct(marks)
    contents = hashlib.sha256()
    for line, n in _contents(marks, firsts, counts, kind, candidates):
        contents.update(line + b"\t" + str(n).encode("ascii") + b"\n")
    by_content = marks[np.argsort(inverse, kind="stable")]
    return SealedLists(by_content, trackers_digest, contents.hexdigest())


def content_list(marks: bytes, kind: str, candidates: Sequence[str]) -> list[tuple[str, int]]:
    """Each distinct ballot of joined ``marks`` as canonical JSON with how many say it,
    sorted by the JSON's bytes (the content list, :func:`ballots.digest.content_list_digest`).
    CPU work: run it off the event loop for a large box."""
    width = WIDTH * len(candidates)
    if not marks or width == 0:
        return []
    table = np.frombuffer(marks, np.uint8).reshape(-1, width)
    firsts, _, counts = _distinct(table)
    return [(line.decode(), n) for line, n in _contents(table, firsts, counts, kind, candidates)]


def _distinct(
    marks: npt.NDArray[np.uint8],
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Of a table of ballots' marks (at least one): a ballot holding each distinct marking,
    each ballot's marking (an index into the first) and how many ballots hold each."""
    _, inverse, counts = np.unique(_row_keys(marks), return_inverse=True, return_counts=True)
    inverse = inverse.ravel()
    firsts = np.zeros(len(counts), np.intp)
    firsts[inverse] = np.arange(len(inverse))
    return firsts, inverse, counts


def _contents(
    marks: npt.NDArray[np.uint8],
    firsts: npt.NDArray[np.intp],
    counts: npt.NDArray[np.intp],
    kind: str,
    candidates: Sequence[str],
) -> list[tuple[bytes, int]]:
    """The content list's entries: each distinct ballot's canonical JSON and how many say
    it, sorted by the JSON's bytes (marks that say the same, not made by a cast, add up)."""
    tally: dict[bytes, int] = {}
    for i, n in zip(firsts.tolist(), counts.tolist(), strict=True):
        line = canonical_of(marks[i].tobytes(), kind, candidates).encode()
        tally[line] = tally.get(line, 0) + n
    return sorted(tally.items())


def tracker_order(trackers: npt.NDArray[np.uint8]) -> npt.NDArray[np.intp]:
    """The order that sorts rows of 16 ASCII bytes. Trackers compare as two big-endian
    64-bit numbers; random ones almost never share their first eight characters, so one sort
    on those usually settles it (a tenth of a second for a million) and a full sort on both
    halves runs only when two do."""
    halves = trackers.copy().view(">u8")
    order = np.argsort(halves[:, 0], kind="stable")
    first = halves[order, 0]
    if len(first) > 1 and bool((first[1:] == first[:-1]).any()):
        order = np.lexsort((halves[:, 1], halves[:, 0]))
    return order


def box_digest(
    trackers: bytes, marks: npt.NDArray[np.uint8], kind: str, candidates: Sequence[str]
) -> str:
    """The ballot-box digest of ballots in tracker order
    (:func:`ballots.digest.ballot_box_digest`): SHA-256 of one line per ballot, its tracker,
    a tab, its canonical JSON and a line feed (written once per distinct ballot)."""
    if len(marks) == 0:
        return hashlib.sha256(b"").hexdigest()
    firsts, inverse, _ = _distinct(marks)
    texts = [
        ("\t" + canonical_of(marks[i].tobytes(), kind, candidates) + "\n").encode()
        for i in firsts.tolist()
    ]
    # each line is its tracker and its ballot's text, gathered from one buffer in slices
    source = np.frombuffer(trackers + b"".join(texts), np.uint8)
    lengths = np.array([len(t) for t in texts], np.int64)
    starts = len(trackers) + np.concatenate(([0], np.cumsum(lengths)[:-1]))
    digest = hashlib.sha256()
    step = DIGEST_SLICE
    for begin in range(0, len(inverse), step):
        which = inverse[begin : begin + step]
        offsets = np.empty(2 * len(which), np.int64)
        offsets[0::2] = TRACKER_LENGTH * np.arange(begin, begin + len(which))
        offsets[1::2] = starts[which]
        sizes = np.empty_like(offsets)
        sizes[0::2] = TRACKER_LENGTH
        sizes[1::2] = lengths[which]
        ends = np.cumsum(sizes)
        index = np.arange(int(ends[-1])) + np.repeat(offsets - (ends - sizes), sizes)
        digest.update(source[index].tobytes())
    return digest.hexdigest()


DIGEST_SLICE = 65_536
"""Ballots whose lines are put together at once (a few MB of index at a time)."""


def _row_keys(marks: npt.NDArray[np.uint8]) -> npt.NDArray[Any]:
    """One sortable value per ballot, equal exactly when the marks are: the marks read as
    the digits of one integer (each mark's column its own base, from its smallest to its
    largest value) when that fits in 63 bits, as for any slate of up to 15 candidates
    (integers sort far faster); else the raw bytes."""
    values = np.ascontiguousarray(marks).view("<i2").astype(np.int64)
    low = values.min(axis=0)
    spans = [int(s) for s in values.max(axis=0) - low + 1]
    if math.prod(spans) < 2**63:
        radix = np.array([math.prod(spans[:c]) for c in range(len(spans))], np.int64)
        return np.asarray((values - low) @ radix)
    return np.ascontiguousarray(marks).view(f"V{marks.shape[1]}").ravel()
