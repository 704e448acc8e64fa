"""The group-commit writer: one per process, started in the app's lifespan.

Cast requests queue up; the writer takes whatever is waiting and writes it in one
transaction with a few statements per round (:func:`service.voting.batch.write_batch`: the
answers are those of casting one after the other, each all or nothing), commits once and
only then resolves every request. So one fsync and one round trip per statement are shared
by many ballots. The round's phase is read inside that transaction, under a shared lock on
PostgreSQL and under SQLite's write lock (``BEGIN IMMEDIATE``), so a cast racing a close
either lands before the close or is refused. If the transaction fails as a whole (a key or
code committed meanwhile by another worker on PostgreSQL, a deadlock), each cast is tried
again in a transaction of its own.

The batch is written through :class:`~service.voting.statements.BoxStatements`. On SQLite
its statements run on the event loop over one connection of the standard library's driver
(fixed SQL texts the driver prepares once: a cast alone costs tens of microseconds), and
only the waits — for the write lock and for the commit's fsync — go to a thread (see
:class:`SqliteTransactor`); on PostgreSQL it runs SQLAlchemy Core on the app's async engine
(asyncpg) through ``run_sync``.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections import Counter
from collections.abc import AsyncGenerator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from functools import partial
from typing import Protocol, TypeVar

from litestar import Litestar
from litestar.channels import ChannelsPlugin
from sqlalchemy import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from engine.process import RoundPhase
from service.db.models import Round
from service.db.session import sqlite_pragmas
from service.errors import Conflict, Unavailable, database_away
from service.events import publish
from service.logs import logger
from service.voting.batch import CastAnswer, write_batch
from service.voting.casting import CastJob, RoundSpec, no_round, not_open, round_spec
from service.voting.schemas import Receipt
from service.voting.statements import BoxStatements, CoreStatements, SqliteStatements

T = TypeVar("T")

log = logger(__name__)

MAX_BATCH = 500
"""Most casts committed together."""


@dataclass(slots=True)
class _Pending:
    job: CastJob
    future: asyncio.Future[Receipt] = field(default_factory=lambda: _loop().create_future())


def _loop() -> asyncio.AbstractEventLoop:
    return asyncio.get_running_loop()


def collided() -> Conflict:
    return Conflict(
        "this ballot collided with another submission; send it again with the same key",
        code="cast-retry",
        zh="提交冲突，请用同一提交编号重新提交",
    )


def failed(exc: Exception) -> Exception:
    """The answer to a cast whose own transaction failed: a uniqueness clash with another
    worker's cast is worth a retry with the same key; anything else is passed on."""
    return collided() if isinstance(exc, IntegrityError) else exc


def unavailable() -> Unavailable:
    return Unavailable(
        "the ballot box is not taking ballots right now (the server is stopping or the "
        "database is away); try again shortly with the same key",
        zh="投票箱暂时不可用，请稍后用同一提交编号重试",
    )


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
    return GreenletTransactor(engine)


