"""A round's bundle written in parts, as its ballot box is read part by part, byte for byte
the file :func:`ballots.bundle.encode` makes of the whole round.

A one-round bundle is its head (everything up to the round's ``"ballots":``), the ballots,
and its end (``}]`` and the package digest). The round's ballots are its last field and the
digest the bundle's last member, so :class:`StreamedBundle` writes the head at once, hashes
each piece of ballots as it passes, and writes the digest when the last piece has gone.

The pieces: for open receipts each part's :class:`~ballots.bundle.BallotEntry` list
(:func:`entries_piece`); for sealed receipts the part's trackers (:func:`trackers_piece`),
then, when every part has been read, the content list (:func:`contents_piece`), which
:class:`ContentTally` counts part by part from the marks — its size grows with the distinct
ballots, never with the ballots.
"""

from __future__ import annotations

import hashlib
import heapq
from collections.abc import Iterable, Sequence
from typing import Final

import msgspec
import numpy as np
import numpy.typing as npt

from ballots.bundle import BallotEntry, Package, SealedBallots, version_for
from ballots.digest import ENCODER, TRACKER_LENGTH
from ballots.marks import NONE, WIDTH, canonical_of, marks_table
from engine.profile import RankedProfile

PLACEHOLDER_DIGEST: Final = "0" * 64
SORT_RUN: Final = 8192
"""Content-list lines sorted at once before the runs are merged."""
MERGE_AT: Final = 65_536
"""Distinct keys of parts a :class:`ContentTally` holds, at least, before it merges them."""


def placeholder(open_receipts: bool) -> tuple[BallotEntry, ...] | SealedBallots:
    """Empty ballots of the round's shape, standing in the package for those to come."""
    if open_receipts:
        return ()
    return SealedBallots(
        trackers=(),
        trackers_digest=PLACEHOLDER_DIGEST,
        contents=(),
        contents_digest=PLACEHOLDER_DIGEST,
    )


class StreamedBundle:
    """A one-round bundle (scope ``round``, no loop) whose round's ballots come in pieces.

    ``package`` holds the round with :func:`placeholder` ballots. :attr:`head` is the file up
    to the ballots; each :meth:`piece` passes through (and into the package digest); after
    the last, :meth:`end` is the rest of the file, and :attr:`digest` the package digest."""

    def __init__(self, package: Package) -> None:
        if len(package.rounds) != 1 or package.loop is not msgspec.UNSET:
            raise ValueError("a streamed bundle holds one round and no loop")
        version = version_for(package.rounds, package.loop)
        data = ENCODER.encode(msgspec.structs.replace(package, version=version))
        marker = b'"ballots":' + ENCODER.encode(package.rounds[0].ballots)
        self._tail = b"}]}"
        if not data.endswith(marker + self._tail):
            raise ValueError("the round's ballots are not the last field of the package")
        self.head = data[: len(data) - len(marker) - len(self._tail)] + b'"ballots":'
        self._hash = hashlib.sha256(self.head)
        self.digest: str | None = None

    def piece(self, data: bytes) -> bytes:
        """A piece of the round's ballots, as written (and hashed)."""
        self._hash.update(data)
        return data

    def end(self) -> bytes:
        """The end of the file: the round and its list closed, then the package digest."""
        self._hash.update(self._tail)
        self.digest = self._hash.hexdigest()
        return self._tail[:-1] + b',"digest":' + ENCODER.encode(self.digest) + b"}"


def entries_piece(entries: Sequence[BallotEntry], first: bool) -> bytes:
    """Open receipts: a part's entries as they stand in the bundle's array (``[`` before the
    first part's, a comma between parts)."""
    if not entries:
        return b"[" if first else b""
    body = ENCODER.encode(entries)[1:-1]
    return (b"[" if first else b",") + body


def trackers_piece(trackers: bytes, first: bool) -> bytes:
    """Sealed receipts: a part's trackers (16 ASCII characters each, joined, in tracker
    order) as they stand in the bundle's tracker list. Trackers are Crockford base 32, so
    each is written as it is between quotes."""
    opening = b'{"trackers":[' if first else b","
    if not trackers:
        return opening if first else b""
    return opening + _framed(trackers, b'"', b'",')[:-1]


