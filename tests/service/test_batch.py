"""The writer's batches: casts written together get the answers that casting them one after
the other gives (codes, households and keys shared within a batch), on every database."""

from __future__ import annotations

import asyncio
import random
import sqlite3
import uuid
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import asyncpg
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from ballots.kinds import RankedBallot
from service.db.models import CastKey, Household, Round, VoterCode
from service.db.session import create_engine, sessionmaker
from service.errors import Conflict, database_trouble
from service.voting.casting import CastJob, prepare, round_spec
from service.voting.channels import channel_counts
from service.voting.codes import code_hash, new_code
from service.voting.schemas import CastRequest, Receipt
from service.voting.statements import BoxStatements
from service.voting.transactors import (
    GreenletTransactor,
    PostgresTransactor,
    as_sqlalchemy,
    transactor,
)
from service.voting.writer import CastWriter
from tests.support.app import SECRET
from tests.support.box import cast_count
from tests.support.park import PARK
from tests.support.rounds import make_round


async def setup_round(db: AsyncSession, households: int, codes: int) -> tuple[int, list[str]]:
    """A household round whose codes are bound in turn to its households; the first code is
    void, the second used."""
    round_id = await make_round(db, household_roll=True)
    rows = [Household(round_id=round_id, label=f"{i + 1}栋101") for i in range(households)]
    db.add_all(rows)
    await db.flush()
    plain = [new_code() for _ in range(codes)]
    statuses = ["void", "used"] + ["issued"] * (codes - 2)
    db.add_all(
        VoterCode(
            round_id=round_id,
            code_hash=code_hash(SECRET, code),
            household_id=rows[i % households].id,
            status=status,
        )
        for i, (code, status) in enumerate(zip(plain, statuses, strict=True))
    )
    await db.commit()
    return round_id, plain


async def job(db: AsyncSession, round_id: int, code: str, key: str, choice: int) -> CastJob:
    spec = round_spec(await db.get(Round, round_id), SECRET)
    ballot = RankedBallot(ranking=((PARK[choice],),))
    return prepare(spec, CastRequest(code=code, key=key, ballot=ballot), SECRET)


def answers(outcomes: Sequence[Receipt | Exception], earlier: Sequence[Any] = ()) -> list[Any]:
    """Outcomes with trackers replaced by the order in which they first appear."""
    seen: dict[str, int] = {}
    for outcome in earlier:
        if isinstance(outcome, Receipt):
            seen.setdefault(outcome.tracker, len(seen))
    shown: list[Any] = []
    for outcome in outcomes:
        if isinstance(outcome, Receipt):
            shown.append((seen.setdefault(outcome.tracker, len(seen)), outcome.replayed))
        else:
            shown.append((type(outcome).__name__, getattr(outcome, "code", None)))
    return shown


async def state(db: AsyncSession, round_id: int) -> tuple[Any, ...]:
    db.expire_all()
    statuses = (
        await db.scalars(
            select(VoterCode.status).where(VoterCode.round_id == round_id).order_by(VoterCode.id)
        )
    ).all()
    voted = (
        await db.scalars(
            select(Household.voted).where(Household.round_id == round_id).order_by(Household.id)
        )
    ).all()
    ballots = await cast_count(db, round_id)
    keys = await db.scalar(
        select(func.count()).select_from(CastKey).where(CastKey.round_id == round_id)
    )
    return list(statuses), list(voted), ballots, keys


@pytest.fixture(params=["native", "core"])
async def writer(database_url: str, request: pytest.FixtureRequest):
    """The writer with the database's own statements (on SQLite: the driver's, with fixed SQL
    texts) and with SQLAlchemy Core's, so that both implementations answer every test."""
    engine = create_engine(database_url)
    native = request.param == "native"
    database = transactor(database_url, engine) if native else GreenletTransactor(engine)
    yield CastWriter(database, sessionmaker(engine), SECRET)
    await database.close()
    await engine.dispose()