class CastWriter:
    """Queues casts and writes them in batches (see the module docstring)."""

    def __init__(
        self,
        database: Transactor,
        maker: async_sessionmaker[AsyncSession],
        secret_key: str,
        channels: ChannelsPlugin | None = None,
        max_batch: int = MAX_BATCH,
    ) -> None:
        self._database = database
        self._maker = maker
        self._secret_key = secret_key
        self._channels = channels
        self._max_batch = max_batch
        self._queue: asyncio.Queue[_Pending] = asyncio.Queue()
        self._pending: Counter[int] = Counter()
        self._settled = asyncio.Condition()
        self._task: asyncio.Task[None] | None = None
        self._specs: dict[int, RoundSpec] = {}
        self._spec_lock = asyncio.Lock()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="redbench-cast-writer")

    async def stop(self, timeout: float = 10.0) -> None:
        """Write what is queued (waiting at most ``timeout`` seconds), then stop."""
        task, self._task = self._task, None
        if task is None:
            return
        try:
            async with self._settled:
                await asyncio.wait_for(self._settled.wait_for(lambda: not self._pending), timeout)
        except TimeoutError:
            log.warning("cast writer stopped with %d casts unwritten", self._queue.qsize())
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
        while not self._queue.empty():
            pending = self._queue.get_nowait()
            if not pending.future.done():
                pending.future.set_exception(unavailable())

    async def spec(self, round_id: int) -> RoundSpec:
        """The frozen ballot rules of a voting round (cached: they cannot change any more).
        The first casts of a round wait for one read of it instead of each reading it."""
        cached = self._specs.get(round_id)
        if cached is not None:
            return cached
        async with self._spec_lock:
            cached = self._specs.get(round_id)
            if cached is not None:
                return cached
            async with self._maker() as session:
                round_row = await session.get(Round, round_id)
            if round_row is None:
                raise no_round(round_id)
            if round_row.phase is not RoundPhase.VOTING:
                raise not_open(round_id, round_row.phase)
            spec = round_spec(round_row, self._secret_key)
            self._specs[round_id] = spec
            return spec

    async def cast(self, job: CastJob) -> Receipt:
        """Queue ``job`` and wait until its transaction has committed (or refused it)."""
        if self._task is None:
            raise unavailable()
        pending = _Pending(job)
        self._pending[job.round_id] += 1
        self._queue.put_nowait(pending)
        return await pending.future

    async def settle(self, round_id: int, timeout: float) -> bool:
        """Wait until no cast of the round is queued or being written; ``False`` on timeout."""
        try:
            async with self._settled:
                await asyncio.wait_for(
                    self._settled.wait_for(lambda: self._pending[round_id] == 0), timeout
                )
        except TimeoutError:
            return False
        return True

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self._max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                await self._write_batch(batch)
            finally:
                for pending in batch:
                    self._pending[pending.job.round_id] -= 1
                self._pending = +self._pending
                async with self._settled:
                    self._settled.notify_all()

    async def _write_batch(self, batch: list[_Pending]) -> None:
        """Write ``batch`` and resolve its requests (each alone if the batch fails)."""
        outcomes: list[CastAnswer]
        try:
            outcomes = await self.write([pending.job for pending in batch])
        except Exception as exc:
            outcomes = await self._after_failure(batch, exc)
        added: Counter[int] = Counter()
        for pending, outcome in zip(batch, outcomes, strict=True):
            if isinstance(outcome, Receipt) and not outcome.replayed:
                added[outcome.round_id] += 1
            if pending.future.done():
                continue  # the client went away; a retry with its key gets the receipt
            if isinstance(outcome, Exception):
                pending.future.set_exception(outcome)
            else:
                pending.future.set_result(outcome)
        self._announce(added)

    async def _after_failure(self, batch: list[_Pending], exc: Exception) -> list[CastAnswer]:
        """The answers to a batch whose transaction failed (and so stored nothing)."""
        if database_away(exc):
            log.warning("cast batch of %d not written, the database is away: %s", len(batch), exc)
            return [unavailable()] * len(batch)  # retry later with the same key
        if isinstance(exc, DBAPIError):
            if len(batch) == 1:
                return [failed(exc)]
            # e.g. a deadlock with another worker: try each cast on its own
            return [await self._alone(pending.job) for pending in batch]
        log.error("cast batch failed", exc_info=exc)
        return [exc] * len(batch)

    async def _alone(self, job: CastJob) -> CastAnswer:
        try:
            return (await self.write([job]))[0]
        except Exception as exc:
            return failed(exc)

    async def write(self, jobs: Sequence[CastJob]) -> list[CastAnswer]:
        """Write ``jobs`` in one transaction: per job its receipt or its refusal, as casting
        them one after the other would give, returned once committed."""
        return await self._database.run(partial(write_batch, jobs=jobs))

    def _announce(self, added: Counter[int]) -> None:
        if self._channels is None:
            return
        for round_id, count in added.items():
            try:
                publish(self._channels, round_id, "turnout", added=count)
            except Exception:  # live events are a convenience: never fail a cast for them
                log.exception("could not publish turnout for round %d", round_id)


@asynccontextmanager
async def cast_writer(app: Litestar) -> AsyncGenerator[None, None]:
    """Lifespan: start this process's writer (after the database), stop it on shutdown."""
    database = transactor(app.state.settings.database_url, app.state.engine)
    channels = next((p for p in app.plugins if isinstance(p, ChannelsPlugin)), None)
    writer = CastWriter(database, app.state.sessionmaker, app.state.settings.secret_key, channels)
    app.state.cast_writer = writer
    await writer.start()
    try:
        yield
    finally:
        await writer.stop()
        await database.close()
