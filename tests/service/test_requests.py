"""Residents' requests (诉求): logged by grid workers, promoted into a process or declined."""

from __future__ import annotations

import pytest

from service.db.models import Community, Grid, Process
from tests.support.audit import audit

ASK = "小区东北角空地堆满杂物，希望改成口袋公园"


@pytest.fixture
async def place(db) -> dict[str, int]:
    """Dují community with its third grid, and another community with a grid of its own."""
    home, away = Community(name="杜集社区"), Community(name="相山社区")
    db.add_all([home, away])
    await db.flush()
    grid, far = (
        Grid(community_id=home.id, name="第三网格"),
        Grid(community_id=away.id, name="一网格"),
    )
    db.add_all([grid, far])
    await db.commit()
    return {"community": home.id, "grid": grid.id, "other": away.id, "other_grid": far.id}


async def log(client, headers, community_id, body=ASK, grid_id=None):
    payload: dict[str, object] = {"body": body}
    if grid_id is not None:
        payload["grid_id"] = grid_id
    return await client.post(
        f"/api/v1/communities/{community_id}/requests", json=payload, headers=headers
    )


@pytest.fixture
async def request_id(client, staff, place) -> int:
    response = await log(client, staff["grid_worker"], place["community"], grid_id=place["grid"])
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def new_process(client, staff, community_id: int, title: str = "口袋公园建设方案") -> int:
    response = await client.post(
        f"/api/v1/communities/{community_id}/processes",
        json={"title": title},
        headers=staff["facilitator"],
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def test_grid_worker_logs_a_request_and_it_is_audited(client, staff, place, db):
    response = await log(client, staff["grid_worker"], place["community"], grid_id=place["grid"])
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["body"] == ASK
    assert body["grid_id"] == place["grid"]
    assert body["status"] == "open"
    assert body["process_id"] is None
    assert body["decline_reason"] is None
    events = await audit(db, "request.logged")
    assert [(e.entity_id, e.detail) for e in events] == [
        (body["id"], {"community_id": place["community"]})
    ]
    assert events[0].actor == "grid_worker 测试"
    assert body["logged_by"] == events[0].actor_id


@pytest.mark.parametrize("role", ["facilitator", "admin"])
async def test_facilitator_and_admin_log_requests_without_a_grid(client, staff, place, role):
    response = await log(client, staff[role], place["community"])
    assert response.status_code == 201, response.text
    assert response.json()["grid_id"] is None


async def test_secretary_and_residents_cannot_log_requests(client, staff, place):
    secretary = await log(client, staff["secretary"], place["community"])
    assert secretary.status_code == 403
    assert secretary.json()["code"] == "forbidden"
    anonymous = await client.post(
        f"/api/v1/communities/{place['community']}/requests", json={"body": ASK}
    )
    assert anonymous.status_code == 401


async def test_grid_must_belong_to_the_community(client, staff, place):
    foreign = await log(
        client, staff["grid_worker"], place["community"], grid_id=place["other_grid"]
    )
    assert foreign.status_code == 422
    body = foreign.json()
    assert body["code"] == "invalid"
    assert body["field"] == "grid_id"
    assert body["message_en"].startswith(f"grid {place['other_grid']} is not a grid of community")
    unknown = await log(client, staff["grid_worker"], place["community"], grid_id=999)
    assert unknown.status_code == 422
    assert unknown.json()["field"] == "grid_id"
    missing = await log(client, staff["grid_worker"], 999)
    assert missing.status_code == 404
    empty = await log(client, staff["grid_worker"], place["community"], body="")
    assert empty.status_code == 400
    assert empty.json()["field"] == "body"


async def test_list_requests_by_status(client, staff, place):
    ids = []
    for text in ("修路灯", "建口袋公园", "加装电梯"):
        response = await log(client, staff["grid_worker"], place["community"], body=text)
        ids.append(response.json()["id"])
    await log(client, staff["grid_worker"], place["other"], body="别的社区")
    declined = await client.post(
        f"/api/v1/requests/{ids[0]}/decline",
        json={"reason": "属于物业维修范围，已转物业"},
        headers=staff["facilitator"],
    )
    assert declined.status_code == 200, declined.text
    url = f"/api/v1/communities/{place['community']}/requests"
    everything = await client.get(url, headers=staff["secretary"])
    assert everything.status_code == 200
    assert [r["body"] for r in everything.json()] == ["修路灯", "建口袋公园", "加装电梯"]
    still_open = await client.get(url, params={"status": "open"}, headers=staff["grid_worker"])
    assert [r["id"] for r in still_open.json()] == ids[1:]
    done = await client.get(url, params={"status": "declined"}, headers=staff["admin"])
    assert [r["decline_reason"] for r in done.json()] == ["属于物业维修范围，已转物业"]
    bad = await client.get(url, params={"status": "pending"}, headers=staff["admin"])
    assert bad.status_code == 400
    assert bad.json()["field"] == "status"
    assert (await client.get(url)).status_code == 401


async def test_promote_into_an_existing_process(client, staff, place, request_id, db):
    process_id = await new_process(client, staff, place["community"])
    response = await client.post(
        f"/api/v1/requests/{request_id}/promote",
        json={"process_id": process_id},
        headers=staff["secretary"],
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "promoted"
    assert response.json()["process_id"] == process_id
    events = await audit(db, "request.promoted")
    assert [(e.entity_id, e.detail) for e in events] == [(request_id, {"process_id": process_id})]
    shown = await client.get(f"/api/v1/requests/{request_id}", headers=staff["grid_worker"])
    assert shown.json()["process_id"] == process_id


async def test_promote_into_a_new_process(client, staff, place, request_id, db):
    response = await client.post(
        f"/api/v1/requests/{request_id}/promote",
        json={"title": "口袋公园建设方案", "question": "空地建什么？"},
        headers=staff["facilitator"],
    )
    assert response.status_code == 200, response.text
    process_id = response.json()["process_id"]
    process = await db.get(Process, process_id)
    assert process is not None
    assert (process.title, process.question, process.phase) == (
        "口袋公园建设方案",
        "空地建什么？",
        "collecting",
    )
    assert process.community_id == place["community"]
    created = await audit(db, "process.created")
    assert [e.entity_id for e in created] == [process_id]
    assert len(await audit(db, "request.promoted")) == 1


async def test_a_promoted_request_cannot_be_promoted_or_declined_again(
    client, staff, place, request_id
):
    url = f"/api/v1/requests/{request_id}"
    first = await client.post(f"{url}/promote", json={"title": "口袋公园"}, headers=staff["admin"])
    assert first.status_code == 200
    process_id = first.json()["process_id"]
    again = await client.post(f"{url}/promote", json={"title": "再来"}, headers=staff["admin"])
    assert again.status_code == 409
    assert again.json()["code"] == "request-settled"
    assert again.json()["message_en"] == (
        f"request {request_id} cannot be promoted: it was already promoted into "
        f"process {process_id}"
    )
    decline = await client.post(f"{url}/decline", json={"reason": "重复"}, headers=staff["admin"])
    assert decline.status_code == 409
    assert decline.json()["code"] == "request-settled"


async def test_a_declined_request_keeps_its_reason_and_cannot_be_promoted(
    client, staff, place, request_id, db
):
    url = f"/api/v1/requests/{request_id}"
    declined = await client.post(
        f"{url}/decline", json={"reason": "  已由街道统一安排  "}, headers=staff["secretary"]
    )
    assert declined.status_code == 200, declined.text
    assert declined.json()["status"] == "declined"
    assert declined.json()["decline_reason"] == "已由街道统一安排"
    events = await audit(db, "request.declined")
    # the reason is told back to the resident on the request; the audit log keeps its length
    assert [(e.entity_id, e.detail) for e in events] == [(request_id, {"reason_chars": 8})]
    promote = await client.post(f"{url}/promote", json={"title": "x"}, headers=staff["admin"])
    assert promote.status_code == 409
    assert promote.json()["code"] == "request-settled"
    assert "already declined" in promote.json()["message_en"]


async def test_declining_needs_a_reason(client, staff, place, request_id):
    url = f"/api/v1/requests/{request_id}/decline"
    missing = await client.post(url, json={}, headers=staff["facilitator"])
    assert missing.status_code == 400
    assert missing.json()["code"] == "invalid-request"
    assert "missing required field `reason`" in missing.json()["message_en"]
    empty = await client.post(url, json={"reason": ""}, headers=staff["facilitator"])
    assert empty.status_code == 400
    blank = await client.post(url, json={"reason": "   "}, headers=staff["facilitator"])
    assert blank.status_code == 422
    assert (blank.json()["code"], blank.json()["field"]) == ("empty-text", "reason")
    assert blank.json()["message_zh"].startswith("理由不能为空")
    shown = await client.get(f"/api/v1/requests/{request_id}", headers=staff["facilitator"])
    assert shown.json()["status"] == "open"


async def test_promotion_needs_exactly_one_target(client, staff, place, request_id):
    url = f"/api/v1/requests/{request_id}/promote"
    neither = await client.post(url, json={}, headers=staff["facilitator"])
    assert neither.status_code == 400
    assert "give either process_id" in neither.json()["message_en"]
    process_id = await new_process(client, staff, place["community"])
    both = await client.post(
        url, json={"process_id": process_id, "title": "x"}, headers=staff["facilitator"]
    )
    assert both.status_code == 400
    assert "not both" in both.json()["message_en"]


async def test_promotion_stays_in_the_community_and_in_open_processes(
    client, staff, place, request_id, db
):
    url = f"/api/v1/requests/{request_id}/promote"
    elsewhere = await new_process(client, staff, place["other"], "别的社区的议题")
    foreign = await client.post(url, json={"process_id": elsewhere}, headers=staff["facilitator"])
    assert foreign.status_code == 422
    assert foreign.json()["field"] == "process_id"
    assert "belongs to another community" in foreign.json()["message_en"]
    closed_id = await new_process(client, staff, place["community"], "已办结")
    closed = await db.get(Process, closed_id)
    assert closed is not None
    closed.phase = "closed"
    await db.commit()
    late = await client.post(url, json={"process_id": closed_id}, headers=staff["facilitator"])
    assert late.status_code == 409
    assert late.json()["code"] == "wrong-phase"
    missing = await client.post(url, json={"process_id": 999}, headers=staff["facilitator"])
    assert missing.status_code == 404
    nothing = await client.post(
        "/api/v1/requests/999/promote", json={"title": "x"}, headers=staff["facilitator"]
    )
    assert nothing.status_code == 404
    assert nothing.json()["message_en"] == "there is no request 999"


@pytest.mark.parametrize("action", ["promote", "decline"])
async def test_grid_workers_cannot_promote_or_decline(client, staff, place, request_id, action):
    body = {"title": "口袋公园"} if action == "promote" else {"reason": "重复"}
    response = await client.post(
        f"/api/v1/requests/{request_id}/{action}", json=body, headers=staff["grid_worker"]
    )
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    anonymous = await client.post(f"/api/v1/requests/{request_id}/{action}", json=body)
    assert anonymous.status_code == 401


async def test_status_and_stage_are_one_way(client, staff, place, request_id):
    """Promote and decline are steps of the same table as the rest: a closed request cannot
    be declined, and a declined one takes no step at all (not even escalated or closed)."""
    url = "/api/v1/requests/{}"
    await client.post(
        url.format(request_id) + "/on-spot", json={"note": "已清理"}, headers=staff["grid_worker"]
    )
    closed = await client.post(
        url.format(request_id) + "/decline", json={"reason": "重复"}, headers=staff["admin"]
    )
    assert (closed.status_code, closed.json()["code"]) == (409, "request-wrong-stage")
    assert closed.json()["message_zh"] == f"诉求 {request_id} 目前已销号，不能婉拒"
    other = int((await log(client, staff["grid_worker"], place["community"])).json()["id"])
    declined = await client.post(
        url.format(other) + "/decline", json={"reason": "重复"}, headers=staff["admin"]
    )
    assert declined.status_code == 200
    for step, body in (("escalate", {"note": "x"}), ("close", {"note": "x"})):
        refused = await client.post(
            url.format(other) + f"/{step}", json=body, headers=staff["admin"]
        )
        assert (refused.status_code, refused.json()["code"]) == (409, "request-settled"), step
    assert (
        refused.json()["message_en"]
        == f"request {other} cannot be closed: it was already declined (重复)"
    )
