"""The tablet's code step on every database: a code is refused *before* the ballot for
each reason a cast would refuse it — unknown, void, used, or its household has already voted
— with the same answer the cast would give and nothing more (no household named); unknown
codes count against the tablet's guesses and the other refusals do not; the check changes
nothing; only an enrolled tablet may ask, with the page's form token."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from service.db.models import VoterCode
from service.voting.codes import code_hash, normalize_code
from tests.support.app import SECRET
from tests.support.households import household_codes, household_voted
from tests.support.pages import enrol, kiosk_token, use_session
from tests.support.park import PARK
from tests.support.rounds import issue, make_round, ranked

FLAT = "3栋2单元501"
NEIGHBOUR = "3栋2单元502"


async def status_of(db, round_id: int, code: str) -> str:
    canonical = normalize_code(code)
    assert canonical is not None
    db.expire_all()
    found = await db.scalar(
        select(VoterCode.status).where(
            VoterCode.round_id == round_id, VoterCode.code_hash == code_hash(SECRET, canonical)
        )
    )
    return str(found)


async def cast_on_tablet(client, headers, code: str) -> dict:
    body = {"code": code, "key": uuid.uuid4().hex, "ballot": ranked(PARK[0], PARK[1])}
    response = await client.post("/kiosk/ballots", json=body, headers=headers)
    return {"status": response.status_code, **response.json()}


async def check(client, headers, code: str) -> dict:
    response = await client.post("/kiosk/code", json={"code": code}, headers=headers)
    return {"status": response.status_code, **response.json()}


async def test_a_household_that_voted_is_told_at_the_code_step(client, db, staff):
    round_id = await make_round(db, household_roll=True)
    first, second, neighbour = await household_codes(db, SECRET, round_id, [FLAT, FLAT, NEIGHBOUR])
    await enrol(client, staff["facilitator"], round_id)
    headers = await kiosk_token(client)
    assert await check(client, headers, second) == {"status": 200, "ok": True}
    assert (await cast_on_tablet(client, headers, first))["status"] == 201

    refused = await client.post("/kiosk/code", json={"code": second}, headers=headers)
    assert refused.status_code == 409
    body = refused.json()
    assert body["code"] == "household-voted"
    assert body["message"] == "该户在本轮已经投过票（每户一票）"
    assert FLAT not in refused.text  # no household named
    assert "501" not in refused.text
    assert await check(client, headers, neighbour) == {"status": 200, "ok": True}

    # the check changed nothing: the code is unused, and the cast refuses it the same way
    assert await status_of(db, round_id, second) == "issued"
    assert not await household_voted(db, round_id, NEIGHBOUR)
    cast = await cast_on_tablet(client, headers, second)
    assert (cast["status"], cast["code"]) == (409, "household-voted")
    assert await status_of(db, round_id, second) == "issued"


@pytest.mark.parametrize("reason", ["unknown", "malformed", "void", "used", "household"])
async def test_the_code_step_answers_as_the_cast_would(client, db, staff, reason):
    round_id = await make_round(db, household_roll=True)
    used, spare, other = await household_codes(db, SECRET, round_id, [FLAT, FLAT, NEIGHBOUR])
    if reason == "void":  # before enrolling: that signs the facilitator out
        voided = await client.post(
            f"/api/v1/rounds/{round_id}/codes/void",
            json={"code": other, "reason": "纸条丢失"},
            headers=staff["facilitator"],
        )
        assert voided.status_code == 200, voided.text
    await enrol(client, staff["facilitator"], round_id)
    headers = await kiosk_token(client)
    assert (await cast_on_tablet(client, headers, used))["status"] == 201
    typed = {
        "unknown": "ZZZZZ-ZZZZZ",
        "malformed": "not a code",
        "void": other,
        "used": used,
        "household": spare,
    }[reason]
    expected = {
        "unknown": (404, "code-unknown"),
        "malformed": (404, "code-unknown"),
        "void": (409, "code-void"),
        "used": (409, "code-used"),
        "household": (409, "household-voted"),
    }[reason]
    asked = await check(client, headers, typed)
    cast = await cast_on_tablet(client, headers, typed)
    assert (asked["status"], asked["code"]) == expected
    assert {k: asked[k] for k in ("status", "code", "message", "field")} == {
        k: cast[k] for k in ("status", "code", "message", "field")
    }


async def test_unknown_codes_count_against_the_tablet_and_other_refusals_do_not(client, db, staff):
    round_id = await make_round(db, household_roll=True)
    used, spare, fresh = await household_codes(db, SECRET, round_id, [FLAT, FLAT, NEIGHBOUR])
    await enrol(client, staff["facilitator"], round_id)
    headers = await kiosk_token(client)
    assert (await cast_on_tablet(client, headers, used))["status"] == 201
    for _ in range(15):  # a resident trying the second slip again and again, and the first
        assert (await check(client, headers, spare))["code"] == "household-voted"
        assert (await check(client, headers, used))["code"] == "code-used"
    assert await check(client, headers, fresh) == {"status": 200, "ok": True}
    for n in range(10):  # ten unknown codes spend the tablet's burst of guesses ...
        assert (await check(client, headers, f"ZZZZZ-ZZZ{n:02}"))["code"] == "code-unknown"
    locked = await client.post("/kiosk/code", json={"code": fresh}, headers=headers)
    assert locked.status_code == 429  # ... so even a good code waits now
    assert locked.json()["code"] == "too-many-attempts"
    assert "retry-after" in locked.headers
    assert await status_of(db, round_id, fresh) == "issued"


async def test_only_an_enrolled_tablet_with_the_form_token_may_ask(client, db, staff):
    round_id = await make_round(db)
    [code] = await issue(client, staff["facilitator"], round_id, 1)
    headers = await kiosk_token(client)
    stranger = await client.post("/kiosk/code", json={"code": code}, headers=headers)
    assert (stranger.status_code, stranger.json()["code"]) == (403, "tablet-not-enrolled")
    use_session(client, staff["facilitator"])  # a facilitator's browser is no tablet either
    signed_in = await client.post("/kiosk/code", json={"code": code}, headers=headers)
    assert (signed_in.status_code, signed_in.json()["code"]) == (403, "tablet-not-enrolled")
    await enrol(client, staff["facilitator"], round_id)
    no_token = await client.post("/kiosk/code", json={"code": code})
    assert no_token.status_code == 403  # the form token is checked before anything else
    assert '"ok"' not in no_token.text
    assert await check(client, await kiosk_token(client), code) == {"status": 200, "ok": True}