def trackers_lines(trackers: bytes) -> bytes:
    """A part's trackers as :func:`ballots.digest.tracker_list_digest` hashes them (one
    per line), to digest a list read in order."""
    return _framed(trackers, b"", b"\n")


def _framed(trackers: bytes, before: bytes, after: bytes) -> bytes:
    """Each tracker of joined ``trackers`` between ``before`` and ``after``, joined (one
    table of bytes, not one object per tracker)."""
    count = len(trackers) // TRACKER_LENGTH
    start, end = len(before), len(before) + TRACKER_LENGTH
    table = np.empty((count, end + len(after)), np.uint8)
    table[:, :start] = np.frombuffer(before, np.uint8)
    table[:, start:end] = np.frombuffer(trackers, np.uint8).reshape(count, TRACKER_LENGTH)
    table[:, end:] = np.frombuffer(after, np.uint8)
    return table.tobytes()


def between_lists(trackers_digest: str) -> bytes:
    """Sealed receipts: after the last tracker, up to the content list."""
    return b'],"trackers_digest":' + ENCODER.encode(trackers_digest) + b',"contents":['


def contents_piece(contents: Iterable[tuple[str, int]], first: bool) -> bytes:
    """Sealed receipts: distinct ballots (canonical JSON) with their counts as they stand in
    the bundle's content list (:class:`~ballots.bundle.CountedContent`, ``count`` first)."""
    body = b",".join(
        b'{"count":' + str(n).encode("ascii") + b',"ballot":' + line.encode() + b"}"
        for line, n in contents
    )
    return body if first or not body else b"," + body


def after_lists(contents_digest: str) -> bytes:
    """Sealed receipts: after the last content, the end of the round's ballots."""
    return b'],"contents_digest":' + ENCODER.encode(contents_digest) + b"}"


def closing_entries(any_part: bool) -> bytes:
    """Open receipts: the end of the round's ballots (``[]`` when the box is empty)."""
    return b"]" if any_part else b"[]"


