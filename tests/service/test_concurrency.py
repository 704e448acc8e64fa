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
from service.db.models import Envelope, Proposal, Round, RoundResult, VoterCode
from service.db.session import create_engine, sessionmaker
from service.results.counting import close_round
from service.settings import Settings
from tests.support.app import SECRET
from tests.support.box import cast_trackers
from tests.support.park import PARK
from tests.support.rounds import FACILITATOR, make_round

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
    stored = set(await cast_trackers(db, round_id))
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
        count = select(func.count()).select_from(Envelope)
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
            await close_round(session, round_row, FACILITATOR, SECRET)

    async with serving(settings) as http:
        codes = await issue(http, staff["facilitator"], round_id, CODES)
        casts = [attempt(http, round_id, code, rng) for code in codes]
        *responses, _ = await asyncio.gather(*casts, close_midway())
    await engine.dispose()
    outcomes = Counter("ok" if r.status_code == 201 else r.json()["code"] for r in responses)
    assert set(outcomes) <= {"ok", "round-not-open"}, outcomes
    acknowledged = {r.json()["tracker"] for r in responses if r.status_code == 201}
    stored = set(await cast_trackers(db, round_id))
    assert stored == acknowledged
    result = await db.get(RoundResult, round_id)
    assert result.ballots == len(acknowledged) == outcomes["ok"]
    used = await db.scalar(
        select(func.count()).select_from(VoterCode).where(VoterCode.status == "used")
    )
    assert used == len(acknowledged)


async def test_rounds_created_at_the_same_moment_get_their_own_numbers(db, staff, settings):
    round_id = await make_round(db, phase="scheduled")
    process_id = await db.scalar(select(Round.process_id).where(Round.id == round_id))
    proposal_ids = list(
        (await db.scalars(select(Proposal.id).where(Proposal.process_id == process_id))).all()
    )
    await db.commit()
    body = {"title": "再议", "method": "irv", "ballot_kind": "ranked", "proposal_ids": proposal_ids}
    async with serving(settings) as http:
        answers = await asyncio.gather(
            *(
                http.post(
                    f"/api/v1/processes/{process_id}/rounds",
                    json={**body, "title": f"再议 {n}"},
                    headers=staff["facilitator"],
                )
                for n in range(6)
            )
        )
    assert [a.status_code for a in answers] == [201] * 6, [a.text for a in answers]
    numbers = sorted(a.json()["number"] for a in answers)
    assert numbers == [2, 3, 4, 5, 6, 7]


async def test_a_clash_no_check_could_see_is_a_409_not_a_500(db, staff, settings):
    # five admins create the same community at the same moment: each request checks that
    # the name is free before any of them has stored it; the database's unique constraint
    # stops all but one, and they hear a 409 that says to try again, not a 500
    async with serving(settings) as http:
        answers = await asyncio.gather(
            *(
                http.post("/api/v1/communities", json={"name": "同名社区"}, headers=staff["admin"])
                for _ in range(5)
            )
        )
    statuses = Counter(a.status_code for a in answers)
    assert statuses[201] == 1, [a.text for a in answers]
    assert statuses[201] + statuses[409] == 5, [a.text for a in answers]
    for answer in answers:
        if answer.status_code == 409:
            assert answer.json()["code"] in ("conflict", "concurrent-change")
