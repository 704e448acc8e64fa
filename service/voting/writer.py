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

The batch is written through :class:`~service.voting.statements.BoxStatements` on a
connection the writer keeps, with fixed SQL texts the driver prepares once
(:mod:`service.voting.transactors`): on SQLite the statements run on the event loop and only
the waits — for the write lock and for the commit's fsync — go to a thread; on PostgreSQL
one asyncpg connection of the writer's own.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncGenerator, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from functools import partial

from litestar import Litestar
from litestar.channels import ChannelsPlugin
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from engine.process import RoundPhase
from service.db.models import Round
from service.errors import Conflict, Unavailable, database_away
from service.events import publish
from service.logs import logger
from service.voting.batch import CastAnswer, write_batch
from service.voting.casting import CastJob, RoundSpec, no_round, not_open, round_spec
from service.voting.schemas import Receipt
from service.voting.transactors import Transactor, transactor

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
    return Conflict("cast-retry")


def failed(exc: Exception) -> Exception:
    """The answer to a cast whose own transaction failed: a uniqueness clash with another
    worker's cast is worth a retry with the same key; anything else is passed on."""
    return collided() if isinstance(exc, IntegrityError) else exc


def unavailable() -> Unavailable:
    return Unavailable("ballot-box-away")


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