async def scripted(db: AsyncSession, writer: CastWriter, seed: int) -> list[Any]:
    """A random script of casts (codes, keys and ballots drawn from small pools, retries of
    earlier casts) sent to two rounds set up alike: in one batch, and one by one. Both must
    get the same answers and leave the same state; the batch's answers are returned."""
    rng = random.Random(seed)
    _, foreign = await setup_round(db, 1, 3)
    script: list[tuple[Any, int, int]] = []
    for _ in range(40):
        pick = rng.random()
        if pick < 0.2 and script:  # a retry of an earlier submission
            script.append(rng.choice(script))
            continue
        code: Any = (
            rng.randrange(9) if pick < 0.9 else ("unknown" if pick < 0.95 else "other round")
        )
        script.append((code, rng.randrange(8), rng.randrange(2)))
    pre = [(rng.randrange(2, 9), k, 0) for k in range(2)]  # cast before the batch
    results = []
    for batched in (True, False):
        round_id, plain = await setup_round(db, 4, 9)
        keys = [uuid.uuid4().hex for _ in range(8)]

        def text(code: Any, plain: list[str] = plain) -> str:
            if code == "unknown":
                return new_code()
            return foreign[2] if code == "other round" else plain[code]

        earlier = [
            (await writer.write([await job(db, round_id, plain[c], keys[k], b)]))[0]
            for c, k, b in pre
        ]
        jobs = [await job(db, round_id, text(c), keys[k], b) for c, k, b in script]
        if batched:
            outcomes = await writer.write(jobs)
        else:
            outcomes = [(await writer.write([j]))[0] for j in jobs]
        results.append((answers(outcomes, earlier), await state(db, round_id)))
    assert results[0] == results[1], seed
    return results[0][0]


async def test_a_batch_answers_as_casting_one_by_one(db, writer):
    seen = set()
    for seed in range(8):
        seen |= {answer[1] for answer in await scripted(db, writer, seed)}
    assert seen == {
        False,  # stored
        True,  # replayed
        "code-used",
        "code-void",
        "code-unknown",
        "household-voted",
        "idempotency-key-reused",
    }


async def test_first_cast_of_a_code_in_a_batch_wins(db, writer):
    round_id, plain = await setup_round(db, 9, 9)
    jobs = [await job(db, round_id, plain[3], uuid.uuid4().hex, b) for b in (0, 1)]
    first, second = await writer.write(jobs)
    assert isinstance(first, Receipt)
    assert second.code == "code-used"
    assert (await state(db, round_id))[2:] == (1, 1)


async def test_household_voted_in_a_batch_leaves_its_code_unused(db, writer):
    round_id, plain = await setup_round(db, 3, 9)  # codes 2 and 5 share a household
    jobs = [await job(db, round_id, plain[i], uuid.uuid4().hex, 0) for i in (2, 5)]
    first, second = await writer.write(jobs)
    assert isinstance(first, Receipt)
    assert second.code == "household-voted"
    statuses, voted, ballots, keys = await state(db, round_id)
    assert statuses[2] == "used"
    assert statuses[5] == "issued"
    assert voted == [False, False, True]
    assert (ballots, keys) == (1, 1)


async def test_channels_are_kept_on_the_codes_a_batch_uses(db, writer):
    """Paper and phone casts in one batch with tablet casts: each used code says how its
    ballot came (a tablet's says nothing), a refused cast marks nothing, and the counts
    add up to the codes issued."""
    round_id, plain = await setup_round(db, 9, 9)  # code 0 void, code 1 used (a tablet's)
    casts = [(2, "paper"), (3, "phone"), (4, "tablet"), (5, "paper"), (1, "phone")]
    jobs = [
        replace(await job(db, round_id, plain[i], uuid.uuid4().hex, 0), channel=channel)
        for i, channel in casts
    ]
    outcomes = await writer.write(jobs)
    assert [type(o).__name__ for o in outcomes] == ["Receipt"] * 4 + ["Conflict"]
    db.expire_all()
    channels = (
        await db.scalars(
            select(VoterCode.channel).where(VoterCode.round_id == round_id).order_by(VoterCode.id)
        )
    ).all()
    assert channels[:6] == [None, None, "paper", "phone", None, "paper"]
    counts = await channel_counts(db, round_id)
    assert (counts.tablet, counts.paper, counts.phone) == (2, 2, 1)
    assert (counts.unused, counts.void, counts.issued) == (3, 1, 9)
    assert counts.issued == counts.used + counts.unused + counts.void
    # the box holds the four ballots cast here; the code set up used has none, and these
    # paper ballots were cast with no paper serial: checked against both, the line is off
    assert counts.box == 4
    assert not counts.balanced


async def test_key_stored_earlier_in_the_batch_replays(db, writer):
    round_id, plain = await setup_round(db, 9, 9)
    key = uuid.uuid4().hex
    jobs = [
        await job(db, round_id, plain[2], key, 0),
        await job(db, round_id, plain[2], key, 0),
        await job(db, round_id, plain[3], key, 0),
    ]
    first, again, other = await writer.write(jobs)
    assert isinstance(again, Receipt)
    assert (again.tracker, again.replayed) == (first.tracker, True)
    assert other.code == "idempotency-key-reused"
    statuses = (await state(db, round_id))[0]
    assert statuses[3] == "issued"


