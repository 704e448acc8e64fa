"""No request stalls the tablets, on every database: code slips, their codes and every export
are made in the worker process (:mod:`service.offload`), give the bytes the same function
gives in-process, and while 5,000 slips are made the app's event loop keeps ticking. (The
test client waits for each request on the test's own loop, so the ticks are counted on the
app's loop itself.)

Timing is judged against the request itself, not a fixed threshold: before the worker, the
loop stood still for the whole slip request; now its longest pause must be a small part of it.
"""

from __future__ import annotations

import asyncio
import io
import itertools
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from openpyxl import load_workbook
from sqlalchemy import func, select

from service import offload
from service.app import create_app
from service.db.models import Household, VoterCode
from service.records.exports import make
from service.records.slips import slips_pdf
from service.settings import Settings
from service.voting.codes import fresh_codes
from tests.support.records_demo import build_demo
from tests.support.rounds import make_round


@dataclass
class Offloaded:
    """What went through :func:`service.offload.run`: the function and its arguments, and
    the answer."""

    calls: list[tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any], Any]] = field(
        default_factory=list
    )

    def of(self, fn: Callable[..., Any]) -> list[tuple[tuple[Any, ...], dict[str, Any], Any]]:
        return [(args, kwargs, answer) for f, args, kwargs, answer in self.calls if f is fn]


@pytest.fixture
def offloaded(monkeypatch: pytest.MonkeyPatch) -> Offloaded:
    seen = Offloaded()
    real = offload.run

    async def recording(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        answer = await real(fn, *args, **kwargs)
        seen.calls.append((fn, args, kwargs, answer))
        return answer

    monkeypatch.setattr(offload, "run", recording)
    return seen


@dataclass
class Ticker:
    """A task on the app's own event loop that wakes every 10 ms and notes when it did."""

    ticks: list[float] = field(default_factory=list)
    task: asyncio.Task[None] | None = None

    async def start(self, app: Litestar) -> None:
        self.task = asyncio.create_task(self._tick())

    async def stop(self, app: Litestar) -> None:
        if self.task is not None:
            self.task.cancel()

    async def _tick(self) -> None:
        while True:
            self.ticks.append(time.perf_counter())
            await asyncio.sleep(0.01)

    def longest_pause(self, start: float, end: float) -> float:
        seen = [start, *(t for t in self.ticks if start <= t <= end), end]
        return max(b - a for a, b in itertools.pairwise(seen))

    def count(self, start: float, end: float) -> int:
        return sum(1 for t in self.ticks if start <= t <= end)


@pytest.fixture
async def watched(settings: Settings) -> AsyncIterator[tuple[AsyncTestClient[Any], Ticker]]:
    """A test client of an app whose event loop carries a :class:`Ticker`."""
    ticker = Ticker()
    app = create_app(settings)
    app.on_startup.append(ticker.start)
    app.on_shutdown.insert(0, ticker.stop)
    async with AsyncTestClient(app=app, timeout=600) as client:
        yield client, ticker


async def test_the_loop_keeps_ticking_while_5000_slips_are_made(watched, db, staff, offloaded):
    client, ticker = watched
    round_id = await make_round(db)
    started = time.perf_counter()
    slips = asyncio.create_task(
        client.post(
            f"/api/v1/rounds/{round_id}/code-slips",
            json={"count": 5000},
            headers=staff["facilitator"],
        )
    )
    response = await slips
    ended = time.perf_counter()
    assert response.status_code == 201, response.text
    assert response.content.startswith(b"%PDF-")

    # the codes and the PDF were made in the worker, and the PDF is what was sent
    [(args, _, codes)] = offloaded.of(fresh_codes)
    assert len(args[0].bound) == 5000
    [(_, _, pdf)] = offloaded.of(slips_pdf)
    assert pdf == response.content
    stored = await db.scalar(
        select(func.count()).select_from(VoterCode).where(VoterCode.round_id == round_id)
    )
    assert stored == len(codes) == 5000

    # the loop was free meanwhile: it never paused for long, and woke often
    took = ended - started
    pause = ticker.longest_pause(started, ended)
    assert pause < max(0.5, took / 4), (pause, took)
    assert ticker.count(started, ended) >= 10 * took, (ticker.count(started, ended), took)


async def test_slips_made_in_the_worker_are_those_made_in_process(client, db, staff, offloaded):
    round_id = await make_round(db, household_roll=True)
    roll = ["3栋2单元501", "3栋2单元502", "5栋1单元101"]
    response = await client.post(
        f"/api/v1/rounds/{round_id}/code-slips?lang=en",
        json={"households": roll},
        headers=staff["facilitator"],
    )
    assert response.status_code == 201, response.text
    [(args, kwargs, pdf)] = offloaded.of(slips_pdf)
    assert pdf == response.content
    assert slips_pdf(*args, **kwargs) == response.content
    assert sorted(household for _, household, _ in args[0]) == sorted(roll)
    assert [number for _, _, number in args[0]] == [1, 2, 3]


async def test_exports_made_in_the_worker_are_those_made_in_process(client, db, staff, offloaded):
    demo = await build_demo(client, staff, db)
    secretary = staff["secretary"]
    for fmt in ("pdf", "xlsx", "rounds-csv"):  # the files with ballots are streamed
        response = await client.get(
            f"/api/v1/rounds/{demo.round1}/exports/{fmt}", headers=secretary
        )
        assert response.status_code == 200, response.text
        [(args, _, made)] = offloaded.of(make)[-1:]
        assert args[1] == fmt
        assert made.exported.content == response.content
        again = make(*args).exported.content
        if fmt == "xlsx":  # a zip whose members carry the time they were written
            assert sheets(again) == sheets(response.content)
        else:
            assert again == response.content
    process = await client.get(
        f"/api/v1/processes/{demo.process_id}/exports/pdf", headers=secretary
    )
    assert process.status_code == 200
    [(args, _, made)] = offloaded.of(make)[-1:]
    assert len(args[0].rounds) == 2
    assert made.exported.content == process.content == make(*args).exported.content


def sheets(xlsx: bytes) -> dict[str, list[tuple[Any, ...]]]:
    book = load_workbook(io.BytesIO(xlsx))
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets}


