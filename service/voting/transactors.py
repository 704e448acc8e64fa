"""Where the writer's batches run: a transaction of their own on a connection the writer
keeps (see :mod:`service.voting.writer`), one implementation per database.

- SQLite (:class:`SqliteTransactor`): the standard library's driver; the statements run on
  the event loop, only the waits (the write lock, the commit's fsync) in a thread.
- PostgreSQL (:class:`PostgresTransactor`): one asyncpg connection of the writer's own, fixed
  SQL texts prepared once, each list one array parameter. No pool checkout, no liveness ping
  and no SQL compilation per batch: small batches (several app workers share the casts, so
  each takes fewer at a time) cost the database and the app little more than large ones.
- :class:`GreenletTransactor`: SQLAlchemy Core on the app's engine, for any database (the
  tests hold the other two to its answers).

Driver errors come out as SQLAlchemy's (``IntegrityError``, ``OperationalError`` …, the
driver's error as ``orig``), as the writer's retry logic and
:func:`service.errors.database_trouble` expect; a connection that fails is dropped and the
next batch opens a new one.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol, TypeVar

import asyncpg
from sqlalchemy import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util import greenlet_spawn

from service.db.session import sqlite_pragmas
from service.errors import DATABASE_AWAY, RETRY_STATES
from service.voting.statements import (
    AsyncpgStatements,
    BoxStatements,
    CoreStatements,
    SqliteStatements,
)

T = TypeVar("T")


class Transactor(Protocol):
    """Runs a batch's database work in a transaction of its own, committed on return (and
    rolled back if the work raises)."""

    async def run(self, work: Callable[[BoxStatements], T]) -> T: ...

    async def close(self) -> None: ...


LOCK_WAIT = 30.0
"""Seconds a SQLite batch waits for the write lock held by another process."""


class SqliteTransactor:
    """SQLite: one connection of the standard library's driver, kept by the writer.

    A batch's statements run on the event loop: with fixed SQL texts over indexed rows they
    take microseconds and never wait. What can wait runs in a thread of the writer's own:
    taking the write lock (``BEGIN IMMEDIATE``, so the phase read cannot change before the
    commit) when another process holds it, and the commit, which waits for the disk
    (fsync). So the loop never blocks on a lock or a disk, and the statements do not
    contend for the interpreter with the request handlers from another thread.

    Driver errors come out as SQLAlchemy's (``IntegrityError``, ``OperationalError`` …),
    like those of the other transactor.
    """

    def __init__(self, url: str) -> None:
        self._path = make_url(url).database or ""
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="redbench-writer")
        self._connection: sqlite3.Connection | None = None

    def _connect(self) -> sqlite3.Connection:
        if self._connection is None:
            connection = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
            sqlite_pragmas(connection)
            connection.execute("PRAGMA busy_timeout = 0")  # lock waits happen in the thread
            self._connection = connection
        return self._connection

    async def run(self, work: Callable[[BoxStatements], T]) -> T:
        loop = asyncio.get_running_loop()
        committing = False
        try:
            connection = self._connect()
            if not _begin(connection):
                await loop.run_in_executor(self._thread, _begin_waiting, connection)
            try:
                result = work(SqliteStatements(connection.cursor()))
                committing = True
                await loop.run_in_executor(self._thread, connection.execute, "COMMIT")
                return result
            finally:
                if not committing and connection.in_transaction:
                    connection.execute("ROLLBACK")
        except sqlite3.Error as exc:
            raise DBAPIError.instance("cast batch", None, exc, sqlite3.Error) from exc

    def _close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    async def close(self) -> None:
        """Close the connection in the writer's thread, after any commit still running."""
        await asyncio.get_running_loop().run_in_executor(self._thread, self._close)
        self._thread.shutdown()


def _begin(connection: sqlite3.Connection) -> bool:
    """Start a write transaction now; ``False`` if another process holds the write lock."""
    try:
        connection.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        if exc.sqlite_errorcode == sqlite3.SQLITE_BUSY:
            return False
        raise
    return True


