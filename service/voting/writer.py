"""The group-commit writer: one per process, started in the app's lifespan.

Cast requests queue up; the writer takes whatever is waiting, runs each cast in its own
SAVEPOINT inside one transaction, commits once and only then resolves every request. So a
SQLite fsync is shared by many ballots, while each ballot stays atomic with the redemption
of its code. The round's phase is read inside that transaction, under a shared lock on
PostgreSQL and under SQLite's write lock (``BEGIN IMMEDIATE``), so a cast racing a close
either lands before the close or is refused.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

from litestar import Litestar
from litestar.channels import ChannelsPlugin
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from service.db.models import Round
from service.db.session import create_engine, sessionmaker
from service.errors import Conflict, ServiceError, Unavailable
from service.events import publish
from service.voting.casting import (
    CastJob,
    RoundSpec,
    cast_one,
    no_round,
    not_open,
    open_rounds,
    round_spec,
)
from service.voting.codes import GuessLimit
from service.voting.schemas import Receipt

log = logging.getLogger(__name__)

MAX_BATCH = 500
"""Most casts committed together."""


@dataclass(slots=True)
class _Pending:
    job: CastJob
    future: asyncio.Future[Receipt] = field(default_factory=lambda: _loop().create_future())


def _loop() -> asyncio.AbstractEventLoop:
    return asyncio.get_running_loop()


def unavailable() -> Unavailable:
    return Unavailable(
        "the ballot box is not taking ballots right now (the server is stopping or the "
        "database is away); try again shortly with the same key",
        zh="投票箱暂时不可用，请稍后用同一提交编号重试",
    )


class CastWriter:
    """Queues casts and writes them in batches (see the module docstring)."""

    def __init__(
        self,
        maker: async_sessionmaker[AsyncSession],
        channels: ChannelsPlugin | None = None,
        max_batch: int = MAX_BATCH,
    ) -> None:
        self._maker = maker
        self._channels = channels
        self._max_batch = max_batch
        self._queue: asyncio.Queue[_Pending] = asyncio.Queue()
        self._pending: Counter[int] = Counter()
        self._settled = asyncio.Condition()
        self._task: asyncio.Task[None] | None = None
        self._specs: dict[int, RoundSpec] = {}

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
        """The frozen ballot rules of a voting round (cached: they cannot change any more)."""
        cached = self._specs.get(round_id)
        if cached is not None:
            return cached
        async with self._maker() as session:
            round_row = await session.get(Round, round_id)
        if round_row is None:
            raise no_round(round_id)
        if round_row.phase != "voting":
            raise not_open(round_id, round_row.phase)
        spec = round_spec(round_row)
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
                await self._write(batch)
            finally:
                for pending in batch:
                    self._pending[pending.job.round_id] -= 1
                self._pending = +self._pending
                async with self._settled:
                    self._settled.notify_all()

    async def _write(self, batch: list[_Pending]) -> None:
        outcomes: list[Receipt | Exception]
        try:
            outcomes = await self._transaction(batch)
        except DBAPIError as exc:
            if len(batch) == 1:
                outcomes = [exc]
            else:  # e.g. a deadlock with another worker: try each cast on its own
                outcomes = [await self._alone(pending) for pending in batch]
        except Exception as exc:
            log.exception("cast batch failed")
            outcomes = [exc] * len(batch)
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

    async def _alone(self, pending: _Pending) -> Receipt | Exception:
        try:
            return (await self._transaction([pending]))[0]
        except Exception as exc:
            return exc

    async def _transaction(self, batch: list[_Pending]) -> list[Receipt | Exception]:
        outcomes: list[Receipt | Exception] = []
        async with self._maker() as session, session.begin():
            phases = await open_rounds(session, (p.job.round_id for p in batch))
            for pending in batch:
                round_id = pending.job.round_id
                phase = phases.get(round_id)
                if phase != "voting":
                    outcomes.append(
                        no_round(round_id) if phase is None else not_open(round_id, phase)
                    )
                    continue
                try:
                    async with session.begin_nested():
                        outcomes.append(await cast_one(session, pending.job))
                except ServiceError as exc:
                    outcomes.append(exc)
                except IntegrityError:
                    outcomes.append(
                        Conflict(
                            "this ballot collided with another submission; "
                            "send it again with the same key",
                            code="cast-retry",
                            zh="提交冲突，请用同一提交编号重新提交",
                        )
                    )
        return outcomes

    def _announce(self, added: Counter[int]) -> None:
        if self._channels is None:
            return
        for round_id, count in added.items():
            try:
                publish(self._channels, round_id, "turnout", added=count)
            except Exception:  # live events are a convenience: never fail a cast for them
                log.exception("could not publish turnout for round %d", round_id)


def writer_engine(url: str) -> AsyncEngine:
    """The writer's engine. On SQLite its transactions start with ``BEGIN IMMEDIATE`` (the
    write lock first, so the phase it reads cannot change before it commits) and SAVEPOINTs
    work as documented (the driver's own implicit transactions are turned off)."""
    engine = create_engine(url)
    if url.startswith("sqlite"):

        @event.listens_for(engine.sync_engine, "connect")
        def _no_implicit_begin(dbapi_connection: Any, _: Any) -> None:
            dbapi_connection.isolation_level = None

        @event.listens_for(engine.sync_engine, "begin")
        def _begin_immediate(connection: Any) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


@asynccontextmanager
async def cast_writer(app: Litestar) -> AsyncGenerator[None, None]:
    """Lifespan: start this process's writer (after the database), stop it on shutdown."""
    settings = app.state.settings
    engine: AsyncEngine | None = None
    maker: async_sessionmaker[AsyncSession] = app.state.sessionmaker
    if settings.is_sqlite:
        engine = writer_engine(settings.database_url)
        maker = sessionmaker(engine)
    channels = next((p for p in app.plugins if isinstance(p, ChannelsPlugin)), None)
    writer = CastWriter(maker, channels)
    app.state.cast_writer = writer
    app.state.code_guesses = GuessLimit()
    await writer.start()
    try:
        yield
    finally:
        await writer.stop()
        if engine is not None:
            await engine.dispose()
