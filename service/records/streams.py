"""A round's ballot-bearing exports — the JSON bundle, the ballots CSV, BLT and PrefLib —
written as its counted box is read, part by part (:mod:`service.results.ballot_box`), byte
for byte the files :mod:`service.records.exports` builds whole.

The server holds one part of the box at a time (4,096 ballots) and, for what needs every
ballot at once — the content list of a round with sealed receipts, the ballot lines of a BLT
or PrefLib file, sorted by count — the round's distinct ballots with their counts: its memory
grows with the distinct ballots, never with the ballots.

- **JSON bundle, ballots CSV**: the head is sent at once; then each part as it is read (the
  trackers or, for open receipts, the ballots beside them); then, for sealed receipts, the
  content list; then the package digest, which the bundle's pieces were hashed into as they
  passed (the ballots CSV is not the bundle, but its audit row carries the digest too).
- **BLT, PrefLib**: the file's ballot lines are sorted by count, so the box is read before
  them and the profile made of its distinct ballots; the lines are then written a few
  thousand at a time, and the rest of the bundle's digest is made after them. A BLT file's
  first line (candidates and seats) leaves before the box is read; a PrefLib file's data
  type (its extension, in the answer's file name) depends on every ballot, so its answer
  starts only once the box is read.

The box is read a few parts per statement, each statement in a short transaction of its own,
never in one held for the whole download; the next statement runs while the last one's
parts are used. Every download is written to the audit log when
it ends, with the package digest (``complete`` false, and no digest, when the client left
before the end).

Every part's decoding and encoding runs in a thread, so the event loop is never held for
more than a part's worth of work. The ballots keep the box's order (tracker order, or
content order for the content list): nothing here orders them otherwise.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any, Final, TypeVar

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ballots.box import BallotBox
from ballots.bundle import Package, RoundRecord, SealedBallots, entry
from ballots.digest import TRACKER_LENGTH
from ballots.formats import blt, preflib
from ballots.formats.preflib import data_type_for
from ballots.kinds import Ballot, BallotRules
from ballots.recount import published_count
from ballots.streaming import (
    ContentTally,
    StreamedBundle,
    after_lists,
    between_lists,
    closing_entries,
    contents_digest,
    contents_piece,
    entries_piece,
    placeholder,
    trackers_lines,
    trackers_piece,
)
from engine.profile import RankedProfile
from service.auth.guard import Actor
from service.db import models
from service.processes.repository import find_process
from service.records import tables
from service.records.assemble import process_record, round_record
from service.records.exports import (
    FORMATS,
    ascii_filename,
    audit_export,
    checked,
    disposition,
    filename,
)
from service.results import ballot_box as box
from service.results.controllers import counted_round
from service.rounds.settings import ballot_rules

STREAMED: Final = frozenset({"json", "ballots-csv", "blt", "preflib"})
"""The exports of a round written as its box is read."""
PARTS_PER_READ: Final = 4
"""Stored parts read in one statement (up to 16,384 ballots, about 600 kB for ten options)."""
LINES: Final = 4096
"""Lines (or content entries) written per chunk when writing from the distinct ballots."""
FIRST_LINES: Final = 64
"""Lines of a BLT or PrefLib file in its first chunk, sent before the next are made."""

_BALLOT: Final = msgspec.json.Decoder(Ballot)
T = TypeVar("T")


@dataclass(frozen=True)
class StreamedExport:
    """An export on its way: its media type, file names and the chunks of its bytes."""

    format: str
    media_type: str
    filename: str
    ascii_filename: str
    chunks: AsyncIterator[bytes]

    def disposition(self) -> str:
        """The ``Content-Disposition`` header value."""
        return disposition(self.filename, self.ascii_filename)


@dataclass(frozen=True)
class Part:
    """One stored part of the counted box: its trackers and its marks, joined."""

    trackers: bytes
    marks: bytes

    @property
    def count(self) -> int:
        return len(self.trackers) // TRACKER_LENGTH


async def _read_parts(
    maker: async_sessionmaker[AsyncSession], round_id: int, after: str
) -> list[tuple[str, bytes, bytes]]:
    """Up to :data:`PARTS_PER_READ` stored parts after the tracker ``after``, in one short
    transaction."""
    async with maker() as db:
        rows = (
            await db.execute(
                select(models.BoxPart.first_tracker, models.BoxPart.trackers, models.BoxPart.marks)
                .where(models.BoxPart.round_id == round_id, models.BoxPart.first_tracker > after)
                .order_by(models.BoxPart.first_tracker)
                .limit(PARTS_PER_READ)
            )
        ).all()
    return [(first, bytes(trackers), bytes(marks)) for first, trackers, marks in rows]


async def box_parts(maker: async_sessionmaker[AsyncSession], round_id: int) -> AsyncIterator[Part]:
    """The round's counted box, one stored part at a time, in tracker order. The parts are
    read :data:`PARTS_PER_READ` at a time, each read in a short transaction of its own (a
    counted box is written once, when the round closes): no snapshot is held while the
    parts are sent, which on SQLite would hold up the checkpoint after a close, and every
    writer behind it, for as long as a download lasts. The next read runs while the parts
    of the last are used, so at most two reads are held at once."""
    reading: asyncio.Task[list[tuple[str, bytes, bytes]]] | None
    reading = asyncio.ensure_future(_read_parts(maker, round_id, ""))
    try:
        while reading is not None:
            rows = await reading
            reading = None
            if len(rows) == PARTS_PER_READ:
                reading = asyncio.ensure_future(_read_parts(maker, round_id, rows[-1][0]))
            for _, trackers, marks in rows:
                yield Part(trackers, marks)
    finally:
        if reading is not None:
            reading.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reading


async def _off(fn: Callable[[], T]) -> T:
    return await asyncio.to_thread(fn)


async def _chunks(lines: Iterator[T], size: int = LINES) -> AsyncIterator[list[T]]:
    """``lines`` taken ``size`` at a time in a thread (the iterator does the work)."""
    while batch := await _off(lambda: list(islice(lines, size))):
        yield batch


class BoxWalk:
    """One pass over a round's box: the bundle's ballot pieces, each hashed into the package
    digest, and the distinct ballots counted (:attr:`contents` once the pass is over). With
    ``csv`` the pass writes, instead of the bundle, the ballots CSV's rows of an
    open-receipt round, which follow the box part by part (the bundle is still hashed: its
    digest goes to the audit log). The distinct ballots are counted for sealed receipts
    (the bundle lists them) and, with ``counting``, for open ones (for a ballot file)."""

    def __init__(
        self,
        package: Package,
        stored: models.RoundResult,
        lang: str,
        *,
        csv: bool = False,
        counting: bool = False,
    ) -> None:
        self.package = package
        self.record: RoundRecord = package.rounds[0]
        self.bundle = StreamedBundle(package)
        self.sealed = isinstance(self.record.ballots, SealedBallots)
        rules = self.record.rules
        self.tally = ContentTally(rules.kind, rules.candidates)
        self.stored_digests = (stored.trackers_digest, stored.contents_digest)
        self.lang = lang
        self.csv = csv
        self.counting = counting
        self.contents: list[tuple[str, int]] = []
        self._reader = box.reader(rules)
        self._trackers = hashlib.sha256()
        self._first = True

    def _piece(self, data: bytes) -> bytes:
        data = self.bundle.piece(data)
        return b"" if self.csv else data

    def _end(self) -> bytes:
        data = self.bundle.end()
        return b"" if self.csv else data

    def _encode(self, part: Part, first: bool, trackers: Any) -> tuple[bytes, bytes]:
        """A part's piece of the bundle and (open receipts, ``csv``) its CSV rows."""
        if self.sealed or self.counting:
            self.tally.add(part.marks)
        if self.sealed:
            trackers.update(trackers_lines(part.trackers))
            return trackers_piece(part.trackers, first), b""
        ballot_of = self._reader
        entries = [
            entry(t, ballot_of(m))
            for t, m in box.unpack(("", part.count, part.trackers, part.marks))
        ]
        rows = b""
        if self.csv:
            lang = self.lang
            rows = tables.to_csv(
                [
                    tables.ballot_row(self.record, [e.tracker, e.hash], e.ballot, lang)
                    for e in entries
                ],
                bom=False,
            )
        return entries_piece(entries, first), rows

    async def parts(
        self, maker: async_sessionmaker[AsyncSession], round_id: int
    ) -> AsyncIterator[bytes]:
        """The bundle's pieces of each part of the box as it is read (or, with ``csv``, the
        rows of an open-receipt round); empty pieces are left out."""
        async for part in box_parts(maker, round_id):
            piece, rows = await asyncio.to_thread(self._encode, part, self._first, self._trackers)
            self._first = False
            piece = self._piece(piece)
            if piece or rows:
                yield rows if self.csv else piece

    async def rest(self) -> AsyncIterator[bytes]:
        """The bundle's pieces after the last part: for sealed receipts the content list,
        made from the distinct ballots counted (:attr:`contents`); then the digest."""
        if not self.sealed:
            yield self._piece(closing_entries(not self._first)) + self._end()
            return
        head = self._piece(trackers_piece(b"", True)) if self._first else b""
        self.contents = await _off(self.tally.contents)
        trackers_digest = self.stored_digests[0] or self._trackers.hexdigest()
        yield head + self._piece(between_lists(trackers_digest))
        start = True
        async for batch in _chunks(iter(self.contents)):
            yield self._piece(contents_piece(batch, start))
            start = False
        digest = self.stored_digests[1] or contents_digest(self.contents)
        yield self._piece(after_lists(digest)) + self._end()

    async def walk(
        self, maker: async_sessionmaker[AsyncSession], round_id: int
    ) -> AsyncIterator[bytes]:
        """:meth:`parts`, then :meth:`rest`."""
        async for chunk in self.parts(maker, round_id):
            yield chunk
        async for chunk in self.rest():
            if chunk:
                yield chunk


