"""The whole bench meeting over HTTP, on every database: a process, six pocket-park
proposals, a comment round, 40 codes, 40 ranked ballots, close, count, publish — and the
published ballots recount to the same result, under Schulze and under instant runoff, and
the published lists give the ballot-box digest again."""

from __future__ import annotations

import secrets

import msgspec
from sqlalchemy import func, select

from ballots.digest import content_list_digest, sealed_box_digest, tracker_list_digest
from ballots.kinds import Ballot as BallotStruct
from ballots.kinds import RankedBallot
from engine import RankedProfile, tally
from service.db.models import AuditEvent, VoterCode
from tests.support.app import ok
from tests.support.box import cast_count
from tests.support.park import PARK
from tests.support.rounds import ensure_phone_window

# 40 residents: 14 put the play equipment first, 11 the health station, 8 the shade seats,
# 7 the events area; second and third choices vary, some rank only one option.
PATTERNS: list[tuple[int, list[str]]] = [
    (9, ["儿童游乐设施", "遮阳座椅", "小型活动区"]),
    (5, ["儿童游乐设施", "健康监测站"]),
    (7, ["健康监测站", "遮阳座椅", "健身器材"]),
    (4, ["健康监测站", "儿童游乐设施"]),
    (5, ["遮阳座椅", "健康监测站", "儿童游乐设施"]),
    (3, ["遮阳座椅"]),
    (4, ["小型活动区", "儿童游乐设施", "文化墙"]),
    (3, ["小型活动区", "文化墙"]),
]


async def test_bench_meeting_from_process_to_published_result(client, staff, db):
    facilitator = staff["facilitator"]
    community = await ok(
        await client.post("/api/v1/communities", json={"name": "杜集社区"}, headers=staff["admin"]),
        201,
    )
    process = await ok(
        await client.post(
            f"/api/v1/communities/{community['id']}/processes",
            json={"title": "口袋公园建设方案", "question": "闲置角落建口袋公园，先建哪些设施？"},
            headers=facilitator,
        ),
        201,
    )
    ids = []
    for title in PARK:
        proposal = await ok(
            await client.post(
                f"/api/v1/processes/{process['id']}/proposals",
                json={"title": title, "description": f"{title}的说明", "cost": 50000},
                headers=facilitator,
            ),
            201,
        )
        ids.append(proposal["id"])

    round_ = await ok(
        await client.post(
            f"/api/v1/processes/{process['id']}/rounds",
            json={
                "title": "第一轮",
                "ballot_kind": "ranked",
                "method": "schulze",
                "proposal_ids": ids,
            },
            headers=facilitator,
        ),
        201,
    )
    rid = round_["id"]
    await ok(
        await client.post(
            f"/api/v1/rounds/{rid}/phase", json={"to": "commenting"}, headers=facilitator
        )
    )
    await ok(
        await client.post(
            f"/api/v1/rounds/{rid}/comments",
            json={
                "proposal_id": ids[0],
                "stance": "support",
                "body": "孩子们需要玩的地方",
                "speaker": "赵阿姨",
                "prompt": 0,
            },
            headers=facilitator,
        ),
        201,
    )
    await ok(
        await client.post(f"/api/v1/rounds/{rid}/phase", json={"to": "voting"}, headers=facilitator)
    )
    await ensure_phone_window(client, facilitator, rid)  # the API casts from home

    issued = await ok(
        await client.post(f"/api/v1/rounds/{rid}/codes", json={"count": 40}, headers=facilitator),
        201,
    )
    codes = [c["code"] for c in issued["codes"]]
    assert len(set(codes)) == 40
    receipts = []
    for count, order in PATTERNS:
        for _ in range(count):
            ballot = {"kind": "ranked", "ranking": [[name] for name in order]}
            receipt = await ok(
                await client.post(
                    f"/api/v1/rounds/{rid}/ballots",
                    json={"code": codes.pop(), "key": secrets.token_urlsafe(16), "ballot": ballot},
                ),
                201,
            )
            receipts.append(receipt["tracker"])
    assert not codes

    hidden = await client.get(f"/api/v1/rounds/{rid}/result", headers=facilitator)
    assert hidden.status_code == 409
    assert hidden.json()["code"] == "results-hidden"

    await ok(
        await client.post(f"/api/v1/rounds/{rid}/phase", json={"to": "closed"}, headers=facilitator)
    )
    await ok(
        await client.post(
            f"/api/v1/rounds/{rid}/phase", json={"to": "published"}, headers=facilitator
        )
    )
    counted = await ok(await client.get(f"/api/v1/rounds/{rid}/result"))  # public now
    result = counted["result"]
    assert counted["ballots"] == 40
    assert counted["codes_issued"] == 40
    # first preferences: play equipment 14, health station 11, shade seats 8, events area 7
    assert result["method"] == "schulze"
    assert result["winners"] == ["儿童游乐设施"]

    # the published tracker list holds exactly the acknowledged receipts; the ballot list
    # (receipts are sealed: no tracker in it) each distinct ballot with its count
    listed = await ok(await client.get(f"/api/v1/rounds/{rid}/trackers?limit=100"))
    assert listed["trackers"] == sorted(receipts)
    published = await ok(await client.get(f"/api/v1/rounds/{rid}/ballots?limit=100"))
    assert published["open_receipts"] is False
    assert {entry["tracker"] for entry in published["ballots"]} == {None}
    counted_ballots = [
        (msgspec.convert(e["ballot"], BallotStruct), e["count"]) for e in published["ballots"]
    ]
    assert sum(n for _, n in counted_ballots) == 40
    assert len(counted_ballots) == len(PATTERNS)  # the eight patterns, each once

    # anyone can check the box digest from the two lists, and recount with either method
    digests = (tracker_list_digest(listed["trackers"]), content_list_digest(counted_ballots))
    assert digests == (counted["trackers_digest"], counted["contents_digest"])
    assert sealed_box_digest(*digests) == counted["ballot_box_digest"] == result["seed"]
    orders = [
        [list(group) for group in b.ranking]
        for b, n in counted_ballots
        for _ in range(n)
        if isinstance(b, RankedBallot)
    ]
    profile = RankedProfile.from_orders(PARK, orders)
    seed = result["seed"]
    assert list(tally("schulze", profile, seed=seed).winners) == result["winners"]
    irv = tally("irv", profile, seed=seed)
    verdicts = {v["method"]: v["winners"] for v in counted["comparison"]["verdicts"]}
    assert verdicts["irv"] == list(irv.winners)
    assert verdicts["schulze"] == result["winners"]
    # instant runoff, round by round: shade seats and the events area fall first
    assert irv.rounds[0].tallies["儿童游乐设施"] == 14
    assert irv.winners == ("儿童游乐设施",)

    # a receipt can be checked; the database holds 40 ballots and 40 used codes
    check = await ok(await client.get(f"/api/v1/rounds/{rid}/receipts/{receipts[0]}"))
    assert (check["tracker"], check["found"], check["ballot"]) == (receipts[0], True, None)
    assert await cast_count(db) == 40
    used = await db.scalar(
        select(func.count()).select_from(VoterCode).where(VoterCode.status == "used")
    )
    assert used == 40
    actions = set((await db.scalars(select(AuditEvent.action))).all())
    assert {"round.counted", "codes.issued"} <= actions
