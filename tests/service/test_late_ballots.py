"""A tablet offline for the whole round delivers its kept ballots afterwards: each is cast
if its code is still unused and its round still voting, and otherwise recorded as late and
reported to the facilitator (API, turnout, round page), never silently dropped. Refusals a
retry may cure leave the ballot on the tablet."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from service.db.models import AuditEvent, LateBallot
from service.voting.guesses import KEPT
from service.voting.late import REPORTS_PER_CODE
from service.web.tablets import delivery_ticket
from tests.support.app import SECRET
from tests.support.box import cast_count, cast_trackers
from tests.support.pages import deliver, enrol_tablet, kept, token_from
from tests.support.park import PARK
from tests.support.rounds import cast, issue, make_round, ranked

GUESSES = KEPT.burst.size
"""Unknown codes a tablet's deliveries may bring at once (their burst bucket)."""


async def ballots(db: Any) -> int:
    return await cast_count(db)


async def test_kept_ballots_with_unused_codes_are_cast(client, db, staff):
    round_id = await make_round(db)
    codes = await issue(client, staff["facilitator"], round_id, 2)
    ticket = await enrol_tablet(client, staff["facilitator"], round_id)
    first = kept(round_id, ticket, codes[0], PARK[2], PARK[0])
    answer = await deliver(client, first)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["accepted"] is True
    assert body["reason"] is None
    assert len(body["receipt"]["tracker"]) == 16
    again = await deliver(client, first)  # the answer was lost: same receipt, nothing new
    assert again.json()["accepted"] is True
    assert again.json()["receipt"]["tracker"] == body["receipt"]["tracker"]
    assert again.json()["receipt"]["replayed"] is True
    assert (await deliver(client, kept(round_id, ticket, codes[1]))).json()["accepted"] is True
    assert await ballots(db) == 2
    report = await client.get(f"/api/v1/rounds/{round_id}/late-ballots", headers=staff["admin"])
    assert report.json() == {"round_id": round_id, "total": 0, "by_reason": {}, "tablets": 0}


async def test_a_code_used_meanwhile_is_reported_once_not_dropped(client, db, staff):
    round_id = await make_round(db)
    [code] = await issue(client, staff["facilitator"], round_id, 1)
    assert (await cast(client, round_id, code, ranked(PARK[0]))).status_code == 201
    ticket = await enrol_tablet(client, staff["facilitator"], round_id)
    item = kept(round_id, ticket, code, PARK[1])
    answer = await deliver(client, item)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"accepted": False, "receipt": None, "reason": "code-used"}
    resent = await deliver(client, item)  # the tablet did not hear the answer: one report
    assert resent.json()["reason"] == "code-used"
    assert await ballots(db) == 1
    rows = (await db.execute(select(LateBallot))).scalars().all()
    assert [(r.round_id, r.reason) for r in rows] == [(round_id, "code-used")]
    report = await client.get(f"/api/v1/rounds/{round_id}/late-ballots", headers=staff["secretary"])
    assert report.json() == {
        "round_id": round_id,
        "total": 1,
        "by_reason": {"code-used": 1},
        "tablets": 1,
    }
    turnout = await client.get(f"/api/v1/rounds/{round_id}/turnout", headers=staff["admin"])
    assert turnout.json()["late_ballots"] == 1
    audit = await db.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "ballot.late")
    )
    assert audit == 1