def ballot_lines(
    record: RoundRecord, title: str, profile: RankedProfile, fmt: str
) -> tuple[Iterator[str], str]:
    """The lines of the round's BLT or PrefLib file of ``profile`` (its ballots), and the
    file's extension (a PrefLib file's data type: ``soi``, ``toi`` …)."""
    seats = record.counting.seats
    ballots = BallotBox(
        profile, format="bundle", title=title, seats=seats, published=published_count(record)
    )
    if fmt == "blt":
        return blt.lines(ballots, Path("ballots.blt")), FORMATS[fmt].extension
    extension = data_type_for(profile, Path("ballots"))
    return preflib.lines(ballots, Path(f"ballots.{extension}")), extension


async def _text(lines: Iterator[str]) -> AsyncIterator[bytes]:
    """The lines as UTF-8 text: the first :data:`FIRST_LINES` at once, then
    :data:`LINES` at a time."""
    first = await _off(lambda: list(islice(lines, FIRST_LINES)))
    if first:
        yield "".join(line + "\n" for line in first).encode()
    async for batch in _chunks(lines):
        yield "".join(line + "\n" for line in batch).encode()


async def _csv_contents(walk: BoxWalk) -> AsyncIterator[bytes]:
    """The ballots CSV's rows of a round with sealed receipts: its content list."""
    record, lang = walk.record, walk.lang

    def rows(batch: list[tuple[str, int]]) -> bytes:
        listed = [tables.ballot_row(record, [n], _BALLOT.decode(c), lang) for c, n in batch]
        return tables.to_csv(listed, bom=False)

    contents = iter(walk.contents)
    while batch := list(islice(contents, LINES)):
        yield await asyncio.to_thread(rows, batch)