async def test_a_long_household_roll_is_written_in_chunks(client, db, staff):
    round_id = await make_round(db, household_roll=True)
    url = f"/api/v1/rounds/{round_id}/codes"
    first = [f"1栋{n:04d}" for n in range(10)]
    made = await client.post(url, json={"households": first}, headers=staff["facilitator"])
    assert made.status_code == 201, made.text
    # one household has voted; 2,500 more labels cross the statements' chunks of 1,000
    voted = await db.scalar(select(Household).where(Household.label == "1栋0003"))
    voted.voted = True
    await db.commit()
    roll = [*first, *(f"2栋{n:04d}" for n in range(2500))]
    # the first nine hold live codes: a second code each only when confirmed
    held = await client.post(url, json={"households": roll}, headers=staff["facilitator"])
    assert held.status_code == 409, held.text
    confirmed = {"households": roll, "confirm": True}
    response = await client.post(url, json=confirmed, headers=staff["facilitator"])
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["skipped"] == ["1栋0003"]
    assert sorted(c["household"] for c in body["codes"]) == sorted(set(roll) - {"1栋0003"})
    households = (
        await db.execute(
            select(Household.label, Household.id).where(Household.round_id == round_id)
        )
    ).all()
    assert len(households) == 2510
    ids = dict(households)
    bound = (
        await db.execute(
            select(VoterCode.household_id, func.count())
            .where(VoterCode.round_id == round_id)
            .group_by(VoterCode.household_id)
        )
    ).all()
    per_household = dict(bound)
    assert set(per_household) == set(ids.values())
    assert per_household[ids["1栋0003"]] == 1  # the first code only
    assert per_household[ids["1栋0004"]] == 2  # the first and the second
    assert per_household[ids["2栋2499"]] == 1