async def test_every_final_refusal_is_reported_with_its_reason(client, db, staff):
    round_id = await make_round(db)
    codes = await issue(client, staff["facilitator"], round_id, 3)
    void = await client.post(
        f"/api/v1/rounds/{round_id}/codes/void",
        json={"code": codes[0], "reason": "slip lost"},
        headers=staff["facilitator"],
    )
    assert void.status_code == 200, void.text
    ticket = await enrol_tablet(client, staff["facilitator"], round_id)
    assert (await deliver(client, kept(round_id, ticket, codes[0]))).json()["reason"] == "code-void"
    assert (await deliver(client, kept(round_id, ticket, "ZZZZZ-ZZZZZ"))).json()["reason"] == (
        "code-unknown"
    )
    close = await client.post(
        f"/api/v1/rounds/{round_id}/phase", json={"to": "closed"}, headers=staff["admin"]
    )
    assert close.status_code == 200, close.text
    for code in codes[1:]:  # unused codes, but voting has closed
        answer = await deliver(client, kept(round_id, ticket, code))
        assert answer.json() == {"accepted": False, "receipt": None, "reason": "round-not-open"}
    assert await ballots(db) == 0
    report = await client.get(f"/api/v1/rounds/{round_id}/late-ballots", headers=staff["admin"])
    assert report.json()["by_reason"] == {
        "code-unknown": 1,
        "code-void": 1,
        "round-not-open": 2,
    }
    assert report.json()["total"] == 4


async def test_a_household_that_voted_meanwhile_is_reported(client, db, staff):
    round_id = await make_round(db, household_roll=True)
    slips = []
    for confirm in (False, True):  # the household lost its slip and was given a second one
        issued = await client.post(
            f"/api/v1/rounds/{round_id}/codes",
            json={"households": ["3号楼201"], "confirm": confirm},
            headers=staff["facilitator"],
        )
        assert issued.status_code == 201, issued.text
        slips += [c["code"] for c in issued.json()["codes"]]
    first, second = slips
    assert (await cast(client, round_id, first, ranked(PARK[0]))).status_code == 201
    ticket = await enrol_tablet(client, staff["facilitator"], round_id)
    answer = await deliver(client, kept(round_id, ticket, second))
    assert answer.json()["reason"] == "household-voted"
    assert await ballots(db) == 1


async def test_a_tablet_enrolled_since_for_another_round_delivers_to_the_kept_round(
    client, db, staff
):
    old_round = await make_round(db)
    code, other = await issue(client, staff["facilitator"], old_round, 2)
    ticket = await enrol_tablet(client, staff["facilitator"], old_round)
    item = kept(old_round, ticket, code)  # kept while offline ...
    new_round = await make_round(db)
    await enrol_tablet(client, staff["admin"], new_round)  # ... then enrolled elsewhere
    answer = await deliver(client, item)
    assert answer.json()["accepted"] is True
    assert len(await cast_trackers(db, old_round)) == 1
    assert await cast_count(db) == 1
    client.cookies.clear()  # an enrolment that has ended: the ticket is enough
    assert (await deliver(client, kept(old_round, ticket, other))).json()["accepted"] is True


async def test_retryable_refusals_are_errors_and_record_nothing(client, db, staff):
    round_id = await make_round(db)
    await issue(client, staff["facilitator"], round_id, GUESSES)  # room in the report
    ticket = await enrol_tablet(client, staff["facilitator"], round_id)
    # a tablet cycling wrong codes is locked out: 429 (kept on the tablet, retried later)
    headers = {"x-csrftoken": await token_from(client, "/kiosk")}
    answers = [
        await client.post(
            "/kiosk/queued", json=kept(round_id, ticket, f"ZZZZZ{n:05}"), headers=headers
        )
        for n in range(GUESSES + 2)
    ]
    statuses = [a.status_code for a in answers]
    assert 429 in statuses, statuses
    locked = answers[statuses.index(429)]
    assert locked.json()["code"] == "too-many-attempts"
    assert "retry-after" in locked.headers
    late_rows = await db.scalar(select(func.count()).select_from(LateBallot))
    assert late_rows == statuses.index(429)  # only the final refusals before the lock-out
    # the deliveries' lock-out is not the tablet's: the next resident's code still checks
    [code] = await issue(client, staff["admin"], round_id, 1)
    check = await client.post("/kiosk/code", json={"code": code}, headers=headers)
    assert check.status_code == 200, check.text


