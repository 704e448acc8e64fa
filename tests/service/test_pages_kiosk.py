"""The tablet ballot through the test client: only an enrolled browser gets a ballot and
may cast; enrolling signs the facilitator out on the tablet; the code check and the cast
answer in the API's error shape; a retry with the same key gets the same receipt."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from service.auth.guard import token_hash
from service.db.models import ApiToken
from service.web.tablets import ENROLMENT_DAYS, enrolment_token, read_enrolment
from tests.support.app import SECRET
from tests.support.box import cast_count, cast_trackers
from tests.support.pages import enrol, kiosk_token, post_form
from tests.support.park import PARK
from tests.support.rounds import issue, make_round, ranked


async def test_an_unenrolled_browser_gets_no_ballot(client, db):
    await make_round(db)
    response = await client.get("/kiosk")
    assert response.status_code == 403
    assert "这台设备不是投票平板" in response.text
    assert 'class="option"' not in response.text
    assert "kiosk.js" not in response.text


async def test_an_unenrolled_browser_cannot_cast(client, db, staff):
    round_id = await make_round(db)
    [code] = await issue(client, staff["facilitator"], round_id, 1)
    headers = await kiosk_token(client)
    body = {"code": code, "key": uuid.uuid4().hex, "ballot": ranked(PARK[0])}
    response = await client.post("/kiosk/ballots", json=body, headers=headers)
    assert response.status_code == 403
    assert response.json()["code"] == "tablet-not-enrolled"
    client.cookies.set(
        "redbench_tablet", enrolment_token("another-secret", round_id), path="/kiosk"
    )
    forged = await client.post("/kiosk/ballots", json=body, headers=headers)
    assert forged.status_code == 403
    assert await cast_count(db) == 0


async def test_enrolment_shows_the_ballot_and_signs_the_facilitator_out(client, db, staff):
    round_id = await make_round(db)
    token = await enrol(client, staff["facilitator"], round_id)
    assert read_enrolment(SECRET, token).round_id == round_id
    revoked = await db.scalar(
        select(ApiToken.revoked_at).where(
            ApiToken.token_hash == token_hash("token-facilitator-user")
        )
    )
    assert revoked is not None
    assert "redbench_session" not in client.cookies
    page = await client.get("/kiosk")
    assert page.status_code == 200
    for name in PARK:
        assert f'data-name="{name}"' in page.text
    assert "请输入投票码" in page.text
    console = await client.get("/console", follow_redirects=False)
    assert console.status_code == 303  # nothing of the console left on the tablet


async def test_the_tablet_cookie_is_httponly_strict_and_kiosk_only(client, db, staff):
    round_id = await make_round(db)
    from tests.support.pages import use_session

    use_session(client, staff["facilitator"])
    response = await post_form(
        client, "/kiosk/enrol", {"round_id": round_id}, follow_redirects=False
    )
    cookie = next(c for c in response.headers.get_list("set-cookie") if "redbench_tablet" in c)
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert "Path=/kiosk" in cookie
    assert f"Max-Age={ENROLMENT_DAYS * 86400}" in cookie


async def test_only_a_voting_round_takes_tablets(client, db, staff):
    round_id = await make_round(db, phase="closed")
    from tests.support.pages import use_session

    use_session(client, staff["facilitator"])
    response = await post_form(client, "/kiosk/enrol", {"round_id": round_id})
    assert response.status_code == 422
    assert "只有正在投票的轮次才能启用投票平板" in response.text


async def test_the_enrol_page_lists_voting_rounds(client, db, staff):
    voting = await make_round(db)
    closed = await make_round(db, phase="closed")
    page = await client.get("/kiosk/enrol", headers=staff["facilitator"])
    assert f'id="enrol-{voting}"' in page.text
    assert f'id="enrol-{closed}"' not in page.text
    refused = await client.get("/kiosk/enrol", headers=staff["secretary"])
    assert refused.status_code == 403


async def test_casting_from_the_tablet_and_retrying(client, db, staff):
    round_id = await make_round(db)
    [code] = await issue(client, staff["facilitator"], round_id, 1)
    await enrol(client, staff["facilitator"], round_id)
    headers = await kiosk_token(client)
    check = await client.post("/kiosk/code", json={"code": code.lower()}, headers=headers)
    assert check.status_code == 200
    assert check.json() == {"ok": True}
    body = {"code": code, "key": uuid.uuid4().hex, "ballot": ranked(PARK[2], PARK[0])}
    first = await client.post("/kiosk/ballots", json=body, headers=headers)
    assert first.status_code == 201, first.text
    again = await client.post("/kiosk/ballots", json=body, headers=headers)
    assert again.status_code == 200
    assert again.json()["tracker"] == first.json()["tracker"]
    assert again.json()["replayed"]
    assert await cast_trackers(db) == [first.json()["tracker"]]
    used = await client.post("/kiosk/code", json={"code": code}, headers=headers)
    assert used.status_code == 409
    assert used.json()["code"] == "code-used"
    assert used.json()["message"] == "此投票码已经投过票，每个投票码只能使用一次"


async def test_the_tablet_casts_for_its_own_round_only(client, db, staff):
    enrolled = await make_round(db)
    other = await make_round(db)
    [code] = await issue(client, staff["facilitator"], other, 1)
    await enrol(client, staff["facilitator"], enrolled)
    headers = await kiosk_token(client)
    body = {"code": code, "key": uuid.uuid4().hex, "ballot": ranked(PARK[0])}
    response = await client.post("/kiosk/ballots", json=body, headers=headers)
    assert response.status_code == 404
    assert response.json()["code"] == "code-unknown"


@pytest.mark.parametrize(
    ("typed", "status", "code"),
    [("ZZZZZ-ZZZZZ", 404, "code-unknown"), ("not a code", 404, "code-unknown")],
)
async def test_code_check_refusals(client, db, staff, typed, status, code):
    round_id = await make_round(db)
    await enrol(client, staff["facilitator"], round_id)
    response = await client.post(
        "/kiosk/code", json={"code": typed}, headers=await kiosk_token(client)
    )
    assert response.status_code == status
    assert response.json()["code"] == code


async def test_a_void_code_is_refused_before_the_ballot(client, db, staff):
    round_id = await make_round(db)
    [code] = await issue(client, staff["facilitator"], round_id, 1)
    await client.post(
        f"/api/v1/rounds/{round_id}/codes/void",
        json={"code": code, "reason": "纸条丢失"},
        headers=staff["facilitator"],
    )
    await enrol(client, staff["facilitator"], round_id)
    response = await client.post(
        "/kiosk/code", json={"code": code}, headers=await kiosk_token(client)
    )
    assert response.status_code == 409
    assert response.json()["code"] == "code-void"


async def test_a_closed_round_shows_closed_and_refuses(client, db, staff):
    round_id = await make_round(db)
    [code] = await issue(client, staff["facilitator"], round_id, 1)
    await enrol(client, staff["facilitator"], round_id)
    headers = await kiosk_token(client)
    closed = await client.post(
        f"/api/v1/rounds/{round_id}/phase", json={"to": "closed"}, headers=staff["admin"]
    )
    assert closed.status_code == 200, closed.text
    page = await client.get("/kiosk")
    assert "本轮投票已结束" in page.text
    assert "kiosk.js" not in page.text
    check = await client.post("/kiosk/code", json={"code": code}, headers=headers)
    assert check.status_code == 409
    assert check.json()["code"] == "round-not-open"
    body = {"code": code, "key": uuid.uuid4().hex, "ballot": ranked(PARK[0])}
    cast = await client.post("/kiosk/ballots", json=body, headers=headers)
    assert cast.status_code == 409
    assert cast.json()["code"] == "round-not-open"


async def test_the_ballot_page_in_english(client, db, staff):
    round_id = await make_round(
        db, kind="budget", method="equal-shares", options={"budget": 100_000}
    )
    await enrol(client, staff["facilitator"], round_id)
    page = await client.get("/kiosk?lang=en")
    assert "Choose projects within the budget" in page.text
    assert '"lang": {"shown": "en", "start": "zh"}' in page.text  # a hand-over returns to zh
    assert "¥80,000" in page.text  # the play equipment's cost
    assert 'data-budget="10000000"' in page.text


def test_an_enrolment_token_is_signed_and_expires():
    token = enrolment_token(SECRET, 7, now=1_000_000)
    assert read_enrolment(SECRET, token, now=1_000_100).round_id == 7
    assert read_enrolment("other secret", token, now=1_000_100) is None
    tampered = token.replace("v1.7.", "v1.8.", 1)
    assert read_enrolment(SECRET, tampered, now=1_000_100) is None
    late = 1_000_000 + ENROLMENT_DAYS * 86400 + 1
    assert read_enrolment(SECRET, token, now=late) is None
    assert read_enrolment(SECRET, None) is None
    assert read_enrolment(SECRET, "garbage") is None
