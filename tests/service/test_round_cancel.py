"""Cancelling a round set up by mistake, on every database: with a reason, before its
voting opens, over the API and from the console; it then leaves the board, its unused
codes are voided, the audit log keeps the reason and nothing more can be done to it; once
voting has opened it is refused with a message in both languages."""

from __future__ import annotations

from sqlalchemy import select

from service.db import models
from tests.support.audit import audit_actions
from tests.support.pages import post_form, token_from, use_session
from tests.support.rounds import new_round, pocket_park, to_phase


async def cancel(client, headers, round_id, reason="建错了：应为预算投票", **kwargs):
    return await client.post(
        f"/api/v1/rounds/{round_id}/cancel", json={"reason": reason}, headers=headers, **kwargs
    )


async def test_a_round_is_cancelled_with_its_reason_before_voting(client, staff, db):
    park = await pocket_park(db)
    facilitator = staff["facilitator"]
    kept = await new_round(client, facilitator, park.process, park.proposals[:3], title="设施排序")
    mistake = await new_round(client, facilitator, park.process, park.proposals, title="第2轮")
    await to_phase(client, facilitator, mistake["id"], "commenting")
    issued = await client.post(
        f"/api/v1/rounds/{mistake['id']}/codes", json={"count": 3}, headers=facilitator
    )
    assert issued.status_code == 201, issued.text

    response = await cancel(client, facilitator, mistake["id"], "  建错了：应为预算投票 ")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["phase"] == "cancelled"
    assert body["cancel_reason"] == "建错了：应为预算投票"
    assert body["cancelled_at"] is not None
    assert body["issues_before_freeze"] == []

    # the audit log keeps the reason and what it did to the codes
    assert (await audit_actions(db, "round", mistake["id"]))[-1] == "round.cancelled"
    event = await db.scalar(
        select(models.AuditEvent).where(models.AuditEvent.action == "round.cancelled")
    )
    assert event is not None
    assert event.detail == {
        "previous": "commenting",
        "reason": "建错了：应为预算投票",
        "codes_voided": 3,
    }
    statuses = (
        await db.scalars(
            select(models.VoterCode.status).where(models.VoterCode.round_id == mistake["id"])
        )
    ).all()
    assert statuses == ["void"] * 3

    # its number stays its own: the next round is round 3
    after = await new_round(client, facilitator, park.process, park.proposals[:2], title="预算")
    assert after["number"] == 3
    assert kept["number"] == 1


async def test_a_cancelled_round_leaves_the_board_and_refuses_everything(client, staff, db):
    park = await pocket_park(db)
    facilitator = staff["facilitator"]
    await new_round(client, facilitator, park.process, park.proposals[:3], title="设施排序")
    mistake = await new_round(client, facilitator, park.process, park.proposals, title="建错的轮次")
    rid = mistake["id"]
    community = await db.scalar(select(models.Process.community_id))

    board = await client.get(f"/board/communities/{community}")
    assert "建错的轮次" in board.text
    assert (await cancel(client, facilitator, rid)).status_code == 200
    board = await client.get(f"/board/communities/{community}")
    assert board.status_code == 200
    assert "建错的轮次" not in board.text
    assert "第1轮：设施排序" in board.text
    assert (await client.get(f"/board/rounds/{rid}")).status_code == 409  # no result, ever
    api_board = await client.get(f"/api/v1/communities/{community}/board")
    assert "建错的轮次" not in api_board.text

    # nothing more is done to it, and the refusal says why in both languages
    refusals = [
        await to_phase(client, facilitator, rid, "voting"),
        await client.patch(f"/api/v1/rounds/{rid}", json={"title": "改"}, headers=facilitator),
        await client.put(
            f"/api/v1/rounds/{rid}/slate", json={"proposal_ids": []}, headers=facilitator
        ),
        await client.post(f"/api/v1/rounds/{rid}/codes", json={"count": 1}, headers=facilitator),
        await cancel(client, facilitator, rid, "再取消一次"),
    ]
    for refused in refusals:
        assert refused.status_code == 409, refused.text
        body = refused.json()
        assert body["code"] == "round-cancelled"
        assert body["message_zh"].startswith("第2轮已于 20")  # China's time, in words
        assert "UTC" not in body["message_zh"]
        assert "建错了：应为预算投票" in body["message_zh"]
        assert "set up a new round instead" in body["message_en"]


