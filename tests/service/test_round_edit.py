"""A round's set-up changed through ``PATCH /api/v1/rounds/{id}`` until voting opens — title,
method, options, tie policy, the slate and its order, prompts, household roll, receipts —
checked as when setting one up, audited with each change before and after, and refused
with 409 once voting has opened or the round was cancelled."""

from __future__ import annotations

from sqlalchemy import select

from service.db import models
from tests.support.audit import audit, audit_actions
from tests.support.park import PARK
from tests.support.rounds import issue, new_round, to_phase


async def patch(client, headers, round_id, **fields):
    return await client.patch(f"/api/v1/rounds/{round_id}", json=fields, headers=headers)


async def test_every_setting_changes_and_the_audit_says_from_what_to_what(client, staff, park, db):
    head = staff["facilitator"]
    a, b, c, d = park.proposals[:4]
    made = await new_round(client, head, park.process, [a, b, c], title="设施排续")
    changed = await patch(
        client,
        head,
        made["id"],
        title="设施排序",
        method="schulze",
        options={"seats": 1, "tie_policy": "refuse"},
        proposal_ids=[d, c, a],
        prompts=["好在哪里？", "担心什么？"],
        household_roll=True,
        open_receipts=True,
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["title"], body["method"]) == ("设施排序", "schulze")
    assert body["options"]["tie_policy"] == "refuse"
    assert [o["proposal_id"] for o in body["slate"]] == [d, c, a]  # the new ballot order
    assert [o["name"] for o in body["slate"]] == [PARK[3], PARK[2], PARK[0]]
    assert body["prompts"] == ["好在哪里？", "担心什么？"]
    assert (body["household_roll"], body["open_receipts"]) == (True, True)
    again = await client.get(f"/api/v1/rounds/{made['id']}", headers=staff["secretary"])
    assert [o["proposal_id"] for o in again.json()["slate"]] == [d, c, a]  # stored
    (event,) = await audit(db, "round.updated")
    changes = event.detail["changes"]
    assert set(changes) == {
        "title",
        "method",
        "options",
        "proposal_ids",
        "prompts",
        "household_roll",
        "open_receipts",
    }
    assert changes["title"] == {"before": "设施排续", "after": "设施排序"}
    assert changes["method"] == {"before": "irv", "after": "schulze"}
    assert changes["proposal_ids"] == {"before": [a, b, c], "after": [d, c, a]}
    assert changes["options"]["before"]["tie_policy"] == "lot"
    assert changes["options"]["after"]["tie_policy"] == "refuse"
    assert event.actor == "facilitator 测试"


async def test_a_change_that_changes_nothing_leaves_no_audit_row(client, staff, park, db):
    head = staff["facilitator"]
    made = await new_round(client, head, park.process, park.proposals[:2])
    same = await patch(client, head, made["id"], title=made["title"])
    assert same.status_code == 200, same.text
    assert await audit_actions(db, "round", made["id"]) == ["round.created"]


async def test_a_bad_slate_is_refused_naming_the_field_and_nothing_changes(client, staff, park, db):
    head = staff["facilitator"]
    a, b = park.proposals[:2]
    made = await new_round(client, head, park.process, [a, b], title="设施排序")
    for slate, code in (
        ([a, park.other_proposal], "proposal-of-another-process"),
        ([a, a], "duplicate-proposal"),
        ([a, 999_999], "unknown-proposal"),
    ):
        refused = await patch(client, head, made["id"], title="改了名", proposal_ids=slate)
        assert refused.status_code == 422, refused.text
        assert refused.json()["code"] == code
        assert refused.json()["field"] == "proposal_ids"
    untitled = await patch(client, head, made["id"], title="")
    assert untitled.status_code == 400, untitled.text  # the request's shape, as when creating
    assert "“标题”" in untitled.json()["message"]
    await db.rollback()
    row = await db.get(models.Round, made["id"], populate_existing=True)
    assert row.title == "设施排序"  # the refused changes stored nothing
    slate = await db.scalars(
        select(models.RoundOption.proposal_id)
        .where(models.RoundOption.round_id == made["id"])
        .order_by(models.RoundOption.position)
    )
    assert slate.all() == [a, b]
    assert await audit_actions(db, "round", made["id"]) == ["round.created"]


async def test_refused_once_voting_has_opened_and_for_a_cancelled_round(client, staff, park, db):
    head = staff["facilitator"]
    made = await new_round(client, head, park.process, park.proposals[:3])
    assert (await to_phase(client, head, made["id"], "commenting")).status_code == 200
    during = await patch(client, head, made["id"], title="讨论中也能改")
    assert during.status_code == 200, during.text  # the comment phase is before voting
    assert (await to_phase(client, head, made["id"], "voting")).status_code == 200
    frozen = await patch(client, head, made["id"], title="晚了", proposal_ids=park.proposals[:2])
    assert frozen.status_code == 409
    assert frozen.json()["code"] == "round-frozen"
    assert "已锁定" in frozen.json()["message_zh"]
    row = await db.get(models.Round, made["id"], populate_existing=True)
    assert row.title == "讨论中也能改"
    assert [o.name for o in row.slate] == list(PARK[:3])
    other = await new_round(client, head, park.process, park.proposals[:2])
    cancel = await client.post(
        f"/api/v1/rounds/{other['id']}/cancel", json={"reason": "建错了"}, headers=head
    )
    assert cancel.status_code == 200, cancel.text
    gone = await patch(client, head, other["id"], title="不能改")
    assert gone.status_code == 409
    assert gone.json()["code"] == "round-cancelled"


async def test_only_facilitators_and_admins_change_a_round(client, staff, park):
    made = await new_round(client, staff["facilitator"], park.process, park.proposals[:2])
    for role, status in (("secretary", 403), ("grid_worker", 403), ("admin", 200)):
        response = await patch(client, staff[role], made["id"], title=f"{role}改名")
        assert response.status_code == status, (role, response.text)


async def test_the_household_rule_cannot_change_once_codes_are_out(client, staff, park, db):
    """Codes issued without a household would let a household vote twice under the rule."""
    head = staff["facilitator"]
    made = await new_round(client, head, park.process, park.proposals[:2])
    assert (await patch(client, head, made["id"], household_roll=True)).status_code == 200
    assert (await patch(client, head, made["id"], household_roll=False)).status_code == 200
    await issue(client, head, made["id"], 2)
    refused = await patch(client, head, made["id"], household_roll=True)
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "household-rule-codes-out"
    assert refused.json()["field"] == "household_roll"
    assert "已发出 2 个投票码" in refused.json()["message"]
    stored = await db.scalar(
        select(models.Round.household_roll).where(models.Round.id == made["id"])
    )
    assert stored is False
    same = await patch(client, head, made["id"], household_roll=False, title="照旧")
    assert same.status_code == 200, same.text  # the rule as it is may still be sent
