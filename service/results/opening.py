"""Opening a closed round's ballot box: the sealed envelopes become the counted box.

At the close, inside the closing transaction (after the round is locked, so no cast can
land any more), the round's idempotency records are deleted and its envelopes read, opened
with the round's box key (:mod:`service.voting.sealing`) off the event loop, sorted by
tracker and written as the counted box (:mod:`service.results.ballot_box`) — a few hundred
rows for a million ballots, in one statement, in tracker order. So the counted ballots carry
one transaction id, lie in tracker order on disk, and were never stored next to a code.

Ballots counted by an older version's close, or stored unsealed by one while the round was
voting, are already in the counted box: they are read and written out again with the
opened envelopes.

Once the close has committed, :func:`purge_after_commit` deletes the round's envelopes and
clears what storage keeps of the voting: on SQLite the write-ahead log, whose frames hold
each casting commit, is checkpointed and truncated (deleted content is zeroed as it is
deleted: ``secure_delete`` is on for every connection). On PostgreSQL the round's used
codes and voted households are rewritten in one transaction, so their row versions no
longer carry the casting transactions' ids (which ordered households by when they voted),
and the tables are vacuumed of the old versions, the envelopes and the keys. Should the
server stop before, :func:`sweep` deletes envelopes of rounds no longer voting at the next
start.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from typing import Any

import msgspec
import numpy as np
import numpy.typing as npt
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from ballots.digest import TRACKER_LENGTH
from ballots.marks import canonical_of
from service.logs import logger
from service.results import ballot_box
from service.voting.sealing import RoundSeal

log = logger(__name__)


class Box(msgspec.Struct, frozen=True):
    """A round's opened ballot box: ``count`` ballots in tracker order, their trackers
    (16 bytes each) and marks joined, and the box's digest
    (:func:`ballots.digest.ballot_box_digest`, hashed from the ballots' canonical JSON)."""

    trackers: bytes
    marks: bytes
    count: int
    digest: str


def open_envelopes(
    seal: RoundSeal,
    envelopes: Sequence[tuple[bytes, bytes]],
    counted: Sequence[ballot_box.Counted],
    kind: str,
    candidates: Sequence[str],
) -> Box:
    """Open ``envelopes`` (nonce, sealed), add the ballots already ``counted`` and put them
    in tracker order. CPU work only: run it off the event loop."""
    width = 2 * len(candidates)
    plain = b"".join(
        seal.open_all(envelopes) + [tracker.encode("ascii") + marks for tracker, marks in counted]
    )
    count = len(envelopes) + len(counted)
    table = np.frombuffer(plain, np.uint8).reshape(count, TRACKER_LENGTH + width)
    # trackers compare as two big-endian 64-bit numbers (ASCII sorts by its bytes)
    halves = table[:, :TRACKER_LENGTH].copy().view(">u8")
    table = table[np.lexsort((halves[:, 1], halves[:, 0]))]
    trackers = table[:, :TRACKER_LENGTH].tobytes()
    marks = np.ascontiguousarray(table[:, TRACKER_LENGTH:])
    digest = box_digest(trackers, marks, kind, candidates)
    return Box(trackers=trackers, marks=marks.tobytes(), count=count, digest=digest)


def box_digest(
    trackers: bytes, marks: npt.NDArray[np.uint8], kind: str, candidates: Sequence[str]
) -> str:
    """The ballot-box digest of ballots in tracker order: SHA-256 of one line per ballot,
    its tracker, a tab, its canonical JSON and a line feed (written once per distinct
    ballot)."""
    if len(marks) == 0:
        return hashlib.sha256(b"").hexdigest()
    rows = marks.view(f"V{marks.shape[1]}").ravel()
    unique, inverse = np.unique(rows, return_inverse=True)
    texts = ["\t" + canonical_of(bytes(u), kind, candidates) + "\n" for u in unique]
    names = trackers.decode("ascii")
    step = TRACKER_LENGTH
    lines = "".join(
        [names[i * step : (i + 1) * step] + texts[j] for i, j in enumerate(inverse.tolist())]
    )
    return hashlib.sha256(lines.encode()).hexdigest()


SQLITE_ENVELOPES = "SELECT nonce, sealed FROM envelopes WHERE round_id = ?"
PG_ENVELOPES = "SELECT nonce, sealed FROM envelopes WHERE round_id = $1"


async def _envelopes(db: AsyncSession, round_id: int) -> list[tuple[bytes, bytes]]:
    """The round's envelopes, read by the database driver itself (no row object each)."""
    connection = await db.connection()
    driver: Any = (await connection.get_raw_connection()).driver_connection
    if connection.dialect.name == "postgresql":
        return [(bytes(r[0]), bytes(r[1])) for r in await driver.fetch(PG_ENVELOPES, round_id)]
    return list(await driver.execute_fetchall(SQLITE_ENVELOPES, (round_id,)))


async def open_box(db: AsyncSession, seal: RoundSeal, kind: str, candidates: Sequence[str]) -> Box:
    """Open the round's box in the caller's transaction (module docstring): the envelopes
    and any ballots already counted become the counted box, in tracker order."""
    round_id = seal.round_id
    await db.execute(text("DELETE FROM cast_keys WHERE round_id = :round"), {"round": round_id})
    envelopes = await _envelopes(db, round_id)
    counted = await ballot_box.read_all(db, round_id)
    box = await asyncio.to_thread(open_envelopes, seal, envelopes, counted, kind, candidates)
    await ballot_box.store(db, round_id, box.trackers, box.marks, box.count)
    return box


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
    """Delete the round's envelopes and clear what storage keeps of its voting (module
    docstring)."""
    async with engine.begin() as conn:
        await conn.execute(
            text("DELETE FROM envelopes WHERE round_id = :round"), {"round": round_id}
        )
        if engine.dialect.name == "postgresql":
            for statement in RESTAMP:
                await conn.execute(text(statement), {"round": round_id})
    async with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("VACUUM envelopes, cast_keys, voter_codes, households"))
            return
        for _ in range(CHECKPOINT_TRIES):
            busy, _log, _done = (await conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))).one()
            if not busy:
                return
            await asyncio.sleep(0.1)
        log.warning("the write-ahead log could not be truncated after a close: readers held it")


SWEEP = (
    "DELETE FROM envelopes WHERE round_id IN "
    "(SELECT id FROM rounds WHERE phase NOT IN ('scheduled', 'commenting', 'voting'))"
)


async def sweep(engine: AsyncEngine) -> None:
    """Delete the envelopes of rounds that are no longer voting (left by a server that
    stopped between a close and its purge). A database that cannot be reached now is left
    for the next start: the service starts anyway."""
    try:
        async with engine.begin() as conn:
            await conn.execute(text(SWEEP))
    except Exception:
        log.warning("could not sweep the envelopes of closed rounds at start", exc_info=True)


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
    except Exception:  # the count stands; the next start sweeps the envelopes
        log.exception("could not purge storage after the close of round %d", round_id)


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
