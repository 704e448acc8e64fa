"""Rounds: setting them up, checking method and options, freezing when voting opens (the
CONSUL bug made impossible), phases, live events and seeding from a published top k."""

from __future__ import annotations

import asyncio
import importlib.util

import msgspec
import pytest
from litestar.channels import ChannelsPlugin
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ballots import BallotRules, RankedBallot, encode
from engine.registry import tally
from service.db import models
from service.events import round_channel
from service.rounds.settings import SlateOption
from tests.support.audit import audit_actions
from tests.support.park import PARK
from tests.support.rounds import (
    PROCESS_COSTS,
    Park,
    new_round,
    to_phase,
)

FROZEN_TAIL = ": the slate, method, options, roll and receipts are fixed"
HAS_COUNTING = importlib.util.find_spec("service.results.counting") is not None
"""Whether the results engineer's close_round exists yet (else closing only stamps)."""


# --- setting up ------------------------------------------------------------------------


async def test_create_round_with_defaults(client, staff, park, db):
    body = await new_round(client, staff["facilitator"], park.process, park.proposals[:3])
    assert body["number"] == 1
    assert body["phase"] == "scheduled"
    assert body["ballot_kind"] == "ranked"
    assert body["options"] == {  # every rule of the method, at its default
        "seats": 1,
        "tie_policy": "lot",
        "batch": False,
        "stop_after": 0,
        "threshold": "majority",
        "until_two": False,
        "write_in": "",
    }
    assert body["rules"] == {
        "allow_ties": False,
        "allow_truncation": True,
        "max_approvals": None,
        "max_score": None,
    }
    assert body["prompts"] == ["这个方案好在哪里？", "您担心什么？", "您想怎么改？"]
    assert [o["name"] for o in body["slate"]] == list(PARK[:3])
    assert body["frozen"] is False
    assert body["issues_before_freeze"] == []
    second = await new_round(client, staff["admin"], park.process, [])
    assert second["number"] == 2
    assert await audit_actions(db, "round", body["id"]) == ["round.created"]


async def test_staff_read_rounds(client, staff, park):
    made = await new_round(client, staff["facilitator"], park.process, park.proposals)
    for role in ("secretary", "grid_worker"):
        listed = await client.get(f"/api/v1/processes/{park.process}/rounds", headers=staff[role])
        assert listed.status_code == 200
        assert [r["id"] for r in listed.json()] == [made["id"]]
        one = await client.get(f"/api/v1/rounds/{made['id']}", headers=staff[role])
        assert one.status_code == 200
        assert one.json()["slate"][5] == {
            "proposal_id": park.proposals[5],
            "name": "遮阳座椅",
            "cost_cents": 1_800_000,
        }
    anonymous = await client.get(f"/api/v1/rounds/{made['id']}")
    assert anonymous.status_code == 401
    missing = await client.get("/api/v1/rounds/9999", headers=staff["secretary"])
    assert missing.status_code == 404
    assert missing.json()["code"] == "not-found"


@pytest.mark.parametrize("role", ["secretary", "grid_worker"])
async def test_only_facilitators_and_admins_change_rounds(client, staff, park, role):
    made = await new_round(client, staff["facilitator"], park.process, park.proposals)
    rid = made["id"]
    calls = [
        client.post(
            f"/api/v1/processes/{park.process}/rounds",
            json={"title": "x", "method": "irv"},
            headers=staff[role],
        ),
        client.patch(f"/api/v1/rounds/{rid}", json={"title": "y"}, headers=staff[role]),
        client.put(f"/api/v1/rounds/{rid}/slate", json={"proposal_ids": []}, headers=staff[role]),
        to_phase(client, staff[role], rid, "commenting"),
    ]
    for call in calls:
        response = await call
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden"
    assert (await client.get(f"/api/v1/rounds/{rid}", headers=staff[role])).json()[
        "phase"
    ] == "scheduled"


