"""Clearing storage of a round's voting once its count has committed.

Counting opens the envelopes and writes the counted box (:mod:`service.results.opening`);
what the voting left behind is then removed, for every counted round not yet purged
(``round_results.purged_at`` is empty), so a purge that could not finish — the server
stopped, SQLite's log was held by a reader — is done at the next close or the next start:

- the rounds' envelopes, idempotency records and any sealed paper entries left are
  deleted;
- SQLite (``secure_delete`` is on for every connection, so deleted content is overwritten
  with zeros): the write-ahead log, whose frames hold each casting commit, is checkpointed
  and truncated;
- PostgreSQL: every code, household and spoiled/blank count row of the rounds is rewritten
  in one transaction, so the live rows no longer carry the casting transactions' ids (which
  ordered households by when they voted, and tied a spoiled or blank paper ballot's count
  to its code); then, unless a transaction older than that one is still running (it
  could still see the deleted rows: the purge is left for the next time), the envelope and
  key tables are rewritten into new files (``VACUUM FULL``, taking their lock for a moment
  only and giving way to casting), so no old envelope or key survives in their pages, and
  the code and household tables are vacuumed.

What a PostgreSQL purge cannot reach is documented in docs/security.md: the bytes of old code
and household row versions in those tables' free space, and PostgreSQL's own log files.
"""

from __future__ import annotations

import asyncio
from typing import Any, Final

from sqlalchemy import bindparam, event, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from service.db.base import utcnow
from service.logs import logger

log = logger(__name__)

_PENDING: set[asyncio.Task[None]] = set()
"""Purges under way, of any event loop (kept so they are not garbage-collected, and awaited
at shutdown by the loop that runs them)."""

TRIES: Final = 50
"""Times a step that waits for others (a SQLite checkpoint, PostgreSQL's table lock, older
transactions) is tried, :data:`PAUSE` seconds apart."""
PAUSE: Final = 0.1

UNPURGED = text("SELECT round_id FROM round_results WHERE purged_at IS NULL ORDER BY round_id")
CLEAR = (
    "DELETE FROM envelopes WHERE round_id IN :rounds",
    "DELETE FROM cast_keys WHERE round_id IN :rounds",
    "DELETE FROM paper_keyings WHERE round_id IN :rounds",
)
RESTAMP = (
    "UPDATE voter_codes SET status = status WHERE round_id IN :rounds",
    "UPDATE households SET voted = voted WHERE round_id IN :rounds",
    "UPDATE paper_uncounted_counts SET count = count WHERE round_id IN :rounds",
)
DONE = text("UPDATE round_results SET purged_at = :now WHERE round_id IN :rounds")
OLDER = text(
    "SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
    "AND backend_xmin IS NOT NULL AND age(backend_xmin) > age(CAST(:xid AS xid))"
)
"""Other sessions whose snapshot is older than the purge's transaction (they would keep the
deleted rows alive through ``VACUUM FULL``)."""
REWRITE = ("VACUUM FULL envelopes", "VACUUM FULL cast_keys")


def _rounds(statement: str) -> Any:
    return text(statement).bindparams(bindparam("rounds", expanding=True))


async def purge(engine: AsyncEngine) -> list[int]:
    """Purge every counted round not yet purged (module docstring); the rounds purged.
    A step that keeps waiting leaves them for the next try."""
    async with engine.begin() as conn:
        rounds = list((await conn.scalars(UNPURGED)).all())
        if not rounds:
            return []
        for statement in CLEAR:
            await conn.execute(_rounds(statement), {"rounds": rounds})
        xid = None
        if engine.dialect.name == "postgresql":
            for statement in RESTAMP:
                await conn.execute(_rounds(statement), {"rounds": rounds})
            xid = int(await conn.scalar(text("SELECT txid_current() % 4294967296")) or 0)
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        done = await (_postgres(conn, xid) if xid is not None else _sqlite(conn))
    if not done:
        return []
    async with engine.begin() as conn:
        await conn.execute(
            DONE.bindparams(bindparam("rounds", expanding=True)),
            {
                "rounds": rounds,
                "now": utcnow(),
            },
        )
    return rounds


async def _sqlite(conn: AsyncConnection) -> bool:
    """Checkpoint and truncate the write-ahead log (readers may hold it for a while)."""
    for _ in range(TRIES):
        busy, _log, _done = (await conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))).one()
        if not busy:
            return True
        await asyncio.sleep(PAUSE)
    log.warning("the write-ahead log could not be truncated after a close: readers held it")
    return False


async def _postgres(conn: AsyncConnection, xid: int) -> bool:
    """Rewrite the envelope and key tables once no older transaction can still see the
    deleted rows; vacuum the code and household tables."""
    if await conn.scalar(OLDER, {"xid": xid}):
        log.info("a transaction older than the purge is running: the rewrite waits for later")
        return False
    await conn.execute(text("SET lock_timeout = '200ms'"))
    for statement in REWRITE:
        if not await _give_way(conn, statement):
            return False
    await conn.execute(text("RESET lock_timeout"))
    await conn.execute(text("VACUUM voter_codes, households"))
    return True


async def _give_way(conn: AsyncConnection, statement: str) -> bool:
    """Run ``statement`` (which takes a table's lock), giving way to the casts that hold or
    wait for it: on a lock timeout it waits and tries again."""
    for _ in range(TRIES):
        try:
            await conn.execute(text(statement))
            return True
        except DBAPIError as exc:
            if "lock timeout" not in str(exc.orig):
                raise
            await asyncio.sleep(PAUSE)
    log.warning("casting kept the purge from taking a table's lock: %s", statement)
    return False


def after_commit(db: AsyncSession) -> None:
    """Purge in the background once the caller's transaction has committed (not if it rolls
    back)."""
    engine = db.bind
    if not isinstance(engine, AsyncEngine):
        return
    event.listen(db.sync_session, "after_commit", lambda _: start(engine), once=True)


def start(engine: AsyncEngine) -> None:
    """Purge in the background on the running event loop (after a close, and at start)."""
    task = asyncio.get_running_loop().create_task(_purge(engine))
    _PENDING.add(task)
    task.add_done_callback(_PENDING.discard)


async def _purge(engine: AsyncEngine) -> None:
    try:
        await purge(engine)
    except Exception:  # the count stands; the next close or start purges again
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