async def test_delivery_needs_the_rounds_ticket_and_a_valid_body(client, db, staff):
    round_id = await make_round(db)
    other_round = await make_round(db)
    [code] = await issue(client, staff["facilitator"], round_id, 1)
    ticket = await enrol_tablet(client, staff["facilitator"], round_id)
    forged = ticket[:-4] + ("AAAA" if not ticket.endswith("AAAA") else "BBBB")
    for bad_ticket, to_round in ((forged, round_id), (ticket, other_round)):
        refused = await deliver(client, kept(to_round, bad_ticket, code))
        assert refused.status_code == 403, refused.text
        assert refused.json()["code"] == "ticket-invalid"
    good = kept(round_id, ticket, code)
    for bad in ({**good, "round_id": 0}, {**good, "extra": 1}, {**good, "ticket": ""}):
        answer = await deliver(client, bad)
        assert answer.status_code == 400, answer.text
    gone = 10_000
    missing = await deliver(client, kept(gone, delivery_ticket(SECRET, gone, "x"), code))
    assert missing.status_code == 404  # an error: the tablet keeps it, nothing is recorded
    assert await db.scalar(select(func.count()).select_from(LateBallot)) == 0
    assert await ballots(db) == 0
    assert (await deliver(client, good)).json()["accepted"] is True


async def test_one_tablet_reports_at_most_twice_the_rounds_codes(client, db, staff):
    round_id = await make_round(db)
    [code] = await issue(client, staff["facilitator"], round_id, 1)
    ticket = await enrol_tablet(client, staff["facilitator"], round_id)
    close = await client.post(
        f"/api/v1/rounds/{round_id}/phase", json={"to": "closed"}, headers=staff["admin"]
    )
    assert close.status_code == 200, close.text
    for _ in range(REPORTS_PER_CODE + 3):  # a leaked ticket cannot flood the report
        answer = await deliver(client, kept(round_id, ticket, code))
        assert answer.json()["reason"] == "round-not-open"
    report = await client.get(f"/api/v1/rounds/{round_id}/late-ballots", headers=staff["admin"])
    assert report.json()["total"] == REPORTS_PER_CODE


async def test_the_round_page_tells_the_facilitator(client, db, staff):
    round_id = await make_round(db)
    [code] = await issue(client, staff["facilitator"], round_id, 1)
    page = await client.get(f"/console/rounds/{round_id}", headers=staff["facilitator"])
    assert 'id="late-ballots" data-total="0" hidden' in page.text  # shown when one arrives
    assert (await cast(client, round_id, code, ranked(PARK[0]))).status_code == 201
    ticket = await enrol_tablet(client, staff["facilitator"], round_id)
    await deliver(client, kept(round_id, ticket, code))
    client.cookies.clear()
    page = await client.get(f"/console/rounds/{round_id}", headers=staff["admin"])
    assert page.status_code == 200
    assert 'id="late-ballots" data-total="1"' in page.text
    assert 'data-reason="code-used"' in page.text
    assert "投票码在送达前已被使用" in page.text
    english = await client.get(f"/console/rounds/{round_id}?lang=en", headers=staff["admin"])
    assert "Its code had been used before it arrived" in english.text


async def test_the_record_says_nothing_of_the_ballot_or_the_code(client, db, staff):
    round_id = await make_round(db)
    [code] = await issue(client, staff["facilitator"], round_id, 1)
    assert (await cast(client, round_id, code, ranked(PARK[0]))).status_code == 201
    ticket = await enrol_tablet(client, staff["facilitator"], round_id)
    item = kept(round_id, ticket, code, PARK[4], PARK[5])
    await deliver(client, item)
    assert set(LateBallot.__table__.columns.keys()) == {
        "id",
        "round_id",
        "key_hash",
        "tablet",
        "reason",
        "reported_at",
    }
    row = (await db.execute(select(LateBallot))).scalar_one()
    stored = " ".join(str(value) for value in vars(row).values())
    for secret in (code, code.replace("-", ""), item["key"], PARK[4], PARK[5]):
        assert secret not in stored
