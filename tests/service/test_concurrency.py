"""Many codes redeemed in parallel, each by several requests at once, and a close racing the
casts: every code is used at most once and every acknowledged ballot is stored and counted.

The app runs in the test's own event loop (its lifespan entered here, requests through
httpx's ASGI transport), so the requests really are in flight together.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import httpx
from sqlalchemy import func, select

from service.app import create_app
from service.db.models import Ballot, Round, RoundResult, VoterCode
from service.db.session import create_engine, sessionmaker
from service.results.counting import close_round
from service.settings import Settings
from tests.service.test_casting import PARK, make_round
from tests.service.test_results import FACILITATOR

CODES = 120
ATTEMPTS = 3
"""Requests per code, each with its own idempotency key (three tablets, one slip)."""


@asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The app in this event loop (entered inside the test: lifespan scopes are per task)."""
    app = create_app(settings)
    async with app.lifespan():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench.test") as client:
            yield client


async def issue(http: httpx.AsyncClient, headers: dict[str, str], round_id: int, n: int) -> list:
    response = await http.post(
        f"/api/v1/rounds/{round_id}/codes", json={"count": n}, headers=headers
    )
    assert response.status_code == 201
    return [c["code"] for c in response.json()["codes"]]


def attempt(http: httpx.AsyncClient, round_id: int, code: str, rng: random.Random):
    ballot = {"kind": "ranked", "ranking": [[n] for n in rng.sample(PARK, rng.randint(1, 6))]}
    body = {"code": code, "key": uuid.uuid4().hex, "ballot": ballot}
    return http.post(f"/api/v1/rounds/{round_id}/ballots", json=body)


async def test_each_code_is_redeemed_once(db, staff, settings):
    round_id = await make_round(db)
    async with serving(settings) as http:
        codes = await issue(http, staff["facilitator"], round_id, CODES)
        rng = random.Random(3)
        jobs = [(c, attempt(http, round_id, c, rng)) for c in codes for _ in range(ATTEMPTS)]
        rng.shuffle(jobs)
        responses = await asyncio.gather(*(job for _, job in jobs))
    wins: Counter[str] = Counter()
    acknowledged = set()
    for (code, _), response in zip(jobs, responses, strict=True):
        if response.status_code == 201:
            wins[code] += 1
            acknowledged.add(response.json()["tracker"])
        else:
            assert response.status_code == 409, response.text
            assert response.json()["code"] == "code-used"
    assert set(wins) == set(codes)
    assert max(wins.values()) == 1
    stored = set((await db.scalars(select(Ballot.tracker))).all())
    assert stored == acknowledged
    used = await db.scalar(
        select(func.count()).select_from(VoterCode).where(VoterCode.status == "used")
    )
    assert used == len(stored) == CODES


async def test_close_racing_casts(db, staff, settings):
    round_id = await make_round(db)
    rng = random.Random(5)
    engine = create_engine(settings.database_url)

    async def close_midway() -> None:
        """Close once a third of the ballots are in, while the rest are in flight."""
        count = select(func.count()).select_from(Ballot)
        while True:
            async with sessionmaker(engine)() as session:
                if (await session.scalar(count) or 0) >= CODES // 3:
                    break
            await asyncio.sleep(0.002)
        async with sessionmaker(engine)() as session, session.begin():
            round_row = await session.get(Round, round_id, with_for_update=True)
            round_row.phase = "closed"
            round_row.closed_at = datetime.now(UTC)
            await session.flush()
            await close_round(session, round_row, FACILITATOR)

    async with serving(settings) as http:
        codes = await issue(http, staff["facilitator"], round_id, CODES)
        casts = [attempt(http, round_id, code, rng) for code in codes]
        *responses, _ = await asyncio.gather(*casts, close_midway())
    await engine.dispose()
    outcomes = Counter("ok" if r.status_code == 201 else r.json()["code"] for r in responses)
    assert set(outcomes) <= {"ok", "round-not-open"}, outcomes
    acknowledged = {r.json()["tracker"] for r in responses if r.status_code == 201}
    stored = set((await db.scalars(select(Ballot.tracker))).all())
    assert stored == acknowledged
    result = await db.get(RoundResult, round_id)
    assert result.ballots == len(acknowledged) == outcomes["ok"]
    used = await db.scalar(
        select(func.count()).select_from(VoterCode).where(VoterCode.status == "used")
    )
    assert used == len(acknowledged)
