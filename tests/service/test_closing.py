"""Closing a round's voting in three short steps (service/phases.py): the count runs in the
worker process with no transaction open, so casts in other rounds and the event loop go on
meanwhile; a failed count stores nothing and puts the round back into voting; a close stopped
half-way is finished by closing again, or by the server when it starts; a second close while
counting is refused.

The app runs in the test's own event loop (tests.support.app.serving), so requests really are
in flight together; a slow count is a worker function that waits before counting.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from typing import Any

import msgspec
import pytest
from sqlalchemy import func, select

from ballots.digest import lot_seed
from ballots.encode import encode
from ballots.kinds import Ballot
from ballots.validate import validate
from engine.registry import tally
from engine.result import to_json
from service import offload
from service.db.models import AuditEvent, BoxPart, CastKey, Envelope, Round, RoundResult
from service.results import box_count, counting
from service.results.box_count import BoxCount, SealedBox
from service.rounds.settings import ballot_rules
from tests.support.app import SECRET, Clock, from_address, serving
from tests.support.park import PARK
from tests.support.rounds import FACILITATOR, make_round, ranked

COUNT_BOX = box_count.count_box
"""The worker's count itself (tests replace the module's with slower or dying ones)."""
SLOW = 3.0
"""Seconds a slow count waits in the worker before counting."""


def slow_count(secret_key: str, sealed: SealedBox) -> BoxCount:
    """The worker's count, after :data:`SLOW` seconds of spinning (a long Equal Shares)."""
    until = time.monotonic() + SLOW
    while time.monotonic() < until:
        pass
    return box_count.count_box(secret_key, sealed)


def dying_count(secret_key: str, sealed: SealedBox) -> BoxCount:
    """A worker that dies while counting (killed, out of memory)."""
    os._exit(1)


def budget_ballots(n: int, seed: int = 3) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    cheap = PARK[1:]  # anything but the 80,000-yuan play equipment fits 100,000 together
    return [{"kind": "budget", "approved": rng.sample(cheap, 2)} for _ in range(n)]


async def budget_round(db: Any) -> int:
    return await make_round(db, kind="budget", method="equal-shares", options={"budget": 100_000})


async def vote_through(http: Any, headers: dict[str, str], round_id: int, ballots: list) -> None:
    codes = await http.post(
        f"/api/v1/rounds/{round_id}/codes", json={"count": len(ballots)}, headers=headers
    )
    assert codes.status_code == 201, codes.text
    for slip, ballot in zip(codes.json()["codes"], ballots, strict=True):
        answer = await cast_one(http, round_id, slip["code"], ballot)
        assert answer.status_code == 201, answer.text


def cast_one(http: Any, round_id: int, code: str, ballot: dict[str, Any]) -> Any:
    body = {"code": code, "key": os.urandom(16).hex(), "ballot": ballot}
    return http.post(f"/api/v1/rounds/{round_id}/ballots", json=body)


def close_through(http: Any, headers: dict[str, str], round_id: int) -> Any:
    return http.post(f"/api/v1/rounds/{round_id}/phase", json={"to": "closed"}, headers=headers)


async def counting_started(db: Any, round_id: int, closing: asyncio.Task[Any]) -> None:
    """Wait until the close has committed its move to closed and is counting."""
    for _ in range(500):
        phase = await db.scalar(
            select(Round.phase)
            .where(Round.id == round_id)
            .execution_options(populate_existing=True)
        )
        await db.commit()
        if phase == "closed":
            return
        assert not closing.done(), closing.result().text
        await asyncio.sleep(0.01)
    raise AssertionError("the close never committed its move to closed")


async def audit(db: Any, action: str, round_id: int) -> list[AuditEvent]:
    found = await db.scalars(
        select(AuditEvent).where(AuditEvent.action == action, AuditEvent.entity_id == round_id)
    )
    return list(found.all())


async def count_here(db: Any, round_id: int) -> None:
    """Count the round in this process and store its result, as another server process
    closing it at the same time would."""
    round_row = await db.get(Round, round_id, populate_existing=True)
    await counting.lock_uncounted(db, round_id)
    sealed = await counting.read_box(db, round_row)
    await counting.store_count(db, round_row, FACILITATOR, COUNT_BOX(SECRET, sealed))
    await db.commit()


