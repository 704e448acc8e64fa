"""The guessing budget holds however a guesser paces itself, whatever it sends at once and
however many app workers it spreads over; the numbers in the module docstring and in
docs/security.md are the ones guessers really get. On every database, with a clock the
test moves (no sleeping)."""

from __future__ import annotations

import asyncio
import math
import re
from collections.abc import AsyncIterator, Sequence

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from service.db.models import CodeGuess, GuessBudget
from service.db.session import create_engine, sessionmaker
from service.errors import TooMany
from service.settings import Settings
from service.voting import guess_ledger, guesses
from service.voting.devices import device_key
from service.voting.guesses import DAY, KEPT, Bucket, Budget, chance, most_guesses
from service.voting.lockouts import Lockouts
from tests.support.app import SECRET
from tests.support.paths import ROOT
from tests.support.rounds import make_round

SECURITY_DOC = ROOT / "docs" / "security.md"


class Clock:
    """Unix time that moves only when the test moves it."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def maker(settings: Settings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(settings.database_url)
    yield sessionmaker(engine)
    await engine.dispose()


async def guesser(
    workers: Sequence[Lockouts], clock: Clock, device: str, round_id: int, every: float, days: int
) -> list[float]:
    """A guesser trying an unknown code every ``every`` seconds for ``days`` days: at each
    try it goes through every worker at once (a refusal costs it nothing), and when all
    refuse it comes back on its pace after the longest ``Retry-After`` it must wait. The
    workers read the database's lockouts every second, as in the server. Returns when its
    guesses were answered, in seconds from the start."""
    start = clock.now
    answered: list[float] = []
    while clock.now < start + days * DAY:
        waits = []
        for worker in workers:
            try:
                worker.check(device)
            except TooMany as refused:
                waits.append(refused.detail["retry_after"])
                continue
            await worker.failed(device, round_id)
            answered.append(clock.now - start)
        step = every
        if len(waits) == len(workers):
            step = max(every, math.ceil(min(waits) / every) * every)
        clock.now += step
        if len(workers) > 1:
            for worker in workers:
                await worker.refresh()
    return answered


def within(times: list[float], start: float, seconds: float) -> int:
    return sum(1 for t in times if start <= t < start + seconds)


async def test_a_bucket_holds_its_size_and_refills_evenly() -> None:
    bucket = Bucket(size=3, refill=60)
    full_at = 0.0
    for _ in range(3):  # three at once
        assert bucket.opens_at(full_at) <= 1000
        full_at = bucket.spend(full_at, 1000)
    assert bucket.opens_at(full_at) == 1060  # the fourth a minute later
    full_at = bucket.spend(full_at, 1060)
    assert bucket.opens_at(full_at) == 1120
    assert bucket.spend(0.0, 5000) == 5060  # a long-quiet bucket is full again
    assert Bucket(size=10, refill=60).most(0) == 10
    assert Bucket(size=10, refill=60).most(600) == 19


@pytest.mark.parametrize("every", [2.1, 60, 400])
async def test_a_paced_guesser_gets_the_documented_budget(maker, db, every) -> None:
    """One guess every 2.1 s was never locked out before; one every minute or every few
    minutes neither; now each gets what the module docstring says, and no more."""
    round_id = await make_round(db)
    clock = Clock()
    worker = Lockouts(maker, SECRET, clock=clock)
    times = await guesser([worker], clock, "address:203.0.113.9", round_id, every, days=3)
    assert within(times, 0, DAY) == most_guesses(DAY) == 199
    assert within(times, DAY, DAY) <= Budget().per_day() == 100
    assert within(times, 2 * DAY, DAY) >= 99
    if every < 60:  # fast enough to meet the burst bucket, within a try's lateness
        assert most_guesses(600) - 1 <= within(times, 0, 600) <= most_guesses(600) == 19
        assert most_guesses(3600) - 1 <= within(times, 0, 3600) <= most_guesses(3600) == 69
    # and in no 24 hours anywhere in the run more than the documented most
    assert max(within(times, t, DAY) for t in times) <= most_guesses(DAY)


async def test_guesses_sent_at_once_are_all_charged_and_waited_for(maker, db) -> None:
    """300 unknown codes sent together all get an answer (none was charged yet when they
    were checked), but the device then waits them off: over three days it gets no more
    than a guesser pacing itself."""
    round_id = await make_round(db)
    clock = Clock()
    worker = Lockouts(maker, SECRET, clock=clock)
    device = "address:198.51.100.7"

    async def one() -> None:
        worker.check(device)
        await worker.failed(device, round_id)

    await asyncio.gather(*(one() for _ in range(300)))
    assert most_guesses(0) == 10  # what a device gets at once if it sends one at a time
    with pytest.raises(TooMany) as refused:
        worker.check(device)
    # 200 guesses beyond the day bucket: 200 × 14.4 minutes, two days
    assert refused.value.detail["retry_after"] == pytest.approx(2 * DAY + 864, abs=1)
    clock.now += 1
    later = await guesser([worker], clock, device, round_id, 60, days=3)
    paced = most_guesses(DAY) + 2 * Budget().per_day()
    assert 300 + len(later) <= paced + 1


@pytest.mark.parametrize("workers", [2, 4])
async def test_app_workers_share_one_budget(maker, db, workers) -> None:
    """N processes, each with its own view, charge the same budget in the database: a
    guesser trying every worker gets at most N - 1 guesses ahead, and waits them off."""
    round_id = await make_round(db)
    clock = Clock()
    views = [Lockouts(maker, SECRET, clock=clock) for _ in range(workers)]
    times = await guesser(views, clock, "address:192.0.2.44", round_id, 1, days=3)
    slack = workers - 1
    assert within(times, 0, 1) <= most_guesses(0) + slack
    assert most_guesses(DAY) <= within(times, 0, DAY) <= most_guesses(DAY) + slack
    one_worker = most_guesses(DAY) + 2 * Budget().per_day()
    assert len(times) <= one_worker + slack


async def test_a_lockout_charged_by_another_worker_is_refused_after_a_refresh(maker, db) -> None:
    round_id = await make_round(db)
    clock = Clock()
    here, there = Lockouts(maker, SECRET, clock=clock), Lockouts(maker, SECRET, clock=clock)
    for _ in range(10):
        await there.failed("tablet:abc", round_id)
    here.check("tablet:abc")  # this process has not heard yet
    await here.refresh()
    with pytest.raises(TooMany):
        here.check("tablet:abc")
    here.check("tablet:def")  # the next tablet is not affected
    clock.now += 60
    await here.refresh()
    here.check("tablet:abc")  # a guess came back after a minute


async def test_the_wait_is_said_in_chinese_first_with_the_unit_people_use(maker, db) -> None:
    round_id = await make_round(db)
    clock = Clock()
    worker = Lockouts(maker, SECRET, clock=clock)
    for _ in range(10):
        await worker.failed("tablet:abc", round_id)
    with pytest.raises(TooMany) as refused:
        worker.check("tablet:abc")
    wait = "这台设备输错投票码的次数太多了，请 60 秒后再试；仍然不行请询问主持人"
    assert refused.value.zh == wait
    assert refused.value.detail == {"retry_after": 60}
    assert "wait 60 seconds" in str(refused.value)
    assert guesses.wait_text(900) == ("15 分钟", "15 minutes")
    assert guesses.wait_text(3 * 3600 + 1) == ("4 小时", "4 hours")


async def test_rows_hold_a_keyed_hash_and_are_forgotten_after_a_day(maker, db) -> None:
    round_id = await make_round(db)
    clock = Clock()
    worker = Lockouts(maker, SECRET, clock=clock)
    await worker.failed("address:203.0.113.9", round_id)
    stored = await db.scalar(select(GuessBudget.device))
    assert stored == device_key(SECRET, "address:203.0.113.9")
    assert "203.0.113.9" not in str(stored)
    assert await db.scalar(select(func.count()).select_from(CodeGuess)) == 1
    await guess_ledger.forget(maker, clock.now + DAY - 1)
    assert await db.scalar(select(func.count()).select_from(CodeGuess)) == 1
    await guess_ledger.forget(maker, clock.now + DAY + 864 + 1)
    assert await db.scalar(select(func.count()).select_from(CodeGuess)) == 0
    assert await db.scalar(select(func.count()).select_from(GuessBudget)) == 0


def test_an_ipv6_client_counts_with_its_slash_64() -> None:
    one = device_key(SECRET, "address:2001:db8:1:2::1")
    assert one == device_key(SECRET, "address:2001:db8:1:2:ffff::9")
    assert one != device_key(SECRET, "address:2001:db8:1:3::1")
    mapped = device_key(SECRET, "address:::ffff:192.0.2.1")
    assert mapped == device_key(SECRET, "address:192.0.2.1")
    assert device_key(SECRET, "tablet:ab") != device_key(SECRET, "kept:ab")
    assert device_key(SECRET, "tablet:ab") != device_key("another secret", "tablet:ab")


def sci(value: float) -> str:
    """``8.8 × 10^-11``, as the documents write it."""
    mantissa, exponent = f"{value:.1e}".split("e")
    return f"{mantissa} × 10^{int(exponent)}"


def test_the_documented_arithmetic_is_the_modules() -> None:
    day, week, later = most_guesses(DAY), most_guesses(7 * DAY), Budget().per_day()
    # a tablet's kept deliveries take a backlog at once, but no more in a day or a week
    assert most_guesses(0, KEPT) == 30
    assert (most_guesses(DAY, KEPT), most_guesses(7 * DAY, KEPT)) == (day, week)
    figures = {
        "one guess": sci(chance(1)),
        "one device, 24 hours": sci(chance(day)),
        "one device, a later day": sci(chance(later)),
        "1,000 devices, a day": sci(chance(day, devices=1000)),
        "1,000 devices, a week": sci(chance(week, devices=1000)),
    }
    assert figures == {
        "one guess": "4.4 × 10^-13",
        "one device, 24 hours": "8.8 × 10^-11",
        "one device, a later day": "4.4 × 10^-11",
        "1,000 devices, a day": "8.8 × 10^-8",
        "1,000 devices, a week": "3.5 × 10^-7",
    }
    budgets = [
        f"{most_guesses(0)} guesses at once",
        f"{most_guesses(600)} in any 10 minutes",
        f"{most_guesses(3600)} in any hour",
        f"{day} in any 24 hours",
        f"{later} a day",
        f"({week} guesses each)",
    ]
    for text in (guesses.__doc__ or "", SECURITY_DOC.read_text(encoding="utf-8")):
        flat = re.sub(r"[*\s]+", " ", text)
        for figure in [*figures.values(), *budgets]:
            assert figure in flat, figure


async def test_a_database_away_leaves_the_last_view_and_is_logged_once(
    maker, monkeypatch, caplog
) -> None:
    worker = Lockouts(maker, SECRET)
    worker._locked = {device_key(SECRET, "tablet:abc"): worker.clock() + 600}
    reads = 0

    async def away() -> None:
        nonlocal reads
        reads += 1
        if reads == 5:
            raise asyncio.CancelledError  # stop watching
        raise ConnectionRefusedError("the database is away")

    monkeypatch.setattr(worker, "refresh", away)
    with pytest.raises(asyncio.CancelledError):
        await worker.watch(every=0)
    assert reads == 5
    with pytest.raises(TooMany):
        worker.check("tablet:abc")  # still refused from the last view
    assert [r.message for r in caplog.records].count(
        "cannot read the guessing lockouts, keeping the last: the database is away"
    ) == 1