async def _bundle_or_csv(
    walk: BoxWalk, maker: async_sessionmaker[AsyncSession], round_id: int
) -> AsyncIterator[bytes]:
    """The JSON bundle or the ballots CSV, its box read as it is sent."""
    if walk.csv:
        yield tables.to_csv(tables.ballot_file_head(walk.record, walk.lang, sealed=walk.sealed))
    else:
        yield walk.bundle.head
    async for chunk in walk.walk(maker, round_id):
        yield chunk
    if walk.csv and walk.sealed:
        async for chunk in _csv_contents(walk):
            yield chunk


async def _tallied(
    maker: async_sessionmaker[AsyncSession], round_id: int, rules: BallotRules
) -> ContentTally:
    """The round's box read through, its marks counted (and nothing else kept)."""
    tally = ContentTally(rules.kind, rules.candidates)
    async for part in box_parts(maker, round_id):
        await asyncio.to_thread(tally.add, part.marks)
    return tally


async def _ballot_file(
    walk: BoxWalk,
    lines: Iterator[str],
    maker: async_sessionmaker[AsyncSession] | None = None,
    round_id: int = 0,
) -> AsyncIterator[bytes]:
    """A BLT or PrefLib file's lines, then (for the audit) the rest of the bundle's digest;
    with ``maker``, the box is read again for it (its first read only counted the marks)."""
    async for chunk in _text(lines):
        yield chunk
    if maker is not None:
        async for _ in walk.parts(maker, round_id):
            pass
    async for _ in walk.rest():
        pass