class ContentTally:
    """The content list of a box read in parts: marks counted as they come, then each
    distinct marking's canonical JSON once (:func:`ballots.marks.canonical_of`), equal JSON
    added up and sorted by its bytes — :func:`ballots.marks.content_list` of the whole box.

    Ranked marks (positions from -1 to the slate's size less one) of a slate of up to 15
    candidates are packed, a few bits a mark, into one 64-bit key per ballot, and each
    part's distinct keys are counted with numpy; the keys kept are merged whenever they
    outnumber twice the distinct ones and :data:`MERGE_AT`. Other marks are counted one
    ballot at a time in a dictionary. Either way what it holds grows with the distinct
    ballots, never with the ballots."""

    def __init__(self, kind: str, candidates: Sequence[str]) -> None:
        self.kind = kind
        self.candidates = tuple(candidates)
        self.width = WIDTH * len(candidates)
        self.ballots = 0
        self._seen: dict[bytes, int] = {}
        m = len(self.candidates)
        self._bits = max(m.bit_length(), 1)
        self._packed = kind == "ranked" and 0 < m * self._bits <= 64
        self._shifts = np.arange(m - 1, -1, -1, dtype=np.uint64) * np.uint64(self._bits)
        self._keys: list[npt.NDArray[np.uint64]] = []
        self._counts: list[npt.NDArray[np.int64]] = []
        self._held = 0
        self._distinct = 0

    def add(self, marks: bytes) -> None:
        """Count one part's marks (joined, ``width`` bytes per ballot)."""
        width = self.width
        if width == 0 or not marks:
            return
        table = np.frombuffer(marks, "<i2").reshape(-1, len(self.candidates))
        self.ballots += len(table)
        if self._packed and int(table.min()) >= NONE and int(table.max()) < table.shape[1]:
            keys = ((table + 1).astype(np.uint64) << self._shifts).sum(axis=1, dtype=np.uint64)
            distinct, counts = np.unique(keys, return_counts=True)
            self._keys.append(distinct)
            self._counts.append(counts.astype(np.int64))
            self._held += len(distinct)
            if self._held > max(MERGE_AT, 2 * self._distinct):
                self._merge()
            return
        seen = self._seen
        for start in range(0, len(marks), width):
            key = marks[start : start + width]
            seen[key] = seen.get(key, 0) + 1

    def _merge(self) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64]]:
        """The distinct packed keys counted so far, in order, with their counts."""
        if len(self._keys) != 1:
            keys = np.concatenate(self._keys) if self._keys else np.zeros(0, np.uint64)
            counts = np.concatenate(self._counts) if self._counts else np.zeros(0, np.int64)
            order = np.argsort(keys, kind="stable")
            keys = keys[order]
            starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
            if not len(keys):
                starts = starts[:0]
            summed = np.add.reduceat(counts[order], starts) if len(keys) else counts
            self._keys, self._counts = [keys[starts]], [summed]
            self._held = self._distinct = len(starts)
        return self._keys[0], self._counts[0]

    def _unpacked(self) -> tuple[npt.NDArray[np.int16], npt.NDArray[np.int64]]:
        """The packed keys' distinct markings, as rows of marks, with their counts."""
        keys, counts = self._merge()
        mask = np.uint64((1 << self._bits) - 1)
        rows = ((keys[:, None] >> self._shifts) & mask).astype(np.int16) - 1
        return rows, counts

    def distinct(self) -> list[tuple[bytes, int]]:
        """Each distinct marking counted so far (its marks, as stored) with how many ballots
        hold it; a marking may come twice (packed and not), to be added up."""
        rows, counts = self._unpacked()
        joined = rows.astype("<i2").tobytes()
        width = self.width
        packed = zip(range(0, len(joined), width), counts.tolist(), strict=True)
        return [(joined[a : a + width], n) for a, n in packed] + list(self._seen.items())

    def contents(self) -> list[tuple[str, int]]:
        """Every distinct ballot as canonical JSON with how many say it, sorted by the JSON's
        bytes (UTF-8 keeps the order of code points, so sorting the text is the same). The
        counted marks are let go: call it once, after the last part."""
        seen = self.distinct()
        self._seen, self._keys, self._counts, self._held, self._distinct = {}, [], [], 0, 0
        tally: dict[str, int] = {}
        for marks, n in seen:
            line = canonical_of(marks, self.kind, self.candidates)
            tally[line] = tally.get(line, 0) + n
        del seen
        # sorted in runs, then merged: one sort of every line would hold the interpreter
        # (and a server's event loop, when run in a thread) for a third of a second
        items = list(tally.items())
        del tally
        runs = [sorted(items[i : i + SORT_RUN]) for i in range(0, len(items), SORT_RUN)]
        del items
        return list(heapq.merge(*runs))

    def ranked_profile(self) -> RankedProfile:
        """The engine profile of a ranked round's marks counted so far: the profile counting
        the whole box makes (:func:`ballots.marks.profile_from_marks`), from its distinct
        markings and their counts."""
        if self.kind != "ranked":
            raise ValueError(f"a ranked profile of {self.kind} ballots")
        rows, counts = self._unpacked()
        table = marks_table(b"".join(self._seen), len(self.candidates))
        return RankedProfile.from_ranks(
            self.candidates,
            np.concatenate((rows.astype(np.int64), table)),
            np.concatenate((counts, np.array(list(self._seen.values()), np.int64))),
        )


def contents_digest(contents: Iterable[tuple[str, int]]) -> str:
    """:func:`ballots.digest.content_list_digest` of a content list already sorted and
    added up (as :meth:`ContentTally.contents` gives it)."""
    digest = hashlib.sha256()
    for line, n in contents:
        digest.update(line.encode() + b"\t" + str(n).encode("ascii") + b"\n")
    return digest.hexdigest()
