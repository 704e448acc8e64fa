"""Opening a closed round's ballot box: the sealed envelopes become counted ballots.

At the close, inside the closing transaction (after the round is locked, so no cast can
land any more), the round's envelopes are read, opened with the round's box key
(:mod:`service.voting.sealing`) and written out as :class:`~service.db.models.Ballot` rows
— all of them in one statement, in tracker order, with their canonical JSON derived from
the marks (:func:`ballots.marks.ballot_of`). The envelopes and the idempotency records are
then deleted. So the counted ballots carry one transaction id and sit in tracker order,
and nothing readable about a ballot was ever stored beside the code that cast it.

Ballots stored unsealed by an older version (a round that was voting during the upgrade)
are read, deleted and written out again with the others, so they too end in tracker order.

Once the close has committed, :func:`purge_after_commit` clears what storage still keeps of
the voting: on SQLite the write-ahead log, whose frames hold each casting transaction, is
checkpointed and truncated (deleted content is zeroed as it is deleted: ``secure_delete`` is
on for every connection). On PostgreSQL the round's used codes and voted households are
rewritten in one transaction, so their row versions no longer carry the casting
transactions' ids (which ordered households by when they voted), and the tables are
vacuumed of the old versions, the envelopes and the keys.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from typing import Any

import msgspec
import numpy as np
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from ballots.digest import TRACKER_LENGTH, canonical_ballot
from ballots.marks import ballot_of
from service.logs import logger
from service.voting.sealing import RoundSeal

log = logger(__name__)


class Box(msgspec.Struct, frozen=True):
    """A round's opened ballot box as the count needs it: its digest, and every ballot's
    marks (``count`` rows of int16, in tracker order) in one byte string."""

    digest: str
    marks: bytes
    count: int


class Opened(msgspec.Struct, frozen=True):
    """The ballots of a box in tracker order, ready to be written out and counted."""

    trackers: list[str]
    marks: list[bytes]
    contents: list[str]

    def box(self) -> Box:
        """The digest (:func:`ballots.digest.ballot_box_digest` of these ballots, hashed from
        their canonical JSON) and the joined marks."""
        lines = "".join([f"{t}\t{c}\n" for t, c in zip(self.trackers, self.contents, strict=True)])
        digest = hashlib.sha256(lines.encode()).hexdigest()
        return Box(digest=digest, marks=b"".join(self.marks), count=len(self.trackers))


def open_envelopes(
    seal: RoundSeal,
    envelopes: Sequence[tuple[bytes, bytes]],
    unsealed: Sequence[tuple[str, bytes, str]],
    kind: str,
    candidates: Sequence[str],
) -> Opened:
    """Open ``envelopes`` (nonce, sealed) and merge them with ``unsealed`` ballots (tracker,
    marks, content), in tracker order. CPU work only: run it off the event loop."""
    trackers: list[str] = [row[0] for row in unsealed]
    marks: list[bytes] = [row[1] for row in unsealed]
    contents: dict[bytes, str] = {}
    for tracker, mark in (seal.open(nonce, sealed) for nonce, sealed in envelopes):
        trackers.append(tracker)
        marks.append(mark)
    for mark in marks[len(unsealed) :]:
        if mark not in contents:
            contents[mark] = canonical_ballot(ballot_of(mark, kind, candidates)).decode()
    kept = [row[2] for row in unsealed]
    texts = kept + [contents[mark] for mark in marks[len(unsealed) :]]
    order = np.argsort(np.array(trackers, dtype=f"S{TRACKER_LENGTH}"), kind="stable")
    return Opened(
        trackers=[trackers[i] for i in order],
        marks=[marks[i] for i in order],
        contents=[texts[i] for i in order],
    )


SQLITE_READ = {
    "envelopes": "SELECT nonce, sealed FROM envelopes WHERE round_id = ?",
    "unsealed": "SELECT tracker, marks, content FROM ballots WHERE round_id = ?",
}
PG_READ = {
    "envelopes": "SELECT nonce, sealed FROM envelopes WHERE round_id = $1",
    "unsealed": "SELECT tracker, marks, content FROM ballots WHERE round_id = $1",
}
CLEAR = (
    "DELETE FROM ballots WHERE round_id = :round",
    "DELETE FROM envelopes WHERE round_id = :round",
)
SQLITE_WRITE = "INSERT INTO ballots (round_id, tracker, marks, content) VALUES (?, ?, ?, ?)"


async def _driver(db: AsyncSession) -> tuple[str, Any]:
    """The session's dialect name and its driver connection (inside its transaction)."""
    connection = await db.connection()
    raw = await connection.get_raw_connection()
    return connection.dialect.name, raw.driver_connection