@pytest.fixture
def slow(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(box_count, "count_box", slow_count)


async def test_casts_and_pings_are_answered_while_a_budget_round_is_counted(
    db, staff, settings, slow
):
    counted = await budget_round(db)
    other = await make_round(db)
    async with serving(settings, Clock()) as app, from_address(app, "10.0.0.5") as http:
        await vote_through(http, staff["facilitator"], counted, budget_ballots(12))
        codes = await http.post(
            f"/api/v1/rounds/{other}/codes", json={"count": 1}, headers=staff["facilitator"]
        )
        [code] = [c["code"] for c in codes.json()["codes"]]
        closing = asyncio.create_task(close_through(http, staff["facilitator"], counted))
        await counting_started(db, counted, closing)
        started = time.monotonic()
        pinged = await http.get("/api/v1/ping")
        ping_seconds = time.monotonic() - started
        started = time.monotonic()
        landed = await cast_one(http, other, code, ranked("文化墙"))
        cast_seconds = time.monotonic() - started
        still_counting = not closing.done()
        closed = await closing
    assert pinged.status_code == 200
    assert landed.status_code == 201, landed.text
    assert still_counting  # the cast landed while the budget round was being counted
    assert ping_seconds < 0.5, ping_seconds
    assert cast_seconds < 1.0, cast_seconds
    assert closed.status_code == 200, closed.text
    assert closed.json()["phase"] == "closed"
    stored = await db.get(RoundResult, counted)
    assert stored.ballots == 12


async def test_the_count_runs_in_the_worker_process_and_matches_the_engine(
    db, staff, settings, monkeypatch
):
    answers: list[Any] = []
    run = offload.run

    async def watched(fn: Any, *args: Any, **kwargs: Any) -> Any:
        answer = await run(fn, *args, **kwargs)
        answers.append(answer)
        return answer

    monkeypatch.setattr(offload, "run", watched)
    round_id = await budget_round(db)
    async with serving(settings, Clock()) as app, from_address(app, "10.0.0.6") as http:
        ballots = budget_ballots(20)
        await vote_through(http, staff["facilitator"], round_id, ballots)
        closed = await close_through(http, staff["facilitator"], round_id)
    assert closed.status_code == 200, closed.text
    [answer] = [a for a in answers if isinstance(a, BoxCount)]  # codes are made there too
    assert answer.worker != os.getpid()
    round_row = await db.get(Round, round_id)
    rules = ballot_rules(round_row)
    profile = encode([validate(msgspec.convert(b, Ballot), rules) for b in ballots], rules)
    stored = await db.get(RoundResult, round_id)
    seed = lot_seed(stored.ballot_box_digest)
    assert stored.result == to_json(tally("equal-shares", profile, seats=1, seed=seed))
    assert stored.ballot_box_digest == answer.box.digest
    assert stored.ballots == answer.box.count == 20


async def test_a_refused_tie_stores_nothing_and_the_round_votes_on(db, staff, settings):
    round_id = await make_round(db, method="plurality", options={"tie_policy": "refuse"})
    async with serving(settings, Clock()) as app, from_address(app, "10.0.0.7") as http:
        await vote_through(
            http, staff["facilitator"], round_id, [ranked("文化墙"), ranked("健身器材")]
        )
        refused = await close_through(http, staff["facilitator"], round_id)
        assert refused.status_code == 409, refused.text
        assert refused.json()["code"] == "tie-unresolved"
        assert refused.json()["message_zh"].startswith("遇到需要抽签才能决定的平局")
        assert "文化墙" in refused.json()["message_zh"]  # the tie travelled back whole
        round_row = await db.get(Round, round_id, populate_existing=True)
        assert (round_row.phase, round_row.closed_at) == ("voting", None)
        assert await db.scalar(select(func.count()).select_from(Envelope)) == 2
        assert await db.scalar(select(func.count()).select_from(CastKey)) == 2
        assert await db.scalar(select(func.count()).select_from(BoxPart)) == 0
        assert await db.get(RoundResult, round_id) is None
        [failed] = await audit(db, "round.count-failed", round_id)
        assert failed.detail == {"reason": "tie-unresolved"}
        await db.commit()
        await vote_through(http, staff["facilitator"], round_id, [ranked("文化墙")])
        closed = await close_through(http, staff["facilitator"], round_id)
    assert closed.status_code == 200, closed.text
    stored = await db.get(RoundResult, round_id)
    assert stored.ballots == 3
    assert msgspec.json.decode(stored.result)["winners"] == ["文化墙"]


async def test_a_worker_that_dies_leaves_the_round_voting_and_it_closes_again(
    db, staff, settings, monkeypatch
):
    round_id = await budget_round(db)
    async with serving(settings, Clock()) as app, from_address(app, "10.0.0.8") as http:
        await vote_through(http, staff["facilitator"], round_id, budget_ballots(5))
        monkeypatch.setattr(box_count, "count_box", dying_count)
        refused = await close_through(http, staff["facilitator"], round_id)
        assert refused.status_code == 503, refused.text
        assert refused.json()["code"] == "unavailable"
        assert refused.json()["message_zh"].startswith("计票的后台进程意外停止")
        assert (await db.get(Round, round_id, populate_existing=True)).phase == "voting"
        [failed] = await audit(db, "round.count-failed", round_id)
        assert failed.detail == {"reason": "count-worker-stopped"}
        await db.commit()
        monkeypatch.undo()
        closed = await close_through(http, staff["facilitator"], round_id)
    assert closed.status_code == 200, closed.text
    assert (await db.get(RoundResult, round_id)).ballots == 5


async def test_a_close_stopped_half_way_is_finished_by_closing_again(db, staff, settings):
    round_id = await budget_round(db)
    async with serving(settings, Clock()) as app, from_address(app, "10.0.0.9") as http:
        await vote_through(http, staff["facilitator"], round_id, budget_ballots(6))
        round_row = await db.get(Round, round_id)
        round_row.phase = "closed"  # the move committed, then the server stopped
        await db.commit()
        closed = await close_through(http, staff["facilitator"], round_id)
        again = await close_through(http, staff["facilitator"], round_id)
    assert closed.status_code == 200, closed.text
    assert (await db.get(RoundResult, round_id)).ballots == 6
    assert again.status_code == 409
    assert again.json()["message_zh"] == "已经处于“投票已结束”阶段", again.text
    assert len(await audit(db, "round.counted", round_id)) == 1
    assert await audit(db, "round.closed", round_id) == []  # moved by hand above


async def test_a_close_stopped_half_way_is_finished_when_the_server_starts(db, staff, settings):
    round_id = await budget_round(db)
    async with serving(settings, Clock()) as app, from_address(app, "10.0.0.11") as http:
        await vote_through(http, staff["facilitator"], round_id, budget_ballots(5))
    round_row = await db.get(Round, round_id)
    round_row.phase = "closed"  # the move committed, then the server stopped
    await db.commit()
    async with serving(settings, Clock()):  # the server starts again
        deadline = time.monotonic() + 30
        while (
            await db.scalar(select(RoundResult.ballots).where(RoundResult.round_id == round_id))
            is None
        ):
            assert time.monotonic() < deadline, "the unfinished close was not counted at start"
            await db.rollback()
            await asyncio.sleep(0.1)
    assert (await db.get(RoundResult, round_id)).ballots == 5
    [counted] = await audit(db, "round.counted", round_id)
    assert counted.actor == "server"


async def test_a_second_close_while_counting_is_refused(db, staff, settings, slow):
    round_id = await budget_round(db)
    async with serving(settings, Clock()) as app, from_address(app, "10.0.0.10") as http:
        await vote_through(http, staff["facilitator"], round_id, budget_ballots(4))
        closing = asyncio.create_task(close_through(http, staff["facilitator"], round_id))
        await counting_started(db, round_id, closing)
        second = await close_through(http, staff["facilitator"], round_id)
        assert not closing.done()
        first = await closing
    assert second.status_code == 409
    assert second.json()["message_zh"] == "已经处于“投票已结束”阶段", second.text
    assert first.status_code == 200, first.text
    assert len(await audit(db, "round.counted", round_id)) == 1


async def test_a_count_stored_meanwhile_is_not_stored_twice(db, staff, settings, slow):
    """Another server process counted the round while this one was counting: the second
    result is refused (409 already-counted) and the round keeps the first."""
    round_id = await budget_round(db)
    async with serving(settings, Clock()) as app, from_address(app, "10.0.0.11") as http:
        await vote_through(http, staff["facilitator"], round_id, budget_ballots(4))
        closing = asyncio.create_task(close_through(http, staff["facilitator"], round_id))
        await counting_started(db, round_id, closing)
        await count_here(db, round_id)  # the other process's count
        refused = await closing
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "already-counted"
    assert (await db.get(Round, round_id, populate_existing=True)).phase == "closed"
    assert (await db.get(RoundResult, round_id)).ballots == 4
    assert len(await audit(db, "round.counted", round_id)) == 1
    assert await audit(db, "round.count-failed", round_id) == []


async def test_a_round_put_back_into_voting_meanwhile_keeps_no_result(db, staff, settings, slow):
    """Another server process's count of the round failed and put it back into voting while
    this one was counting: this count is not stored (409 count-overtaken)."""
    round_id = await budget_round(db)
    async with serving(settings, Clock()) as app, from_address(app, "10.0.0.12") as http:
        await vote_through(http, staff["facilitator"], round_id, budget_ballots(3))
        closing = asyncio.create_task(close_through(http, staff["facilitator"], round_id))
        await counting_started(db, round_id, closing)
        round_row = await db.get(Round, round_id, populate_existing=True)
        round_row.phase = "voting"
        await db.commit()
        refused = await closing
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "count-overtaken"
    assert "投票中" in refused.json()["message_zh"], refused.text
    assert (await db.get(Round, round_id, populate_existing=True)).phase == "voting"
    assert await db.get(RoundResult, round_id) is None
    assert await db.scalar(select(func.count()).select_from(BoxPart)) == 0