async def _blt(
    walk: BoxWalk, maker: async_sessionmaker[AsyncSession], round_id: int, head: str
) -> AsyncIterator[bytes]:
    """A BLT file, its first line (the numbers of candidates and seats, which do not depend
    on the ballots; the names were checked in making it) sent before the box is read."""
    yield (head + "\n").encode()
    async for _ in walk.parts(maker, round_id):
        pass
    profile = await _off(walk.tally.ranked_profile)
    lines, _ = ballot_lines(walk.record, walk.package.process.title, profile, "blt")
    if next(lines) != head:
        raise ValueError("a BLT file's first line changed with its ballots")
    async for chunk in _ballot_file(walk, lines):
        yield chunk


async def _audited(
    chunks: AsyncIterator[bytes],
    walk: BoxWalk,
    maker: async_sessionmaker[AsyncSession],
    actor: Actor,
    round_id: int,
    fmt: str,
) -> AsyncIterator[bytes]:
    """``chunks``, then the download's audit row, with the package digest when every chunk
    was sent (``complete`` false and no digest when the client left before)."""
    complete = False
    try:
        async for chunk in chunks:
            yield chunk
        complete = True
    finally:
        async with maker() as db, db.begin():
            digest = walk.bundle.digest if complete else None
            numbers = [walk.record.number]
            audit_export(db, actor, "round", round_id, digest, numbers, fmt, complete=complete)


async def stream_round(
    db: AsyncSession,
    maker: async_sessionmaker[AsyncSession],
    round_id: int,
    fmt: str,
    actor: Actor,
    lang: str = "zh",
) -> StreamedExport:
    """One of the round's :data:`STREAMED` exports, if the caller may see its result now (as
    :func:`service.records.assemble.round_draft`) and the format fits the round (as
    :func:`service.records.exports.export`)."""
    round_row, stored = await counted_round(db, round_id, actor)
    # a PrefLib file's name waits for the whole box: its reading starts now, beside the
    # round's other reads, and only counts the marks (the bundle's digest, for the audit,
    # is made by a second read after the file's lines)
    counted: asyncio.Task[ContentTally] | None = None
    if fmt == "preflib":
        counted = asyncio.ensure_future(_tallied(maker, round_id, ballot_rules(round_row)))
    try:
        process = await find_process(db, round_row.process_id)
        record = await round_record(db, round_row, stored)
        record = msgspec.structs.replace(record, ballots=placeholder(round_row.open_receipts))
        process_part = await process_record(db, process)
        package = Package(scope="round", process=process_part, rounds=(record,))
        kind, single = checked(package, fmt)
    except BaseException:
        if counted is not None:
            counted.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await counted
        raise
    walk = BoxWalk(package, stored, lang, csv=fmt == "ballots-csv", counting=fmt == "blt")
    extension = kind.extension
    if fmt == "blt":
        # the profile of no ballots: the names are checked and the first line made from it
        empty = ContentTally(record.rules.kind, record.rules.candidates).ranked_profile()
        head = next(ballot_lines(record, package.process.title, empty, fmt)[0])
        chunks = _blt(walk, maker, round_id, head)
    elif counted is not None:
        profile = await _off((await counted).ranked_profile)
        lines, extension = ballot_lines(record, package.process.title, profile, fmt)
        chunks = _ballot_file(walk, lines, maker, round_id)
    else:
        chunks = _bundle_or_csv(walk, maker, round_id)
    chunks = _audited(chunks, walk, maker, actor, round_id, fmt)
    return StreamedExport(
        format=fmt,
        media_type=kind.media_type,
        filename=filename(package, kind, extension, single, lang),
        ascii_filename=ascii_filename(package, kind, extension, single),
        chunks=chunks,
    )