async def test_batch_spanning_rounds(db, writer):
    first_round, first_codes = await setup_round(db, 9, 9)
    second_round, second_codes = await setup_round(db, 9, 9)
    jobs = [
        await job(db, first_round, first_codes[2], uuid.uuid4().hex, 0),
        await job(db, second_round, first_codes[3], uuid.uuid4().hex, 0),
        await job(db, second_round, second_codes[3], uuid.uuid4().hex, 0),
        await job(db, first_round, first_codes[0], uuid.uuid4().hex, 0),
    ]
    outcomes = await writer.write(jobs)
    assert [o.round_id if isinstance(o, Receipt) else o.code for o in outcomes] == [
        first_round,
        "code-unknown",
        second_round,
        "code-void",
    ]


class Clashing:
    """A transactor whose transactions of more than ``alone`` casts fail as a whole, as when
    another worker committed one of their keys meanwhile."""

    def __init__(self, inner: Any, alone: int = 1) -> None:
        self.inner = inner
        self.alone = alone
        self.sizes: list[int] = []

    async def run(self, work: Any) -> Any:
        jobs = work.keywords["jobs"]
        self.sizes.append(len(jobs))
        if len(jobs) > self.alone:
            raise IntegrityError("INSERT INTO cast_keys ...", {}, Exception("duplicate key"))
        return await self.inner.run(work)

    async def close(self) -> None:
        await self.inner.close()


async def test_failed_batch_is_retried_cast_by_cast(db, database_url):
    round_id, plain = await setup_round(db, 9, 9)
    engine = create_engine(database_url)
    clashing = Clashing(transactor(database_url, engine))
    writer = CastWriter(clashing, sessionmaker(engine), SECRET)
    await writer.start()
    jobs = [await job(db, round_id, plain[i], uuid.uuid4().hex, 0) for i in (2, 3, 4)]
    outcomes = await asyncio.gather(*(writer.cast(j) for j in jobs))
    await writer.stop()
    assert clashing.sizes == [3, 1, 1, 1]
    assert all(not o.replayed for o in outcomes)
    assert (await state(db, round_id))[2:] == (3, 3)
    clashing.alone = 0  # now even a cast alone clashes: it is told to send it again
    await writer.start()
    with pytest.raises(Conflict) as refused:
        await writer.cast(await job(db, round_id, plain[5], uuid.uuid4().hex, 0))
    assert refused.value.code == "cast-retry"
    await writer.stop()
    await clashing.close()
    await engine.dispose()


async def test_driver_errors_roll_back_and_come_out_as_sqlalchemy_errors(db, database_url):
    """The writer talks to the driver directly (sqlite3, asyncpg): a failing statement undoes
    the whole transaction, and the error is SQLAlchemy's, as the writer's retry logic
    expects."""
    round_id = await make_round(db)
    engine = create_engine(database_url)
    database = transactor(database_url, engine)
    row = {"round_id": round_id, "nonce": b"n" * 12, "sealed": b"s" * 40}
    key = {"key_hash": "k" * 64, "request_digest": "d" * 64, "envelope_nonce": b"n" * 12}

    def store_twice(box: BoxStatements) -> None:
        box.store([row], [{**key, "round_id": round_id}])
        box.store([row], [])  # the same envelope again: a primary-key clash

    with pytest.raises(IntegrityError):
        await database.run(store_twice)
    assert (await state(db, round_id))[2:] == (0, 0)  # the first insert was rolled back
    await database.run(lambda box: box.store([row], [{**key, "round_id": round_id}]))
    assert (await state(db, round_id))[2:] == (1, 1)  # and the connection is usable again
    await database.close()
    await engine.dispose()