async def test_a_round_cannot_be_cancelled_once_voting_has_opened(client, staff, db):
    park = await pocket_park(db)
    facilitator = staff["facilitator"]
    voting = await new_round(client, facilitator, park.process, park.proposals[:3])
    assert (await to_phase(client, facilitator, voting["id"], "voting")).status_code == 200

    refused = await cancel(client, facilitator, voting["id"])
    assert refused.status_code == 409
    body = refused.json()
    assert body["code"] == "round-frozen"
    assert body["message_en"].startswith("voting in round 1 opened at ")
    assert body["message_en"].endswith(
        ": a round that has opened voting cannot be cancelled; close its voting, and its "
        "count stays in the record"
    )
    assert body["message_zh"].startswith("第1轮已于 20")
    assert "UTC" not in body["message_zh"]
    assert "开始投票，不能再取消" in body["message_zh"]
    assert body["message"] == body["message_zh"]  # Chinese first
    english = await cancel(client, {**facilitator, "Accept-Language": "en"}, voting["id"])
    assert english.json()["message"] == body["message_en"]
    await db.rollback()
    row = await db.get(models.Round, voting["id"])
    assert row is not None
    assert (row.phase, row.cancelled_at, row.cancel_reason) == ("voting", None, None)


async def test_cancelling_needs_a_reason(client, staff, db):
    park = await pocket_park(db)
    facilitator = staff["facilitator"]
    made = await new_round(client, facilitator, park.process, park.proposals[:3])
    for reason in ("", "   ", "\u200b"):
        refused = await cancel(client, facilitator, made["id"], reason)
        assert refused.status_code in (400, 422), refused.text
        assert refused.json()["field"] == "reason"
    missing = await client.post(f"/api/v1/rounds/{made['id']}/cancel", json={}, headers=facilitator)
    assert missing.status_code == 400
    assert (await client.get(f"/api/v1/rounds/{made['id']}", headers=facilitator)).json()[
        "phase"
    ] == "scheduled"


async def test_the_console_cancels_a_round_and_lists_it_as_cancelled(client, staff, db):
    park = await pocket_park(db)
    facilitator = staff["facilitator"]
    made = await new_round(client, facilitator, park.process, park.proposals[:3], title="第1轮")
    use_session(client, facilitator)
    page = await client.get(f"/console/rounds/{made['id']}")
    assert 'action="/console/rounds/{}/cancel"'.format(made["id"]) in page.text
    assert "取消本轮" in page.text

    token = await token_from(client, f"/console/rounds/{made['id']}")
    empty = await post_form(client, f"/console/rounds/{made['id']}/cancel", {}, token=token)
    assert empty.status_code == 422  # a reason is needed

    done = await post_form(
        client,
        f"/console/rounds/{made['id']}/cancel",
        {"reason": "方案还没定，先不开这一轮"},
        token=token,
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    assert done.headers["location"] == f"/console/processes/{park.process}#rounds-title"
    listing = await client.get(f"/console/processes/{park.process}")
    assert "第1轮</a>" in listing.text  # the default name is not said twice
    assert "已取消" in listing.text
    assert "方案还没定，先不开这一轮" in listing.text
    again = await client.get(f"/console/rounds/{made['id']}")
    assert 'id="cancelled"' in again.text
    assert 'id="cancel-round"' not in again.text
    assert 'id="to-voting"' not in again.text


async def test_the_console_offers_no_cancelling_once_voting_opened(client, staff, db):
    park = await pocket_park(db)
    facilitator = staff["facilitator"]
    made = await new_round(client, facilitator, park.process, park.proposals[:3])
    await to_phase(client, facilitator, made["id"], "voting")
    use_session(client, facilitator)
    page = await client.get(f"/console/rounds/{made['id']}")
    assert 'id="cancel-round"' not in page.text
    refused = await post_form(
        client, f"/console/rounds/{made['id']}/cancel", {"reason": "晚了"}, follow_redirects=False
    )
    assert refused.status_code == 409
    assert "不能再取消" in refused.text