@pytest.mark.parametrize(
    ("kind", "method", "code"),
    [
        ("ranked", "greedy", "kind-mismatch"),
        ("budget", "irv", "kind-mismatch"),
        ("approval", "equal-shares", "kind-mismatch"),
        ("score", "schulze", "kind-mismatch"),
        ("ranked", "borda-count", "unknown-method"),
    ],
)
async def test_method_must_count_the_ballot_kind(client, staff, park, kind, method, code):
    response = await client.post(
        f"/api/v1/processes/{park.process}/rounds",
        json={"title": "第一轮", "ballot_kind": kind, "method": method},
        headers=staff["facilitator"],
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == code
    assert body["field"] == "method"
    assert method in body["message_en"]
    assert "choose one of" in body["message_en"]


@pytest.mark.parametrize(
    ("method", "options", "field", "words"),
    [
        ("schulze", {"strength": "strongest"}, "options.strength", "winning, margin"),
        ("irv", {"seats": 0}, "options.seats", "at least 1"),
        ("irv", {"quota": 3}, "options.quota", "has no such option"),
        ("irv", {"tie_policy": "coin"}, "options.tie_policy", "lot or refuse"),
        ("irv", {"budget": 5000}, "options.budget", "only to budget rounds"),
        ("stv", {"rules": "irish"}, "options.rules", "scottish, meek"),
        ("irv", {"batch": "yes"}, "options.batch", "true or false"),
        ("irv", {"write_in": "儿童游乐设施"}, "options.write_in", "hold no undeclared write-ins"),
        ("stv", {"quota": "hare"}, "options.quota", "applies to rules fractional only"),
        ("stv", {"rules": "fractional", "decimals": 50}, "options.decimals", "less than 21"),
    ],
)
async def test_bad_option_is_named(client, staff, park, method, options, field, words):
    response = await client.post(
        f"/api/v1/processes/{park.process}/rounds",
        json={"title": "第一轮", "method": method, "options": options},
        headers=staff["facilitator"],
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid-option"
    assert body["field"] == field
    assert field.split(".")[1] in body["message_en"]
    assert words in body["message_en"]


async def test_method_options_are_kept(client, staff, park):
    body = await new_round(
        client,
        staff["facilitator"],
        park.process,
        park.proposals,
        method="schulze",
        options={"seats": 2, "strength": "margin", "tie_policy": "refuse"},
    )
    assert body["options"] == {"seats": 2, "strength": "margin", "tie_policy": "refuse"}


async def test_rules_must_fit_the_kind(client, staff, park):
    response = await client.post(
        f"/api/v1/processes/{park.process}/rounds",
        json={"title": "第一轮", "method": "irv", "rules": {"max_score": 10}},
        headers=staff["facilitator"],
    )
    assert response.status_code == 422
    assert response.json()["field"] == "rules.max_score"
    score = await new_round(
        client, staff["facilitator"], park.process, [], ballot_kind="score", method="star"
    )
    assert score["rules"]["max_score"] == 5


async def test_slate_refusals(client, staff, park, db):
    url = f"/api/v1/processes/{park.process}/rounds"
    head = staff["facilitator"]
    withdrawn = models.Proposal(process_id=park.process, title="喷泉", status="withdrawn")
    db.add(withdrawn)
    await db.commit()
    cases = [
        ([park.proposals[0], park.other_proposal], "proposal-of-another-process", "process"),
        ([park.proposals[0], park.proposals[0]], "duplicate-proposal", "listed twice"),
        ([park.proposals[0], withdrawn.id], "proposal-not-active", "withdrawn"),
        ([park.proposals[0], 9999], "unknown-proposal", "no proposal 9999"),
    ]
    for ids, code, words in cases:
        payload = {"title": "第一轮", "method": "irv", "proposal_ids": ids}
        response = await client.post(url, json=payload, headers=head)
        assert response.status_code == 422, ids
        body = response.json()
        assert (body["code"], body["field"]) == (code, "proposal_ids")
        assert words in body["message_en"]
    made = await new_round(client, head, park.process, park.proposals[:2])
    put = await client.put(
        f"/api/v1/rounds/{made['id']}/slate",
        json={"proposal_ids": [park.other_proposal]},
        headers=head,
    )
    assert put.status_code == 422
    assert put.json()["code"] == "proposal-of-another-process"
    await db.rollback()
    count = await db.scalar(select(models.Round.id).where(models.Round.process_id == park.process))
    assert count == made["id"]  # the refused creations stored nothing


async def test_rounds_only_in_an_open_process(client, staff, park, db):
    process = await db.get(models.Process, park.other_process)
    process.phase = "withdrawn"
    await db.commit()
    response = await client.post(
        f"/api/v1/processes/{park.other_process}/rounds",
        json={"title": "第一轮", "method": "irv"},
        headers=staff["facilitator"],
    )
    assert response.status_code == 409
    assert response.json()["code"] == "process-not-open"
    missing = await client.post(
        "/api/v1/processes/9999/rounds",
        json={"title": "第一轮", "method": "irv"},
        headers=staff["facilitator"],
    )
    assert missing.status_code == 404


async def test_update_before_voting(client, staff, park, db):
    made = await new_round(client, staff["facilitator"], park.process, park.proposals)
    rid = made["id"]
    response = await client.patch(
        f"/api/v1/rounds/{rid}",
        json={
            "method": "schulze",
            "options": {"strength": "margin", "seats": 2},
            "rules": {"allow_ties": True},
            "prompts": ["好在哪里？"],
            "household_roll": True,
        },
        headers=staff["admin"],
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["method"] == "schulze"
    assert body["options"] == {"seats": 2, "strength": "margin", "tie_policy": "lot"}
    assert body["rules"]["allow_ties"] is True
    assert body["prompts"] == ["好在哪里？"]
    assert body["household_roll"] is True
    # a kind whose methods exclude the current one needs a method
    bad = await client.patch(
        f"/api/v1/rounds/{rid}", json={"ballot_kind": "score"}, headers=staff["admin"]
    )
    assert bad.status_code == 422
    assert bad.json()["code"] == "kind-mismatch"
    budget = await client.patch(
        f"/api/v1/rounds/{rid}",
        json={"ballot_kind": "budget", "method": "equal-shares", "options": {"budget": 150000}},
        headers=staff["admin"],
    )
    assert budget.status_code == 200, budget.text
    assert budget.json()["options"] == {
        "seats": 1,
        "tie_policy": "lot",
        "budget": 150000,
        "completion": "add1",
    }
    assert budget.json()["rules"]["allow_ties"] is False
    actions = await audit_actions(db, "round", rid)
    assert actions == ["round.created", "round.updated", "round.updated"]


async def test_issues_before_freeze(client, staff, park):
    head = staff["facilitator"]
    lonely = await new_round(client, head, park.process, park.proposals[:1], options={"seats": 2})
    assert lonely["issues_before_freeze"] == [
        "the slate has 1 option(s): a vote needs at least two; put proposals on the slate",
        "seats (2) is more than the number of options (1): lower seats or add options",
    ]
    refused = await to_phase(client, head, lonely["id"], "voting")
    assert refused.status_code == 409
    body = refused.json()
    assert body["code"] == "round-not-ready"
    assert body["detail"]["issues"] == lonely["issues_before_freeze"]
    assert body["message_zh"].startswith("还不能开始投票：候选名单只有 1 个方案")


async def test_budget_round_needs_budget_and_costs(client, staff, park, db):
    free = models.Proposal(process_id=park.process, title="花坛", cost_cents=None)
    db.add(free)
    await db.commit()
    made = await new_round(
        client,
        staff["facilitator"],
        park.process,
        [*park.proposals[:2], free.id],
        ballot_kind="budget",
        method="greedy",
    )
    assert made["issues_before_freeze"] == [
        "a budget round needs a budget: set options.budget (in yuan)",
        "«花坛» has no cost: a budget round needs a cost on every option",
    ]
    refused = await to_phase(client, staff["facilitator"], made["id"], "voting")
    assert refused.status_code == 409
    assert refused.json()["code"] == "round-not-ready"
    response = await client.patch(
        f"/api/v1/rounds/{made['id']}",
        json={"options": {"budget": 100_000.5}},
        headers=staff["facilitator"],
    )
    assert response.json()["issues_before_freeze"] == [
        "«花坛» has no cost: a budget round needs a cost on every option"
    ]
    fen = await client.patch(
        f"/api/v1/rounds/{made['id']}",
        json={"options": {"budget": 1.005}},
        headers=staff["facilitator"],
    )
    assert fen.status_code == 422
    assert fen.json()["field"] == "options.budget"


# --- freezing -------------------------------------------------------------------------


async def test_voting_freezes_the_round(client, staff, park, db):
    head = staff["facilitator"]
    made = await new_round(client, head, park.process, park.proposals, method="schulze")
    rid = made["id"]
    opened = await to_phase(client, head, rid, "voting")
    assert opened.status_code == 200, opened.text
    body = opened.json()
    assert body["phase"] == "voting"
    assert body["frozen"] is True
    assert body["voting_at"] is not None
    await db.rollback()
    row = await db.get(models.Round, rid)
    assert row.slate == [
        SlateOption(proposal_id=pid, name=name, cost_cents=cost)
        for pid, name, cost in zip(park.proposals, PARK, PROCESS_COSTS, strict=True)
    ]
    process = await db.get(models.Process, park.process)
    assert process.phase == "deliberating"
    assert process.deliberating_at is not None

    changes = [
        client.patch(f"/api/v1/rounds/{rid}", json={"method": "irv"}, headers=head),
        client.patch(
            f"/api/v1/rounds/{rid}", json={"options": {"strength": "margin"}}, headers=head
        ),
        client.patch(f"/api/v1/rounds/{rid}", json={"household_roll": True}, headers=head),
        client.patch(f"/api/v1/rounds/{rid}", json={"title": "改名"}, headers=staff["admin"]),
        client.put(
            f"/api/v1/rounds/{rid}/slate", json={"proposal_ids": park.proposals[:2]}, headers=head
        ),
    ]
    for change in changes:
        response = await change
        assert response.status_code == 409
        refusal = response.json()
        assert refusal["code"] == "round-frozen"
        assert refusal["message_en"].startswith("voting opened at ")
        assert refusal["message_en"].endswith(FROZEN_TAIL)
        assert "已锁定" in refusal["message_zh"]

    # a proposal renamed after the freeze does not change the ballot
    renamed = await db.get(models.Proposal, park.proposals[0])
    renamed.title = "大型游乐场"
    await db.commit()
    after = (await client.get(f"/api/v1/rounds/{rid}", headers=head)).json()
    assert after["method"] == "schulze"
    assert after["options"] == {"seats": 1, "strength": "winning", "tie_policy": "lot"}
    assert after["household_roll"] is False
    assert after["title"] == "第一轮"
    assert [o["name"] for o in after["slate"]] == list(PARK)
    assert after["issues_before_freeze"] == []
    actions = await audit_actions(db, "round", rid)
    assert actions == ["round.created", "round.voting"]
    assert await audit_actions(db, "process", park.process) == ["process.deliberating"]


async def test_phases_and_stamps(client, staff, park, db):
    head = staff["facilitator"]
    rid = (await new_round(client, head, park.process, park.proposals))["id"]
    never = await to_phase(client, head, rid, "closed")
    assert never.status_code == 409
    assert never.json()["code"] == "transition-refused"
    assert "voting never opened" in never.json()["message_en"]

    commenting = await to_phase(client, head, rid, "commenting")
    assert commenting.status_code == 200
    assert commenting.json()["commenting_at"] is not None
    assert (await to_phase(client, head, rid, "voting")).status_code == 200
    back = await to_phase(client, head, rid, "commenting")
    assert back.status_code == 409
    assert "frozen" in back.json()["message_en"]
    early = await to_phase(client, head, rid, "published")
    assert early.status_code == 409
    assert early.json()["code"] == "transition-refused"

    closed = await to_phase(client, head, rid, "closed")
    assert closed.status_code == 200, closed.text
    assert closed.json()["phase"] == "closed"
    assert closed.json()["closed_at"] is not None
    await db.rollback()
    if not HAS_COUNTING:  # close_round not written yet: nothing counted, so refuse publishing
        uncounted = await to_phase(client, head, rid, "published")
        assert uncounted.status_code == 409
        assert uncounted.json()["code"] == "round-not-counted"
        await store_result(db, rid, tally_park([[0, 1, 2, 3, 4, 5]]))
    published = await to_phase(client, staff["admin"], rid, "published")
    assert published.status_code == 200, published.text
    assert published.json()["published_at"] is not None
    actions = await audit_actions(db, "round", rid)
    phases = {"round.commenting", "round.voting", "round.closed", "round.published"}
    assert [a for a in actions if a in phases] == [
        "round.commenting",
        "round.voting",
        "round.closed",
        "round.published",
    ]
    if HAS_COUNTING:
        assert actions.index("round.counted") == actions.index("round.closed") + 1


async def test_phase_change_is_a_live_event(client, staff, park):
    rid = (await new_round(client, staff["facilitator"], park.process, park.proposals))["id"]
    channels = client.app.plugins.get(ChannelsPlugin)
    async with channels.start_subscription([round_channel(rid)]) as subscriber:
        await to_phase(client, staff["facilitator"], rid, "commenting")
        events = subscriber.iter_events()
        event = await asyncio.wait_for(anext(events), timeout=5)
    assert msgspec.json.decode(event) == {"kind": "phase", "round": rid, "phase": "commenting"}


# --- seeding from a published round ---------------------------------------------------


def tally_park(rankings: list[list[int]], method: str = "borda"):
    """Count ranked ballots over the six park options (indexes into PARK)."""
    rules = BallotRules(kind="ranked", candidates=tuple(PARK))
    ballots = [RankedBallot(ranking=tuple((PARK[i],) for i in r)) for r in rankings]
    return tally(method, encode(ballots, rules), seed="test")


async def store_result(db: AsyncSession, round_id: int, result) -> None:
    db.add(
        models.RoundResult(
            round_id=round_id,
            result=msgspec.json.encode(result),
            ballot_box_digest="0" * 64,
            ballots=result.ballots,
            codes_issued=result.ballots,
        )
    )
    await db.commit()


async def published_round(db: AsyncSession, park: Park, result, phase="published") -> int:
    """A round 1 of the park process, frozen over all six options, with ``result`` stored."""
    row = models.Round(
        process_id=park.process,
        number=1,
        title="第一轮",
        method=result.method,
        phase=phase,
        slate=[
            SlateOption(proposal_id=pid, name=name, cost_cents=cost)
            for pid, name, cost in zip(park.proposals, PARK, PROCESS_COSTS, strict=True)
        ],
    )
    db.add(row)
    await db.commit()
    await store_result(db, row.id, result)
    return row.id


async def test_seed_from_top_k_of_a_published_round(client, staff, park, db):
    # Borda: 遮阳座椅 28, 文化墙 26, 健康监测站 18, 儿童游乐设施 8, 小型活动区 6, 健身器材 4
    result = tally_park([[5, 2, 1, 0, 3, 4]] * 4 + [[2, 5, 1, 4, 3, 0]] * 2)
    source = await published_round(db, park, result)
    response = await client.post(
        f"/api/v1/processes/{park.process}/rounds",
        json={"title": "第二轮", "method": "irv", "seed_from": {"round_id": source, "top": 3}},
        headers=staff["facilitator"],
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["number"] == 2
    assert body["seeded_from_round_id"] == source
    # the top three, kept in round 1's ballot order
    assert [o["name"] for o in body["slate"]] == ["健康监测站", "文化墙", "遮阳座椅"]
    assert [o["proposal_id"] for o in body["slate"]] == [
        park.proposals[1],
        park.proposals[2],
        park.proposals[5],
    ]
    too_many = await client.post(
        f"/api/v1/processes/{park.process}/rounds",
        json={"title": "第二轮", "method": "irv", "seed_from": {"round_id": source, "top": 7}},
        headers=staff["facilitator"],
    )
    assert too_many.status_code == 422
    assert too_many.json()["code"] == "top-too-large"
    assert too_many.json()["field"] == "seed_from.top"


async def test_seed_refuses_a_tie_at_the_cut(client, staff, park, db):
    # Borda: 文化墙 and 小型活动区 tie for third place
    result = tally_park([[0, 1, 2, 3, 4, 5], [0, 1, 3, 2, 4, 5]])
    source = await published_round(db, park, result)
    url = f"/api/v1/processes/{park.process}/rounds"
    payload = {"title": "第二轮", "method": "irv", "seed_from": {"round_id": source, "top": 3}}
    response = await client.post(url, json=payload, headers=staff["facilitator"])
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "top-k-tie"
    assert "take the top 2 or 4" in body["message_en"]
    assert sorted(body["detail"]["tied"]) == sorted(["文化墙", "小型活动区"])
    payload["seed_from"]["top"] = 4
    four = await client.post(url, json=payload, headers=staff["facilitator"])
    assert four.status_code == 201
    assert [o["name"] for o in four.json()["slate"]] == list(PARK[:4])


async def test_seed_refusals(client, staff, park, db):
    result = tally_park([[0, 1, 2, 3, 4, 5]])
    closed = await published_round(db, park, result, phase="closed")
    url = f"/api/v1/processes/{park.process}/rounds"
    head = staff["facilitator"]
    unpublished = await client.post(
        url,
        json={"title": "第二轮", "method": "irv", "seed_from": {"round_id": closed, "top": 2}},
        headers=head,
    )
    assert unpublished.status_code == 409
    assert unpublished.json()["code"] == "round-not-published"
    elsewhere = await client.post(
        f"/api/v1/processes/{park.other_process}/rounds",
        json={"title": "第二轮", "method": "irv", "seed_from": {"round_id": closed, "top": 2}},
        headers=head,
    )
    assert elsewhere.status_code == 422
    assert elsewhere.json()["field"] == "seed_from.round_id"
    both = await client.post(
        url,
        json={
            "title": "第二轮",
            "method": "irv",
            "proposal_ids": [],
            "seed_from": {"round_id": closed, "top": 2},
        },
        headers=head,
    )
    assert both.status_code == 422
    assert both.json()["field"] == "seed_from"
