"""Guessing codes on one tablet locks out that tablet only: the resident on the next tablet
(same network, same address) votes as usual."""

from __future__ import annotations

import uuid

from service.voting.guesses import Bucket, Budget
from service.web.tablets import TABLET_COOKIE, enrolment_token
from tests.support.app import SECRET
from tests.support.pages import enrol, token_from
from tests.support.park import PARK
from tests.support.rounds import issue, make_round, ranked


async def test_a_guessing_tablet_does_not_lock_out_the_next_one(client, db, staff):
    client.app.state.lockouts.budget = Budget(burst=Bucket(size=3, refill=60))
    round_id = await make_round(db)
    [code] = await issue(client, staff["facilitator"], round_id, 1)
    await enrol(client, staff["facilitator"], round_id)  # tablet A
    headers = {"x-csrftoken": await token_from(client, "/kiosk")}
    for _ in range(3):
        wrong = await client.post("/kiosk/code", json={"code": "ZZZZZ-ZZZZZ"}, headers=headers)
        assert wrong.status_code == 404
    locked = await client.post("/kiosk/code", json={"code": code}, headers=headers)
    assert locked.status_code == 429  # even a good code waits on the guessing tablet
    assert locked.json()["code"] == "too-many-attempts"

    # tablet B: another enrolment for the same round, from the same address
    client.cookies.set(TABLET_COOKIE, enrolment_token(SECRET, round_id), path="/kiosk")
    assert (await client.post("/kiosk/code", json={"code": code}, headers=headers)).json() == {
        "ok": True
    }
    body = {"code": code, "key": uuid.uuid4().hex, "ballot": ranked(PARK[1])}
    cast = await client.post("/kiosk/ballots", json=body, headers=headers)
    assert cast.status_code == 201, cast.text