async def open_box(db: AsyncSession, seal: RoundSeal, kind: str, candidates: Sequence[str]) -> Box:
    """Open the round's box in the caller's transaction (module docstring): the envelopes
    become ballot rows in tracker order; envelopes and idempotency records are deleted."""
    round_id = seal.round_id
    await db.execute(text("DELETE FROM cast_keys WHERE round_id = :round"), {"round": round_id})
    dialect, driver = await _driver(db)
    if dialect == "postgresql":
        envelopes = [tuple(r) for r in await driver.fetch(PG_READ["envelopes"], round_id)]
        unsealed = [tuple(r) for r in await driver.fetch(PG_READ["unsealed"], round_id)]
    else:
        envelopes = list(await driver.execute_fetchall(SQLITE_READ["envelopes"], (round_id,)))
        unsealed = list(await driver.execute_fetchall(SQLITE_READ["unsealed"], (round_id,)))
    opened = await asyncio.to_thread(open_envelopes, seal, envelopes, unsealed, kind, candidates)
    for statement in CLEAR:
        await db.execute(text(statement), {"round": round_id})
    rows = [
        (round_id, t, m, c)
        for t, m, c in zip(opened.trackers, opened.marks, opened.contents, strict=True)
    ]
    if rows and dialect == "postgresql":
        columns = ["round_id", "tracker", "marks", "content"]
        await driver.copy_records_to_table("ballots", records=rows, columns=columns)
    elif rows:
        await driver.executemany(SQLITE_WRITE, rows)
    return await asyncio.to_thread(opened.box)


_PENDING: set[asyncio.Task[None]] = set()
"""Purges under way, of any event loop (kept so they are not garbage-collected, and awaited
at shutdown by the loop that runs them)."""

CHECKPOINT_TRIES = 50
"""Times a SQLite checkpoint is tried while readers hold the log (0.1 s apart)."""


RESTAMP = (
    "UPDATE voter_codes SET status = status WHERE round_id = :round AND status <> 'issued'",
    "UPDATE households SET voted = voted WHERE round_id = :round AND voted",
)
"""PostgreSQL: new row versions for the round's used codes and voted households, all with
the purge's transaction id."""


async def purge(engine: AsyncEngine, round_id: int) -> None:
    """Clear what storage keeps of the round's voting (module docstring)."""
    if engine.dialect.name == "postgresql":
        async with engine.begin() as conn:
            for statement in RESTAMP:
                await conn.execute(text(statement), {"round": round_id})
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("VACUUM envelopes, cast_keys, voter_codes, households"))
        return
    async with engine.connect() as conn:
        for _ in range(CHECKPOINT_TRIES):
            busy, _log, _done = (await conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))).one()
            if not busy:
                return
            await asyncio.sleep(0.1)
        log.warning("the write-ahead log could not be truncated after a close: readers held it")


def purge_after_commit(db: AsyncSession, round_id: int) -> None:
    """Run :func:`purge` in the background once the caller's transaction has committed
    (not if it rolls back)."""
    engine = db.bind
    if not isinstance(engine, AsyncEngine):
        return

    def committed(_: Any) -> None:
        task = asyncio.get_running_loop().create_task(_purge(engine, round_id))
        _PENDING.add(task)
        task.add_done_callback(_PENDING.discard)

    event.listen(db.sync_session, "after_commit", committed, once=True)


async def _purge(engine: AsyncEngine, round_id: int) -> None:
    try:
        await purge(engine, round_id)
    except Exception:  # the count stands; the next close purges again
        log.exception("could not purge storage after a close")


def purging() -> int:
    """How many purges are still running, on any event loop (for tests and shutdown logs)."""
    return sum(1 for t in _PENDING if not t.done() and not t.get_loop().is_closed())


async def purged(timeout: float = 60.0) -> None:
    """Wait for the purges under way on this event loop (at shutdown, and in tests); purges
    left behind by loops that have closed are forgotten."""
    loop = asyncio.get_running_loop()
    for task in [t for t in _PENDING if t.get_loop().is_closed()]:
        _PENDING.discard(task)
    mine = [task for task in _PENDING if task.get_loop() is loop]
    if mine:
        await asyncio.wait(mine, timeout=timeout)
