"""Sealing a counted round's ballot box, so that storage keeps no trace of the order of
casting.

SQLite stores ballots clustered on (round, tracker) with no row ids: the table itself holds
no order but the trackers'. PostgreSQL keeps rows in a heap in the order they came, each
stamped with the transaction that wrote it (``ctid``, ``xmin``): anyone reading the
database could sort a round's ballots by casting time. Once the round is closed and its
count committed, the box is rewritten in one transaction in tracker order (every row then
carries the same transaction and sits in tracker order) and the old row versions are
vacuumed away. The ballots, the digest and the result do not change.

A box of up to :data:`SEAL_NOW` ballots is sealed inside the closing transaction; a larger
one after the close commits (a SQLAlchemy ``after_commit`` hook schedules it), in the
background, so that it is not part of the time from closing to the published result.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

log = logging.getLogger(__name__)

_PENDING: set[asyncio.Task[None]] = set()
"""Seals under way (kept so they are not garbage-collected, and awaited at shutdown)."""

REWRITE = (
    "CREATE TEMP TABLE sealing ON COMMIT DROP AS "
    "SELECT round_id, tracker, marks, content FROM ballots WHERE round_id = :round",
    "DELETE FROM ballots WHERE round_id = :round",
    "INSERT INTO ballots (round_id, tracker, marks, content) "
    "SELECT round_id, tracker, marks, content FROM sealing ORDER BY tracker",
)


async def seal_box(engine: AsyncEngine, round_id: int) -> None:
    """Rewrite the round's ballots in tracker order and vacuum the old versions
    (PostgreSQL; nothing to do on SQLite)."""
    if engine.dialect.name != "postgresql":
        return
    async with engine.begin() as conn:
        for statement in REWRITE:
            await conn.execute(text(statement), {"round": round_id})
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("VACUUM ballots"))


SEAL_NOW = 50_000
"""Boxes up to this many ballots are sealed inside the closing transaction itself (tens of
milliseconds); larger ones after it commits, in the background."""


async def seal(db: AsyncSession, round_id: int, ballots: int) -> None:
    """Seal the round's box: in the caller's transaction when it is small (the old row
    versions are then removed by autovacuum), else once that transaction has committed."""
    engine = db.bind
    if not isinstance(engine, AsyncEngine) or engine.dialect.name != "postgresql":
        return
    if ballots > SEAL_NOW:
        seal_after_commit(db, round_id)
        return
    for statement in REWRITE:
        await db.execute(text(statement), {"round": round_id})


def seal_after_commit(db: AsyncSession, round_id: int) -> None:
    """Seal the round's box once the caller's transaction has committed (not if it rolls
    back)."""
    engine = db.bind
    if not isinstance(engine, AsyncEngine) or engine.dialect.name != "postgresql":
        return

    def committed(_: Any) -> None:
        task = asyncio.get_running_loop().create_task(_seal(engine, round_id))
        _PENDING.add(task)
        task.add_done_callback(_PENDING.discard)

    event.listen(db.sync_session, "after_commit", committed, once=True)


async def _seal(engine: AsyncEngine, round_id: int) -> None:
    try:
        await seal_box(engine, round_id)
    except Exception:  # the count stands; the box is sealed at the next close or by hand
        log.exception("could not seal the ballot box of round %d", round_id)


async def sealed(timeout: float = 60.0) -> None:
    """Wait for the seals under way (at shutdown, and in tests)."""
    if _PENDING:
        await asyncio.wait(list(_PENDING), timeout=timeout)
