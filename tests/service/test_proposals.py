"""Proposals (方案): add, amend, merge, withdraw, history, and the freeze while voting."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from service.db.base import utcnow
from service.db.models import AuditEvent, Community, Process, Proposal, Round, RoundOption
from tests.support.audit import audit

PLAY = {
    "title": "儿童游乐设施",
    "description": "滑梯、秋千和沙池，铺设软质地面",
    "cost": "12000.50",
    "author": "王阿姨",
}
HEALTH = {"title": "健康监测站", "cost": 8000, "author": "代 3 栋居民提出"}


@pytest.fixture
async def process(db) -> int:
    community = Community(name="杜集社区")
    db.add(community)
    await db.flush()
    row = Process(community_id=community.id, title="口袋公园建设方案", phase="deliberating")
    db.add(row)
    await db.commit()
    return row.id


async def add(client, headers, process_id, payload):
    return await client.post(
        f"/api/v1/processes/{process_id}/proposals", json=payload, headers=headers
    )


@pytest.fixture
async def play(client, staff, process) -> int:
    response = await add(client, staff["facilitator"], process, PLAY)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


@pytest.fixture
async def health(client, staff, process) -> int:
    response = await add(client, staff["facilitator"], process, HEALTH)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def put_on_ballot(db, process_id: int, proposal_id: int, *, number=1, phase="voting"):
    """A round with ``proposal_id`` on its slate, voting open (or as ``phase`` says)."""
    now = utcnow()
    voting = phase in ("voting", "closed", "published")
    row = Round(
        process_id=process_id,
        number=number,
        phase=phase,
        voting_at=now if voting else None,
        closed_at=now if phase in ("closed", "published") else None,
        published_at=now if phase == "published" else None,
    )
    db.add(row)
    await db.flush()
    db.add(RoundOption(round_id=row.id, proposal_id=proposal_id, position=0))
    await db.commit()
    return row


async def history(client, staff, proposal_id: int) -> list[dict]:
    response = await client.get(f"/api/v1/proposals/{proposal_id}", headers=staff["secretary"])
    assert response.status_code == 200, response.text
    return list(response.json()["history"])


async def test_facilitator_adds_a_proposal_with_cost_in_yuan(client, staff, process, db):
    response = await add(client, staff["facilitator"], process, PLAY)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["cost_cents"] == 1200050
    assert body["cost"] == "12000.50"
    assert (body["title"], body["author"], body["status"], body["version"]) == (
        "儿童游乐设施",
        "王阿姨",
        "active",
        1,
    )
    whole = await add(client, staff["admin"], process, HEALTH)
    assert whole.json()["cost_cents"] == 800000
    assert whole.json()["cost"] == "8000.00"
    free = await add(client, staff["admin"], process, {"title": "文化墙"})
    assert free.json()["cost"] is None
    assert free.json()["cost_cents"] is None
    events = await audit(db, "proposal.created")
    assert [(e.entity_id, e.detail) for e in events] == [
        (body["id"], {"process_id": process}),
        (whole.json()["id"], {"process_id": process}),
        (free.json()["id"], {"process_id": process}),
    ]
    [created] = await history(client, staff, body["id"])
    assert created["action"] == "created"
    assert created["version"] == 1
    assert created["snapshot"] == {
        "title": "儿童游乐设施",
        "description": PLAY["description"],
        "cost_cents": 1200050,
        "author": "王阿姨",
        "status": "active",
    }


@pytest.mark.parametrize(
    ("cost", "says"),
    [
        ("12000.505", "more than two decimal places"),
        (0.001, "more than two decimal places"),
        (-5, "between 0 and"),
        ("NaN", "between 0 and"),
        ("1e12", "between 0 and"),
    ],
)
async def test_cost_must_be_yuan_to_the_fen(client, staff, process, cost, says):
    response = await add(client, staff["facilitator"], process, {"title": "健身器材", "cost": cost})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid"
    assert body["field"] == "cost"
    assert says in body["message_en"]


async def test_cost_that_is_not_a_number_is_refused(client, staff, process):
    response = await add(client, staff["facilitator"], process, {"title": "x", "cost": "很多"})
    assert response.status_code == 400
    assert response.json()["field"] == "cost"


@pytest.mark.parametrize("role", ["secretary", "grid_worker"])
async def test_only_facilitators_and_admins_change_proposals(client, staff, process, play, role):
    headers = staff[role]
    attempts = [
        await add(client, headers, process, HEALTH),
        await client.patch(f"/api/v1/proposals/{play}", json={"title": "x"}, headers=headers),
        await client.post(
            f"/api/v1/proposals/{play}/merge", json={"into": play, "reason": "x"}, headers=headers
        ),
        await client.post(
            f"/api/v1/proposals/{play}/withdraw", json={"reason": "x"}, headers=headers
        ),
    ]
    assert [r.status_code for r in attempts] == [403, 403, 403, 403]
    assert {r.json()["code"] for r in attempts} == {"forbidden"}
    readable = await client.get(f"/api/v1/proposals/{play}", headers=headers)
    assert readable.status_code == 200
    anonymous = await client.get(f"/api/v1/proposals/{play}")
    assert anonymous.status_code == 401


@pytest.mark.parametrize("phase", ["decided", "implementing", "closed", "withdrawn"])
async def test_proposals_change_only_while_collecting_or_deliberating(
    client, staff, process, play, db, phase
):
    row = await db.get(Process, process)
    assert row is not None
    row.phase = phase
    await db.commit()
    attempts = [
        await add(client, staff["facilitator"], process, HEALTH),
        await client.patch(
            f"/api/v1/proposals/{play}", json={"title": "大型滑梯"}, headers=staff["facilitator"]
        ),
        await client.post(
            f"/api/v1/proposals/{play}/withdraw", json={"reason": "x"}, headers=staff["facilitator"]
        ),
    ]
    assert [r.status_code for r in attempts] == [409, 409, 409]
    assert {r.json()["code"] for r in attempts} == {"wrong-phase"}
    assert f"process {process} is {phase}" in attempts[0].json()["message_en"]


async def test_adding_to_a_collecting_process_works_and_unknown_process_is_404(
    client, staff, process, db
):
    row = await db.get(Process, process)
    assert row is not None
    row.phase = "collecting"
    await db.commit()
    assert (await add(client, staff["facilitator"], process, HEALTH)).status_code == 201
    missing = await add(client, staff["facilitator"], 999, HEALTH)
    assert missing.status_code == 404
    assert missing.json()["message_en"] == "there is no process 999"


async def test_list_proposals_of_a_process(client, staff, process, play, health):
    response = await client.get(
        f"/api/v1/processes/{process}/proposals", headers=staff["grid_worker"]
    )
    assert response.status_code == 200
    assert [(p["id"], p["title"]) for p in response.json()] == [
        (play, "儿童游乐设施"),
        (health, "健康监测站"),
    ]
    missing = await client.get("/api/v1/processes/999/proposals", headers=staff["secretary"])
    assert missing.status_code == 404


async def test_amending_bumps_the_version_and_keeps_a_snapshot(client, staff, play, db):
    response = await client.patch(
        f"/api/v1/proposals/{play}",
        json={"cost": None, "description": "只保留滑梯和沙池", "reason": "预算有限"},
        headers=staff["facilitator"],
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["version"] == 2
    assert body["cost"] is None
    assert body["title"] == "儿童游乐设施"  # left out, so unchanged
    second = await client.patch(
        f"/api/v1/proposals/{play}", json={"cost": 9000.5}, headers=staff["admin"]
    )
    assert second.json()["version"] == 3
    assert second.json()["cost_cents"] == 900050
    steps = await history(client, staff, play)
    assert [(s["action"], s["version"], s["reason"]) for s in steps] == [
        ("created", 1, None),
        ("amended", 2, "预算有限"),
        ("amended", 3, None),
    ]
    assert steps[0]["snapshot"]["description"] == PLAY["description"]
    assert steps[1]["snapshot"]["description"] == "只保留滑梯和沙池"
    assert steps[1]["snapshot"]["cost_cents"] is None
    assert steps[2]["snapshot"]["cost_cents"] == 900050
    assert steps[0]["at"] <= steps[1]["at"] <= steps[2]["at"]
    events = await audit(db, "proposal.amended")
    assert [e.detail for e in events] == [
        {"version": 2, "fields": ["cost_cents", "description"], "reason": "预算有限"},
        {"version": 3, "fields": ["cost_cents"], "reason": None},
    ]


async def test_amending_nothing_is_refused(client, staff, play):
    empty = await client.patch(f"/api/v1/proposals/{play}", json={}, headers=staff["facilitator"])
    assert empty.status_code == 422
    assert empty.json()["code"] == "nothing-to-change"
    same = await client.patch(
        f"/api/v1/proposals/{play}", json={"title": PLAY["title"]}, headers=staff["facilitator"]
    )
    assert same.status_code == 422
    assert len(await history(client, staff, play)) == 1
    unknown = await client.patch(
        f"/api/v1/proposals/{play}", json={"status": "active"}, headers=staff["facilitator"]
    )
    assert unknown.status_code == 400
    missing = await client.patch(
        "/api/v1/proposals/999", json={"title": "x"}, headers=staff["facilitator"]
    )
    assert missing.status_code == 404


async def test_merge_marks_the_merged_one_and_records_both_histories(
    client, staff, play, health, db
):
    response = await client.post(
        f"/api/v1/proposals/{health}/merge",
        json={"into": play, "reason": "合并为综合活动区"},
        headers=staff["facilitator"],
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "merged"
    assert response.json()["merged_into_id"] == play
    merged = await history(client, staff, health)
    assert [(s["action"], s["reason"]) for s in merged] == [
        ("created", None),
        ("merged", "合并为综合活动区"),
    ]
    assert merged[-1]["snapshot"]["merged_into"] == play
    assert merged[-1]["snapshot"]["status"] == "merged"
    target = await history(client, staff, play)
    assert [s["action"] for s in target] == ["created", "merged-in"]
    assert target[-1]["snapshot"]["merged_from"] == health
    events = await audit(db, "proposal.merged")
    assert [(e.entity_id, e.detail) for e in events] == [
        (health, {"into": play, "reason": "合并为综合活动区"})
    ]
    again = await client.post(
        f"/api/v1/proposals/{health}/merge",
        json={"into": play, "reason": "x"},
        headers=staff["facilitator"],
    )
    assert again.status_code == 409
    assert again.json()["code"] == "proposal-inactive"
    assert again.json()["message_en"] == (
        f"proposal {health} cannot be merged: it was merged into proposal {play}"
    )
    into_merged = await client.post(
        f"/api/v1/proposals/{play}/merge",
        json={"into": health, "reason": "x"},
        headers=staff["facilitator"],
    )
    assert into_merged.status_code == 409
    assert into_merged.json()["code"] == "proposal-inactive"


async def test_merge_refusals(client, staff, process, play, health, db):
    url = f"/api/v1/proposals/{play}/merge"
    itself = await client.post(
        url, json={"into": play, "reason": "x"}, headers=staff["facilitator"]
    )
    assert itself.status_code == 422
    assert itself.json()["field"] == "into"
    no_reason = await client.post(url, json={"into": health}, headers=staff["facilitator"])
    assert no_reason.status_code == 400
    assert "missing required field `reason`" in no_reason.json()["message_en"]
    blank = await client.post(
        url, json={"into": health, "reason": "  "}, headers=staff["facilitator"]
    )
    assert blank.status_code == 422
    assert blank.json()["field"] == "reason"
    missing = await client.post(
        url, json={"into": 999, "reason": "x"}, headers=staff["facilitator"]
    )
    assert missing.status_code == 404
    home = await db.get(Process, process)
    assert home is not None
    other = Process(community_id=home.community_id, title="另一个议题", phase="deliberating")
    db.add(other)
    await db.commit()
    elsewhere = await add(client, staff["facilitator"], other.id, {"title": "遮阳座椅"})
    across = await client.post(
        url, json={"into": elsewhere.json()["id"], "reason": "x"}, headers=staff["facilitator"]
    )
    assert across.status_code == 422
    assert "belongs to another process" in across.json()["message_en"]
    assert len(await audit(db, "proposal.merged")) == 0


async def test_withdraw_needs_a_reason_and_ends_the_proposal(client, staff, play, db):
    url = f"/api/v1/proposals/{play}/withdraw"
    missing = await client.post(url, json={}, headers=staff["facilitator"])
    assert missing.status_code == 400
    assert "missing required field `reason`" in missing.json()["message_en"]
    blank = await client.post(url, json={"reason": " "}, headers=staff["facilitator"])
    assert blank.status_code == 422  # nothing is left once spaces are taken out
    assert (blank.json()["code"], blank.json()["field"]) == ("empty-text", "reason")
    assert blank.json()["message_zh"].startswith("理由不能为空")
    done = await client.post(url, json={"reason": "提出人撤回"}, headers=staff["admin"])
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "withdrawn"
    steps = await history(client, staff, play)
    assert [(s["action"], s["reason"], s["snapshot"]["status"]) for s in steps] == [
        ("created", None, "active"),
        ("withdrawn", "提出人撤回", "withdrawn"),
    ]
    events = await audit(db, "proposal.withdrawn")
    assert [(e.entity_id, e.detail) for e in events] == [(play, {"reason": "提出人撤回"})]
    twice = await client.post(url, json={"reason": "再撤"}, headers=staff["admin"])
    assert twice.status_code == 409
    assert twice.json()["code"] == "proposal-inactive"
    amend = await client.patch(
        f"/api/v1/proposals/{play}", json={"title": "新"}, headers=staff["admin"]
    )
    assert amend.status_code == 409
    assert amend.json()["message_en"] == f"proposal {play} cannot be amended: it was withdrawn"


async def test_a_proposal_on_a_voting_ballot_is_frozen(client, staff, process, play, health, db):
    await put_on_ballot(db, process, play, number=2)
    attempts = {
        "amended": await client.patch(
            f"/api/v1/proposals/{play}", json={"title": "大型滑梯"}, headers=staff["facilitator"]
        ),
        "merged": await client.post(
            f"/api/v1/proposals/{play}/merge",
            json={"into": health, "reason": "x"},
            headers=staff["facilitator"],
        ),
        "withdrawn": await client.post(
            f"/api/v1/proposals/{play}/withdraw", json={"reason": "x"}, headers=staff["admin"]
        ),
    }
    for doing, response in attempts.items():
        assert response.status_code == 409, doing
        body = response.json()
        assert body["code"] == "round-frozen"
        assert body["message_en"] == (
            f"proposal {play} cannot be {doing}: it is on the ballot of round 2, "
            "which is voting; wait until that round is published"
        )
        assert "第 2 轮" in body["message_zh"]
    steps = await history(client, staff, play)
    assert [s["action"] for s in steps] == ["created"]
    for action in ("proposal.amended", "proposal.merged", "proposal.withdrawn"):
        assert await audit(db, action) == []
    # a proposal that is not on that slate stays free to change
    free = await client.patch(
        f"/api/v1/proposals/{health}", json={"title": "健康小屋"}, headers=staff["facilitator"]
    )
    assert free.status_code == 200


async def test_freeze_holds_until_the_round_is_published(client, staff, process, play, db):
    voting = await put_on_ballot(db, process, play, phase="closed")
    frozen = await client.patch(
        f"/api/v1/proposals/{play}", json={"title": "大型滑梯"}, headers=staff["facilitator"]
    )
    assert frozen.status_code == 409
    assert frozen.json()["code"] == "round-frozen"
    assert "round 1, whose result is not yet published" in frozen.json()["message_en"]
    voting.phase = "published"
    voting.published_at = utcnow()
    await db.commit()
    thawed = await client.patch(
        f"/api/v1/proposals/{play}", json={"title": "大型滑梯"}, headers=staff["facilitator"]
    )
    assert thawed.status_code == 200, thawed.text
    assert thawed.json()["version"] == 2


@pytest.mark.parametrize("phase", ["scheduled", "commenting"])
async def test_a_round_before_voting_does_not_freeze(client, staff, process, play, db, phase):
    await put_on_ballot(db, process, play, phase=phase)
    response = await client.post(
        f"/api/v1/proposals/{play}/withdraw", json={"reason": "提出人撤回"}, headers=staff["admin"]
    )
    assert response.status_code == 200, response.text


async def test_every_change_is_audited_once(client, staff, process, play, health, db):
    await client.patch(f"/api/v1/proposals/{play}", json={"author": "李叔"}, headers=staff["admin"])
    await client.post(
        f"/api/v1/proposals/{health}/merge",
        json={"into": play, "reason": "合并"},
        headers=staff["admin"],
    )
    await client.post(
        f"/api/v1/proposals/{play}/withdraw", json={"reason": "撤回"}, headers=staff["admin"]
    )
    rows = (
        await db.scalars(
            select(AuditEvent).where(AuditEvent.entity == "proposal").order_by(AuditEvent.id)
        )
    ).all()
    assert [(r.action, r.entity_id) for r in rows] == [
        ("proposal.created", play),
        ("proposal.created", health),
        ("proposal.amended", play),
        ("proposal.merged", health),
        ("proposal.withdrawn", play),
    ]
    stored = (await db.scalars(select(Proposal).order_by(Proposal.id))).all()
    assert [(p.status, p.version) for p in stored] == [("withdrawn", 2), ("merged", 1)]
