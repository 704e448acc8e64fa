"""Processes (议题): creating, reading, and moving through their lifecycle, on every database."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from service.db.base import utcnow
from service.db.models import AuditEvent, Community, Process, Round
from tests.support.audit import audit

PARK = {"title": "口袋公园建设方案", "question": "闲置角落建什么样的口袋公园？"}


@pytest.fixture
async def community(db) -> int:
    row = Community(name="杜集社区")
    db.add(row)
    await db.commit()
    return row.id


@pytest.fixture
async def process(client, staff, community) -> int:
    response = await client.post(
        f"/api/v1/communities/{community}/processes", json=PARK, headers=staff["facilitator"]
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def move(client, headers, process_id, to, reason=None):
    body = {"to": to} if reason is None else {"to": to, "reason": reason}
    return await client.post(f"/api/v1/processes/{process_id}/phase", json=body, headers=headers)


async def publish_a_round(db, process_id: int, number: int = 1) -> None:
    now = utcnow()
    db.add(
        Round(
            process_id=process_id,
            number=number,
            phase="published",
            voting_at=now,
            closed_at=now,
            published_at=now,
        )
    )
    await db.commit()


async def test_facilitator_opens_a_process_and_it_is_audited(client, staff, community, db):
    response = await client.post(
        f"/api/v1/communities/{community}/processes", json=PARK, headers=staff["facilitator"]
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["title"] == "口袋公园建设方案"
    assert body["question"] == PARK["question"]
    assert body["phase"] == "collecting"
    assert body["community_id"] == community
    assert body["deliberating_at"] is None
    events = await audit(db, "process.created")
    assert [(e.entity, e.entity_id, e.detail) for e in events] == [
        ("process", body["id"], {"community_id": community})
    ]


@pytest.mark.parametrize("role", ["secretary", "admin"])
async def test_secretary_and_admin_open_processes(client, staff, community, role):
    response = await client.post(
        f"/api/v1/communities/{community}/processes", json=PARK, headers=staff[role]
    )
    assert response.status_code == 201, response.text


async def test_grid_worker_and_residents_cannot_open_a_process(client, staff, community):
    url = f"/api/v1/communities/{community}/processes"
    response = await client.post(url, json=PARK, headers=staff["grid_worker"])
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    anonymous = await client.post(url, json=PARK)
    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == "not-signed-in"


async def test_process_needs_an_existing_community_and_a_title(client, staff, community):
    missing = await client.post(
        "/api/v1/communities/999/processes", json=PARK, headers=staff["facilitator"]
    )
    assert missing.status_code == 404
    assert missing.json()["message_en"] == "there is no community 999"
    untitled = await client.post(
        f"/api/v1/communities/{community}/processes",
        json={"title": "", "question": "?"},
        headers=staff["facilitator"],
    )
    assert untitled.status_code == 400
    assert untitled.json()["field"] == "title"
    extra = await client.post(
        f"/api/v1/communities/{community}/processes",
        json={**PARK, "budget": 5},
        headers=staff["facilitator"],
    )
    assert extra.status_code == 400
    assert extra.json()["code"] == "invalid-request"


async def test_every_staff_role_lists_a_communitys_processes(client, staff, community, db):
    other = Community(name="另一个社区")
    db.add(other)
    await db.commit()
    for community_id, title in [
        (community, "口袋公园"),
        (other.id, "停车难"),
        (community, "防溺水"),
    ]:
        response = await client.post(
            f"/api/v1/communities/{community_id}/processes",
            json={"title": title},
            headers=staff["admin"],
        )
        assert response.status_code == 201
    for role in ("admin", "facilitator", "secretary", "grid_worker"):
        response = await client.get(
            f"/api/v1/communities/{community}/processes", headers=staff[role]
        )
        assert response.status_code == 200
        assert [p["title"] for p in response.json()] == ["口袋公园", "防溺水"]
    assert (await client.get(f"/api/v1/communities/{community}/processes")).status_code == 401
    missing = await client.get("/api/v1/communities/999/processes", headers=staff["secretary"])
    assert missing.status_code == 404


async def test_process_detail_lists_proposals_and_rounds(client, staff, process, db):
    for title in ("儿童游乐设施", "健康监测站"):
        response = await client.post(
            f"/api/v1/processes/{process}/proposals",
            json={"title": title},
            headers=staff["facilitator"],
        )
        assert response.status_code == 201, response.text
    db.add(Round(process_id=process, number=1, phase="commenting"))
    await db.commit()
    response = await client.get(f"/api/v1/processes/{process}", headers=staff["grid_worker"])
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["title"] == "口袋公园建设方案"
    assert [(p["title"], p["status"], p["version"]) for p in body["proposals"]] == [
        ("儿童游乐设施", "active", 1),
        ("健康监测站", "active", 1),
    ]
    assert [(r["number"], r["phase"]) for r in body["rounds"]] == [(1, "commenting")]
    assert isinstance(body["rounds"][0]["id"], int)
    missing = await client.get("/api/v1/processes/999", headers=staff["grid_worker"])
    assert missing.status_code == 404
    assert missing.json()["message_zh"] == "没有编号为 999 的议题"


async def test_facilitator_starts_deliberation_with_timestamp_and_audit(client, staff, process, db):
    response = await move(client, staff["facilitator"], process, "deliberating", "第一次议事会")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["phase"] == "deliberating"
    assert body["deliberating_at"] is not None
    assert body["decided_at"] is None
    events = await audit(db, "process.deliberating")
    assert [(e.entity_id, e.detail) for e in events] == [
        (process, {"previous": "collecting", "reason": "第一次议事会"})
    ]


async def test_secretary_cannot_start_deliberation(client, staff, process):
    response = await move(client, staff["secretary"], process, "deliberating")
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert "may not move a process to deliberating" in response.json()["message_en"]
    grid_worker = await move(client, staff["grid_worker"], process, "deliberating")
    assert grid_worker.status_code == 403


async def test_engine_refusal_comes_back_as_409_with_its_reason(client, staff, process):
    response = await move(client, staff["facilitator"], process, "decided")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "transition-refused"
    assert body["message_en"] == "cannot go from collecting to decided: no round has been held yet"
    again = await move(client, staff["facilitator"], process, "collecting")
    assert again.status_code == 409
    assert again.json()["message_en"] == "already collecting"


async def test_deciding_needs_a_published_round(client, staff, process, db):
    assert (await move(client, staff["facilitator"], process, "deliberating")).status_code == 200
    db.add(Round(process_id=process, number=1, phase="voting", voting_at=utcnow()))
    await db.commit()
    refused = await move(client, staff["facilitator"], process, "decided")
    assert refused.status_code == 409
    body = refused.json()
    assert body["code"] == "transition-refused"
    assert "no round of process" in body["message_en"]
    assert "has a published result yet" in body["message_en"]
    assert "公布" in body["message_zh"]
    await publish_a_round(db, process, number=2)
    decided = await move(client, staff["facilitator"], process, "decided")
    assert decided.status_code == 200, decided.text
    assert decided.json()["decided_at"] is not None


async def test_withdrawing_needs_a_reason_and_keeps_it(client, staff, process, db):
    refused = await move(client, staff["facilitator"], process, "withdrawn")
    assert refused.status_code == 409
    assert refused.json()["message_en"] == (
        "going from collecting to withdrawn needs a written reason"
    )
    blank = await move(client, staff["facilitator"], process, "withdrawn", "   ")
    assert blank.status_code == 422  # refused with the body, before the phase is looked at
    assert (blank.json()["code"], blank.json()["field"]) == ("empty-text", "reason")
    withdrawn = await move(client, staff["admin"], process, "withdrawn", "与街道项目重复")
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["withdrawn_reason"] == "与街道项目重复"
    events = await audit(db, "process.withdrawn")
    assert events[0].detail == {"previous": "collecting", "reason": "与街道项目重复"}
    final = await move(client, staff["facilitator"], process, "deliberating")
    assert final.status_code == 409
    assert final.json()["message_en"] == (
        "cannot go from withdrawn to deliberating: the process was withdrawn"
    )


async def test_secretary_carries_it_through_and_closing_needs_the_close_out(
    client, staff, process, db
):
    await publish_a_round(db, process)
    assert (await move(client, staff["facilitator"], process, "deliberating")).status_code == 200
    assert (await move(client, staff["facilitator"], process, "decided")).status_code == 200
    facilitator = await move(client, staff["facilitator"], process, "implementing")
    assert facilitator.status_code == 403
    assert "allowed: secretary, admin" in facilitator.json()["message_en"]
    for to in ("implementing", "feedback"):
        response = await move(client, staff["secretary"], process, to)
        assert response.status_code == 200, response.text
    # 销号 is the secretary's close-out with a sign-off note (tests/service/test_loop.py),
    # never a bare phase change
    bare = await move(client, staff["secretary"], process, "closed")
    assert bare.status_code == 409
    assert bare.json()["code"] == "close-out-required"
    assert "close-out" in bare.json()["message_en"]
    moves = (
        await db.scalars(
            select(AuditEvent)
            .where(AuditEvent.entity == "process", AuditEvent.action != "process.created")
            .order_by(AuditEvent.id)
        )
    ).all()
    assert [(e.action, e.detail["previous"]) for e in moves] == [
        ("process.deliberating", "collecting"),
        ("process.decided", "deliberating"),
        ("process.implementing", "decided"),
        ("process.feedback", "implementing"),
    ]
    stored = await db.get(Process, process)
    await db.refresh(stored)
    assert stored.phase == "feedback"  # the refused close changed nothing


async def test_unknown_phase_and_missing_process(client, staff, process):
    unknown = await move(client, staff["facilitator"], process, "done")
    assert unknown.status_code == 400
    assert unknown.json()["field"] == "to"
    missing = await move(client, staff["facilitator"], 999, "deliberating")
    assert missing.status_code == 404
