"""Opening a closed round's ballot box: the sealed envelopes become the counted box.

At the close, inside the closing transaction (after the round is locked, so no cast can
land any more), the round's idempotency records are deleted and its envelopes read, opened
with the round's box key (:mod:`service.voting.sealing`) off the event loop, sorted by
tracker and written as the counted box (:mod:`service.results.ballot_box`) — a few hundred
rows for a million ballots, in one statement, in tracker order. So the counted ballots carry
one transaction id, lie in tracker order on disk, and were never stored next to a code.

With sealed receipts (the default) the trackers and the marks are then sorted apart — the
trackers by tracker, the marks by their content — so the stored box holds the two lists the
round publishes and nothing pairing them; the box digest is
:func:`ballots.digest.sealed_box_digest` of the two lists' digests. With open receipts each
ballot stays beside its tracker and the digest hashes the pairs
(:func:`ballots.digest.ballot_box_digest`).

Ballots counted by an older version's close, or stored unsealed by one while the round was
voting, are already in the counted box: they are read and written out again with the
opened envelopes.

Once the close has committed, the envelopes are deleted and storage cleared of the voting
(:mod:`service.results.purge`).
"""

from __future__ import annotations

import asyncio
import hashlib
import math
from collections.abc import Sequence
from typing import Any, NamedTuple

import msgspec
import numpy as np
import numpy.typing as npt
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from ballots.digest import TRACKER_LENGTH, sealed_box_digest
from ballots.marks import canonical_of
from service.results import ballot_box
from service.voting.sealing import RoundSeal


class Box(msgspec.Struct, frozen=True):
    """A round's opened ballot box: ``count`` ballots, their trackers (16 bytes each, in
    tracker order) and marks joined — beside their trackers' (open receipts) or in content
    order (sealed receipts) — and the box's digest; with sealed receipts also the digests
    of its tracker list and its content list, which the box digest is made of."""

    trackers: bytes
    marks: bytes
    count: int
    digest: str
    trackers_digest: str | None = None
    contents_digest: str | None = None


def open_envelopes(
    seal: RoundSeal,
    envelopes: Sequence[tuple[bytes, bytes]],
    counted: Sequence[ballot_box.Counted],
    kind: str,
    candidates: Sequence[str],
    *,
    open_receipts: bool = False,
) -> Box:
    """Open ``envelopes`` (nonce, sealed), add the ballots already ``counted`` and put them
    in tracker order; with sealed receipts, sort the marks apart by content (module
    docstring). CPU work only: run it off the event loop."""
    width = 2 * len(candidates)
    plain = b"".join(
        seal.open_all(envelopes) + [tracker.encode("ascii") + marks for tracker, marks in counted]
    )
    count = len(envelopes) + len(counted)
    table = np.frombuffer(plain, np.uint8).reshape(count, TRACKER_LENGTH + width)
    table = table[tracker_order(table[:, :TRACKER_LENGTH])]
    trackers = table[:, :TRACKER_LENGTH].tobytes()
    marks = np.ascontiguousarray(table[:, TRACKER_LENGTH:])
    if open_receipts:
        digest = box_digest(trackers, marks, kind, candidates)
        return Box(trackers=trackers, marks=marks.tobytes(), count=count, digest=digest)
    lists = sealed_lists(trackers, marks, kind, candidates)
    return Box(
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
    _, inverse, counts = np.unique(_row_keys(marks), return_inverse=True, return_counts=True)
    inverse = inverse.ravel()
    firsts = np.zeros(len(counts), np.intp)
    firsts[inverse] = np.arange(len(inverse))  # a ballot holding each distinct marking
    tally: dict[bytes, int] = {}  # marks that say the same (not made by a cast) add up
    for i, n in zip(firsts.tolist(), counts.tolist(), strict=True):
        line = canonical_of(marks[i].tobytes(), kind, candidates).encode()
        tally[line] = tally.get(line, 0) + n
    contents = hashlib.sha256()
    for line in sorted(tally):
        contents.update(line + b"\t" + str(tally[line]).encode("ascii") + b"\n")
    by_content = marks[np.argsort(inverse, kind="stable")]
    return SealedLists(by_content, trackers_digest, contents.hexdigest())


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
    """The ballot-box digest of ballots in tracker order: SHA-256 of one line per ballot,
    its tracker, a tab, its canonical JSON and a line feed (written once per distinct
    ballot)."""
    if len(marks) == 0:
        return hashlib.sha256(b"").hexdigest()
    unique, inverse = np.unique(_row_keys(marks), return_inverse=True)
    firsts = np.zeros(len(unique), np.intp)
    firsts[inverse] = np.arange(len(inverse))  # a ballot holding each distinct marking
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


SQLITE_ENVELOPES = "SELECT nonce, sealed FROM envelopes WHERE round_id = ?"
PG_ENVELOPES = "SELECT nonce, sealed FROM envelopes WHERE round_id = $1"


async def _envelopes(db: AsyncSession, round_id: int) -> list[tuple[bytes, bytes]]:
    """The round's envelopes, read by the database driver itself (no row object each)."""
    connection = await db.connection()
    driver: Any = (await connection.get_raw_connection()).driver_connection
    if connection.dialect.name == "postgresql":
        return [(bytes(r[0]), bytes(r[1])) for r in await driver.fetch(PG_ENVELOPES, round_id)]
    return list(await driver.execute_fetchall(SQLITE_ENVELOPES, (round_id,)))


async def open_box(
    db: AsyncSession,
    seal: RoundSeal,
    kind: str,
    candidates: Sequence[str],
    *,
    open_receipts: bool = False,
) -> Box:
    """Open the round's box in the caller's transaction (module docstring): the envelopes
    and any ballots already counted become the counted box, in tracker order."""
    round_id = seal.round_id
    await db.execute(text("DELETE FROM cast_keys WHERE round_id = :round"), {"round": round_id})
    envelopes = await _envelopes(db, round_id)
    counted = await ballot_box.read_all(db, round_id)
    box = await asyncio.to_thread(
        open_envelopes, seal, envelopes, counted, kind, candidates, open_receipts=open_receipts
    )
    await ballot_box.store(db, round_id, box.trackers, box.marks, box.count)
    return box
