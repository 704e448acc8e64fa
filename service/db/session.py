"""The database engine and sessions: one transaction per request (:func:`provide_transaction`).

SQLite runs in WAL mode with ``synchronous=FULL`` (a commit survives a power cut), foreign
keys on, a busy timeout so that several processes can share the file, and ``secure_delete``
on: deleted rows and freed pages are overwritten with zeros, so a closed round's envelopes
and idempotency records leave nothing behind in the file's free space.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from litestar.datastructures import State
from sqlalchemy import Engine, event
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)


def create_engine(url: str) -> AsyncEngine:
    """An async engine for ``url``, with the SQLite pragmas set on every connection."""
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 30})
        _sqlite_pragmas(engine.sync_engine)
        return engine
    return create_async_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


def sqlite_pragmas(dbapi_connection: Any) -> None:
    """Set the pragmas every SQLite connection of the service uses (module docstring)."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def _sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _: Any) -> None:
        sqlite_pragmas(dbapi_connection)


def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def provide_transaction(state: State) -> AsyncGenerator[AsyncSession, None]:
    """The request's session inside one transaction: committed when the handler returns,
    rolled back when it raises."""
    maker: async_sessionmaker[AsyncSession] = state.sessionmaker
    async with maker() as session, session.begin():
        yield session
