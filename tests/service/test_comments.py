"""Comments: recorded on a speaker's behalf during the comment phase, threaded replies,
hiding with the reason kept, and the per-option stance summary."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from service.db import models
from tests.support.audit import audit_actions
from tests.support.rounds import new_round, to_phase


@pytest.fixture
async def rid(client, staff, park):
    """A round over the first three park options, in its comment phase."""
    made = await new_round(client, staff["facilitator"], park.process, park.proposals[:3])
    assert (await to_phase(client, staff["facilitator"], made["id"], "commenting")).is_success
    return made["id"]


async def comment(client, headers, round_id, **fields):
    payload = {"stance": "support", "body": "孩子们需要地方玩", **fields}
    return await client.post(f"/api/v1/rounds/{round_id}/comments", json=payload, headers=headers)


async def test_record_reply_and_read_threaded_and_flat(client, staff, park, rid, db):
    head = staff["facilitator"]
    first = await comment(
        client, head, rid, speaker="王阿姨", proposal_id=park.proposals[0], prompt=0
    )
    assert first.status_code == 201, first.text
    top = first.json()
    assert top["speaker"] == "王阿姨"
    assert top["prompt_text"] == "这个方案好在哪里？"
    assert top["recorded_by"] == "facilitator 测试"
    assert top["hidden"] is False
    reply = await comment(
        client, staff["admin"], rid, stance="question", body="噪音怎么办？", parent_id=top["id"]
    )
    assert reply.status_code == 201, reply.text
    assert reply.json()["proposal_id"] == park.proposals[0]  # a reply is about its parent's option
    other = await comment(client, head, rid, stance="oppose", body="太贵了", prompt=1)
    assert other.status_code == 201

    threaded = await client.get(f"/api/v1/rounds/{rid}/comments", headers=staff["secretary"])
    assert threaded.status_code == 200
    tree = threaded.json()
    assert [c["id"] for c in tree] == [top["id"], other.json()["id"]]
    assert [r["body"] for r in tree[0]["replies"]] == ["噪音怎么办？"]
    flat = await client.get(
        f"/api/v1/rounds/{rid}/comments", params={"view": "flat"}, headers=staff["grid_worker"]
    )
    assert [(c["id"], c["parent_id"]) for c in flat.json()] == [
        (top["id"], None),
        (reply.json()["id"], top["id"]),
        (other.json()["id"], None),
    ]
    assert all(c["replies"] == [] for c in flat.json())
    assert await audit_actions(db, "comment", top["id"]) == ["comment.created"]


@pytest.mark.parametrize("phase", ["scheduled", "voting"])
async def test_comments_only_while_commenting(client, staff, park, phase):
    made = await new_round(client, staff["facilitator"], park.process, park.proposals[:3])
    if phase == "voting":
        assert (await to_phase(client, staff["facilitator"], made["id"], "voting")).is_success
    response = await comment(client, staff["facilitator"], made["id"])
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "not-commenting"
    assert f"is {phase}, not commenting" in body["message_en"]


async def test_wrong_roles(client, staff, rid):
    for role in ("secretary", "grid_worker"):
        response = await comment(client, staff[role], rid)
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden"
    assert (await comment(client, {}, rid)).status_code == 401
    made = (await comment(client, staff["facilitator"], rid)).json()
    hide = await client.post(
        f"/api/v1/comments/{made['id']}/hide", json={"reason": "x"}, headers=staff["secretary"]
    )
    assert hide.status_code == 403
    assert (await client.get(f"/api/v1/rounds/{rid}/comments")).status_code == 401


async def test_comment_refusals(client, staff, park, rid):
    head = staff["facilitator"]
    off_slate = await comment(client, head, rid, proposal_id=park.proposals[4])
    assert off_slate.status_code == 422
    assert (off_slate.json()["code"], off_slate.json()["field"]) == ("not-on-slate", "proposal_id")
    prompt = await comment(client, head, rid, prompt=3)
    assert prompt.status_code == 422
    assert (prompt.json()["code"], prompt.json()["field"]) == ("unknown-prompt", "prompt")
    blank = await comment(client, head, rid, body="   ")
    assert blank.status_code == 422
    assert blank.json()["field"] == "body"
    long = await comment(client, head, rid, body="长" * 2001)
    assert long.status_code == 400
    assert long.json()["field"] == "body"
    stance = await comment(client, head, rid, stance="angry")
    assert stance.status_code == 400
    assert stance.json()["field"] == "stance"
    missing = await comment(client, head, 9999)
    assert missing.status_code == 404


async def test_reply_must_answer_a_comment_of_the_same_round(client, staff, park, rid):
    head = staff["facilitator"]
    second = await new_round(client, head, park.process, park.proposals[:3], title="第二轮")
    assert (await to_phase(client, head, second["id"], "commenting")).is_success
    elsewhere = (await comment(client, head, second["id"])).json()
    response = await comment(client, head, rid, parent_id=elsewhere["id"])
    assert response.status_code == 422
    body = response.json()
    assert (body["code"], body["field"]) == ("parent-not-in-round", "parent_id")
    assert "a reply answers a comment of the same round" in body["message_en"]
    unknown = await comment(client, head, rid, parent_id=9999)
    assert unknown.status_code == 422


async def test_hide_keeps_text_and_reason(client, staff, rid, db):
    made = (await comment(client, staff["facilitator"], rid, body="骂人的话")).json()
    url = f"/api/v1/comments/{made['id']}/hide"
    no_reason = await client.post(url, json={}, headers=staff["facilitator"])
    assert no_reason.status_code == 400
    assert no_reason.json()["field"] == "reason"
    assert "reason" in no_reason.json()["message_en"]
    blank = await client.post(url, json={"reason": "  "}, headers=staff["facilitator"])
    assert blank.status_code == 422
    assert (blank.json()["code"], blank.json()["field"]) == ("empty-text", "reason")
    # the round may move on: hiding is still allowed while voting
    assert (await to_phase(client, staff["facilitator"], rid, "voting")).is_success
    hidden = await client.post(url, json={"reason": "人身攻击"}, headers=staff["admin"])
    assert hidden.status_code == 200, hidden.text
    assert hidden.json()["hidden"] is True
    assert hidden.json()["hidden_by"] == "admin 测试"
    again = await client.post(url, json={"reason": "再次"}, headers=staff["admin"])
    assert again.status_code == 409
    assert again.json()["code"] == "already-hidden"

    listed = (await client.get(f"/api/v1/rounds/{rid}/comments", headers=staff["secretary"])).json()
    assert listed[0]["hidden_reason"] == "人身攻击"
    assert listed[0]["body"] == "骂人的话"
    await db.rollback()
    row = await db.scalar(select(models.Comment).where(models.Comment.id == made["id"]))
    assert (row.body, row.hidden_reason) == ("骂人的话", "人身攻击")
    assert row.hidden_by is not None
    assert await audit_actions(db, "comment", made["id"]) == ["comment.created", "comment.hidden"]
    event = await db.scalar(
        select(models.AuditEvent).where(models.AuditEvent.action == "comment.hidden")
    )
    assert event.detail == {"reason": "人身攻击"}
    missing = await client.post(
        "/api/v1/comments/9999/hide", json={"reason": "x"}, headers=staff["admin"]
    )
    assert missing.status_code == 404


async def test_summary_counts_stances_per_option(client, staff, park, rid):
    head = staff["facilitator"]
    a, b = park.proposals[0], park.proposals[1]
    for fields in (
        {"proposal_id": a, "stance": "support"},
        {"proposal_id": a, "stance": "support"},
        {"proposal_id": a, "stance": "oppose"},
        {"proposal_id": b, "stance": "question"},
        {"stance": "neutral"},
    ):
        assert (await comment(client, head, rid, **fields)).status_code == 201
    abusive = (await comment(client, head, rid, proposal_id=b, stance="oppose")).json()
    await client.post(
        f"/api/v1/comments/{abusive['id']}/hide", json={"reason": "辱骂"}, headers=head
    )
    response = await client.get(
        f"/api/v1/rounds/{rid}/comments/summary", headers=staff["secretary"]
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["visible"], body["hidden"]) == (5, 1)
    counts = {
        (p["proposal_id"], p["name"], p["whole_round"]): p["counts"] for p in body["proposals"]
    }
    assert counts == {
        (a, "儿童游乐设施", False): {
            "support": 2,
            "oppose": 1,
            "neutral": 0,
            "question": 0,
            "total": 3,
        },
        (b, "健康监测站", False): {
            "support": 0,
            "oppose": 0,
            "neutral": 0,
            "question": 1,
            "total": 1,
        },
        (park.proposals[2], "文化墙", False): {
            "support": 0,
            "oppose": 0,
            "neutral": 0,
            "question": 0,
            "total": 0,
        },
        (None, "", True): {"support": 0, "oppose": 0, "neutral": 1, "question": 0, "total": 1},
    }
    assert body["proposals"][-1]["whole_round"] is True  # the general comments come last


async def test_comments_name_their_option_and_the_summary_keeps_every_row(client, staff, park, rid):
    """Each comment says which option it is about (none: the round as a whole); an option
    taken off the slate after it was commented on keeps its row, under its name, before the
    row of the general comments, which is there even when nobody spoke generally."""
    head = staff["facilitator"]
    a, b, c = park.proposals[:3]
    about_b = (await comment(client, head, rid, proposal_id=b, stance="oppose")).json()
    assert about_b["option"] == "健康监测站"
    general = (await comment(client, head, rid, stance="question")).json()
    assert (general["proposal_id"], general["option"]) == (None, None)
    slate = await client.put(
        f"/api/v1/rounds/{rid}/slate", json={"proposal_ids": [a, c]}, headers=head
    )
    assert slate.status_code == 200, slate.text
    listed = await client.get(f"/api/v1/rounds/{rid}/comments?view=flat", headers=head)
    assert [x["option"] for x in listed.json()] == ["健康监测站", None]  # off the slate now
    body = (await client.get(f"/api/v1/rounds/{rid}/comments/summary", headers=head)).json()
    rows = [(p["proposal_id"], p["name"], p["counts"]["total"]) for p in body["proposals"]]
    assert rows == [(a, "儿童游乐设施", 0), (c, "文化墙", 0), (b, "健康监测站", 1), (None, "", 1)]
    assert [p["whole_round"] for p in body["proposals"]] == [False, False, False, True]