@pytest.mark.backends("sqlite")
async def test_sqlite_writer_waits_for_a_write_lock_held_elsewhere(db, database_url, monkeypatch):
    """Another process holding SQLite's write lock (a second worker, the command line) makes
    the writer wait in its thread — the event loop stays free — then write; past the limit
    the batch fails with the driver's error, as SQLAlchemy's."""
    round_id = await make_round(db)
    path = database_url.split("///", 1)[1]
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    engine = create_engine(database_url)
    database = transactor(database_url, engine)
    row = {"round_id": round_id, "nonce": b"w" * 12, "sealed": b"s" * 40}
    key = {"key_hash": "w" * 64, "request_digest": "d" * 64, "envelope_nonce": b"w" * 12}
    write = asyncio.ensure_future(
        database.run(lambda box: box.store([row], [{**key, "round_id": round_id}]))
    )
    await asyncio.sleep(0.1)  # the loop runs on while the writer waits for the lock
    assert not write.done()
    other.execute("ROLLBACK")
    await asyncio.wait_for(write, 5)
    assert (await state(db, round_id))[2:] == (1, 1)

    monkeypatch.setattr("service.voting.transactors.LOCK_WAIT", 0.05)
    other.execute("BEGIN IMMEDIATE")
    with pytest.raises(OperationalError, match="locked"):
        await database.run(lambda box: box.store([], []))
    other.execute("ROLLBACK")
    other.close()
    await database.close()
    await engine.dispose()


@pytest.mark.backends("postgres")
async def test_postgres_writer_after_its_connection_is_cut(db, database_url):
    """The PostgreSQL writer keeps one connection of its own: when the server cuts it, the
    batch fails as "database away" (503, send again) unless the driver noticed before it
    began, and the writer connects anew."""
    round_id = await make_round(db)
    engine = create_engine(database_url)
    database = transactor(database_url, engine)
    assert isinstance(database, PostgresTransactor)
    row = {"round_id": round_id, "nonce": b"c" * 12, "sealed": b"s" * 40}
    key = {"key_hash": "c" * 64, "request_digest": "d" * 64, "envelope_nonce": b"c" * 12}
    await database.run(lambda box: box.phases([round_id]))  # connects
    assert database._connection is not None
    pid = database._connection.get_server_pid()
    await db.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    first = database._connection

    def store(box: BoxStatements) -> None:
        box.store([row], [{**key, "round_id": round_id}])

    troubles = []
    try:  # the driver may have read the server's goodbye already, and connect at once
        await database.run(store)
    except (
        OSError,
        DBAPIError,
        asyncpg.PostgresConnectionError,
        asyncpg.InternalClientError,
    ) as cut:
        troubles.append(database_trouble(cut))
        await database.run(store)
    assert troubles in ([], ["away"])
    assert database._connection is not first
    assert (await state(db, round_id))[2:] == (1, 1)
    await database.close()
    await engine.dispose()


@pytest.mark.parametrize(
    ("error", "trouble"),
    [
        (asyncpg.exceptions.UniqueViolationError, "clash"),
        (asyncpg.exceptions.DeadlockDetectedError, "busy"),
        (asyncpg.exceptions.SerializationError, "busy"),
        (asyncpg.exceptions.CannotConnectNowError, "away"),
        (asyncpg.exceptions.StringDataRightTruncationError, "value"),
    ],
)
def test_asyncpg_errors_are_sorted_as_through_sqlalchemy(error, trouble):
    """The PostgreSQL writer's errors mean what the same errors through SQLAlchemy mean."""
    assert database_trouble(as_sqlalchemy(error("from the server"))) == trouble


class BetweenStates:
    """An asyncpg connection whose protocol is stuck mid-operation: every statement fails."""

    def __init__(self, inner: asyncpg.Connection) -> None:
        self.inner = inner

    def is_closed(self) -> bool:
        return False

    def terminate(self) -> None:
        self.inner.terminate()

    async def execute(self, *_: object) -> None:
        raise asyncpg.InternalClientError("cannot switch to state 15; another operation (2)")


@pytest.mark.backends("postgres")
async def test_postgres_writer_drops_a_connection_left_between_states(db, database_url):
    """A statement cut off as the server went away can leave asyncpg's connection between
    two states ("another operation is in progress"): the batch is "database away" (503,
    send again), and the writer connects anew instead of failing every batch after it."""
    round_id = await make_round(db)
    engine = create_engine(database_url)
    database = transactor(database_url, engine)
    assert isinstance(database, PostgresTransactor)
    await database.run(lambda box: box.phases([round_id]))  # connects
    assert database._connection is not None
    stuck = BetweenStates(database._connection)
    database._connection = stuck  # type: ignore[assignment]
    with pytest.raises((DBAPIError, asyncpg.InternalClientError)) as failed:
        await database.run(lambda box: box.phases([round_id]))
    assert database_trouble(failed.value) == "away"
    assert await database.run(lambda box: box.phases([round_id])) == [(round_id, "voting")]
    assert database._connection is not stuck
    await database.close()
    await engine.dispose()