def _begin_waiting(connection: sqlite3.Connection) -> None:
    """Start a write transaction, waiting up to :data:`LOCK_WAIT` for the write lock."""
    deadline = time.monotonic() + LOCK_WAIT
    pause = 0.001
    while not _begin(connection):
        if time.monotonic() > deadline:
            raise sqlite3.OperationalError("database is locked (waited for the write lock)")
        time.sleep(pause)
        pause = min(pause * 2, 0.05)


class PostgresTransactor:
    """PostgreSQL: one asyncpg connection kept by the writer (see the module docstring).

    The batch's work is synchronous (:mod:`service.voting.batch`); it runs in a greenlet so
    that each statement can wait for the server without blocking the loop.
    """

    def __init__(self, url: str) -> None:
        self._dsn = make_url(url).set(drivername="postgresql").render_as_string(False)
        self._connection: asyncpg.Connection | None = None

    async def _connect(self) -> asyncpg.Connection:
        if self._connection is None or self._connection.is_closed():
            self._connection = await asyncpg.connect(self._dsn)
        return self._connection

    async def run(self, work: Callable[[BoxStatements], T]) -> T:
        try:
            connection = await self._connect()
            await connection.execute("BEGIN")
            try:
                result = await greenlet_spawn(work, AsyncpgStatements(connection))
            except BaseException:
                await self._roll_back(connection)
                raise
            await connection.execute("COMMIT")
            return result
        except UNUSABLE as exc:
            cut = self._connection is None or self._connection.is_closed()
            if cut or not isinstance(exc, asyncpg.PostgresError) or isinstance(exc, DATABASE_AWAY):
                await self._drop()
                if not isinstance(exc, DATABASE_AWAY):  # e.g. asyncpg's "connection closed"
                    raise InterfaceError("cast batch", None, exc) from exc
            raise as_sqlalchemy(exc) from exc

    async def _roll_back(self, connection: asyncpg.Connection) -> None:
        """Roll back after the work failed; a connection that cannot is dropped (a statement
        cut off by the server going away can leave it between two states)."""
        if connection.is_closed():
            await self._drop()
            return
        try:
            await connection.execute("ROLLBACK")
        except Exception:  # the work's own error is the one to tell
            await self._drop()

    async def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.terminate()

    async def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None and not connection.is_closed():
            await connection.close(timeout=5)


UNUSABLE = (asyncpg.PostgresError, asyncpg.InterfaceError, asyncpg.InternalClientError, OSError)
"""What the driver raises when a statement fails or the connection is lost."""


def as_sqlalchemy(exc: BaseException) -> BaseException:
    """An asyncpg error as SQLAlchemy's class for it (a connection that is away stays as
    it is: :func:`service.errors.database_trouble` knows it)."""
    if isinstance(exc, DATABASE_AWAY):
        return exc
    state = str(getattr(exc, "sqlstate", "") or "")
    if state.startswith("23"):
        return IntegrityError("cast batch", None, exc)
    if state in RETRY_STATES:
        return OperationalError("cast batch", None, exc)
    return DBAPIError("cast batch", None, exc)


class GreenletTransactor:
    """PostgreSQL: the app's async engine, the blocking work bridged by ``run_sync``."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def run(self, work: Callable[[BoxStatements], T]) -> T:
        async with self._engine.begin() as conn:
            return await conn.run_sync(lambda sync: work(CoreStatements(sync)))

    async def close(self) -> None:
        """Nothing to do: the engine is the app's."""


def transactor(url: str, engine: AsyncEngine) -> Transactor:
    """The writer's transactor for the database at ``url`` (``engine`` is the app's)."""
    if url.startswith("sqlite"):
        return SqliteTransactor(url)
    if url.startswith("postgresql+asyncpg"):
        return PostgresTransactor(url)
    return GreenletTransactor(engine)
