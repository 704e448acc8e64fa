"""The facilitator is told when a round sees unusual guessing — many unknown codes across
devices in ten minutes, or a device out of guesses — in the turnout API and on the round
page, in Chinese first; ordinary typing mistakes say nothing."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from service.db.session import create_engine, sessionmaker
from service.settings import Settings
from service.voting import guess_alert
from service.voting.guess_ledger import charge
from service.voting.guesses import Budget
from tests.support.park import PARK
from tests.support.rounds import cast, issue, make_round, ranked


@pytest.fixture
async def maker(settings: Settings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(settings.database_url)
    yield sessionmaker(engine)
    await engine.dispose()


def test_unusual_grows_with_the_round_but_never_below_twenty() -> None:
    assert guess_alert.threshold(20) == 20  # a bench of 20 residents
    assert guess_alert.threshold(100) == 20
    assert guess_alert.threshold(500) == 100  # a square of 500
    assert guess_alert.MINUTES == 10


async def test_typing_mistakes_across_tablets_are_not_unusual(maker, db) -> None:
    round_id = await make_round(db)
    now = time.time()
    for tablet in range(19):  # 19 residents each mistyped once, on 19 tablets
        await charge(maker, Budget(), f"tablet-{tablet}", round_id, now)
    seen = await guess_alert.guessing(db, round_id, codes_issued=60, now=now)
    assert (seen.unusual, seen.unknown_codes, seen.devices_locked) == (False, 19, 0)
    await charge(maker, Budget(), "tablet-19", round_id, now)  # the twentieth in ten minutes
    seen = await guess_alert.guessing(db, round_id, codes_issued=60, now=now)
    assert (seen.unusual, seen.unknown_codes, seen.threshold) == (True, 20, 20)
    # a round of 500 codes expects more mistakes at its opening rush
    assert not (await guess_alert.guessing(db, round_id, codes_issued=500, now=now)).unusual
    # ten minutes later they are history
    later = await guess_alert.guessing(db, round_id, codes_issued=60, now=now + 601)
    assert (later.unusual, later.unknown_codes) == (False, 0)
    other = await make_round(db)
    assert (await guess_alert.guessing(db, other, codes_issued=60, now=now)).unknown_codes == 0


async def test_a_device_out_of_guesses_is_unusual_by_itself(maker, db) -> None:
    round_id = await make_round(db)
    now = time.time()
    for _ in range(10):
        await charge(maker, Budget(), "tablet-3", round_id, now)
    seen = await guess_alert.guessing(db, round_id, codes_issued=500, now=now)
    assert (seen.unusual, seen.unknown_codes, seen.devices_locked) == (True, 10, 1)
    # its lockout ended a minute later; ten minutes after that it is no longer news
    assert (await guess_alert.guessing(db, round_id, 500, now=now + 600)).devices_locked == 1
    assert (await guess_alert.guessing(db, round_id, 500, now=now + 661)).devices_locked == 0


async def test_the_turnout_and_the_round_page_say_so(client, db, staff) -> None:
    round_id = await make_round(db)
    [code] = await issue(client, staff["facilitator"], round_id, 1)
    turnout = await client.get(f"/api/v1/rounds/{round_id}/turnout", headers=staff["secretary"])
    assert turnout.json()["guessing"] == {
        "unusual": False,
        "unknown_codes": 0,
        "threshold": 20,
        "devices_locked": 0,
        "minutes": 10,
    }
    page = await client.get(f"/console/rounds/{round_id}", headers=staff["facilitator"])
    assert 'id="guessing" data-unusual="no" hidden' in page.text  # shown if it happens
    for n in range(10):  # someone at the API tries codes until this address is locked out
        wrong = await cast(client, round_id, f"ZZZZZ-ZZZ{n:02}", ranked(PARK[0]))
        assert wrong.status_code == 404
    assert (await cast(client, round_id, code, ranked(PARK[0]))).status_code == 429
    turnout = await client.get(f"/api/v1/rounds/{round_id}/turnout", headers=staff["secretary"])
    seen = turnout.json()["guessing"]
    assert (seen["unusual"], seen["unknown_codes"], seen["devices_locked"]) == (True, 10, 1)
    page = await client.get(f"/console/rounds/{round_id}", headers=staff["facilitator"])
    assert 'id="guessing" data-unusual="yes">' in page.text
    assert "可能有人在猜投票码" in page.text
    assert "有 1 台设备因为连续输错投票码被暂停输入" in page.text
    english = await client.get(f"/console/rounds/{round_id}?lang=en", headers=staff["admin"])
    assert "Someone may be guessing voter codes" in english.text
    polled = await client.get(f"/console/rounds/{round_id}/turnout", headers=staff["admin"])
    assert polled.json()["guessing"]["unusual"] is True  # what the page's script polls


async def test_the_api_schema_documents_the_field(client) -> None:
    document = (await client.get("/api/v1/schema/openapi.json")).json()
    schemas = document["components"]["schemas"]
    answer = document["paths"]["/api/v1/rounds/{round_id}/turnout"]["get"]["responses"]["200"]
    turnout = answer["content"]["application/json"]["schema"]["$ref"].rpartition("/")[2]
    assert "guessing" in schemas[turnout]["required"]
    fields = schemas["Guessing"]["properties"]
    assert set(fields) == {"unusual", "unknown_codes", "threshold", "devices_locked", "minutes"}
    assert all(field.get("description") for field in fields.values())
