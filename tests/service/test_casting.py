"""Casting ballots with one-time codes: the receipt, every refusal, idempotent retries and
the secrecy of the ballot table, on every database."""

from __future__ import annotations

import struct
import uuid

import pytest
from sqlalchemy import func, inspect, select

from service.db.models import (
    BoxPart,
    CastKey,
    Round,
    VoterCode,
)
from service.results import ballot_box
from service.rounds.settings import ballot_rules
from tests.support.box import cast_count, purged, sealed_box
from tests.support.park import PARK
from tests.support.rounds import cast, issue, make_round, ranked


async def test_cast_returns_receipt_and_stores_marks(client, db, staff):
    round_id = await make_round(db, rules={"allow_ties": True})
    [code] = await issue(client, staff["facilitator"], round_id, 1)
    ballot = {"kind": "ranked", "ranking": [["文化墙"], ["遮阳座椅", "儿童游乐设施"]]}
    response = await cast(client, round_id, code, ballot)
    assert response.status_code == 201, response.text
    receipt = response.json()
    assert len(receipt["tracker"]) == 16
    assert receipt["short"] == f"{receipt['tracker'][:4]}-{receipt['tracker'][4:8]}"
    assert receipt["replayed"] is False
    # while voting the ballot is sealed: nothing counted, one envelope that opens to its marks
    assert await ballot_box.read_all(db, round_id) == []
    # slate order: 儿童游乐设施 健康监测站 文化墙 小型活动区 健身器材 遮阳座椅; ties share a place
    sealed = await sealed_box(db, round_id)
    assert {t: struct.unpack("<6h", m) for t, m in sealed.items()} == {
        receipt["tracker"]: (1, -1, 0, -1, -1, 1)
    }
    status = await db.scalar(select(VoterCode.status).where(VoterCode.round_id == round_id))
    assert status == "used"

    closed = await client.post(
        f"/api/v1/rounds/{round_id}/phase", json={"to": "closed"}, headers=staff["facilitator"]
    )
    assert closed.status_code == 200, closed.text
    [(tracker, marks)] = await ballot_box.read_all(db, round_id)
    assert tracker == receipt["tracker"]
    assert struct.unpack("<6h", marks) == (1, -1, 0, -1, -1, 1)
    round_row = await db.get(Round, round_id)
    [(_, content)] = ballot_box.contents(ballot_rules(round_row), [(tracker, marks)])
    assert content == '{"kind":"ranked","ranking":[["文化墙"],["儿童游乐设施","遮阳座椅"]]}'
    await purged()
    assert await sealed_box(db, round_id) == {}  # the envelopes went after the opening


@pytest.mark.parametrize(
    ("kind", "ballot", "marks"),
    [
        ("approval", {"kind": "approval", "approved": ["健身器材", "文化墙"]}, (0, 0, 1, 0, 1, 0)),
        (
            "score",
            {"kind": "score", "scores": {"遮阳座椅": 5, "健康监测站": 2}},
            (0, 2, 0, 0, 0, 5),
        ),
        ("budget", {"kind": "budget", "approved": ["文化墙", "遮阳座椅"]}, (0, 0, 1, 0, 0, 1)),
    ],
)
async def test_marks_of_other_kinds(client, db, staff, kind, ballot, marks):
    method = {"approval": "approval", "score": "score", "budget": "greedy"}[kind]
    options = {"budget": 100_000} if kind == "budget" else {}
    round_id = await make_round(db, kind=kind, method=method, options=options)
    [code] = await issue(client, staff["admin"], round_id, 1)
    response = await cast(client, round_id, code, ballot)
    assert response.status_code == 201, response.text
    sealed = await sealed_box(db, round_id)
    assert struct.unpack("<6h", sealed[response.json()["tracker"]]) == marks


async def test_over_budget_is_refused(client, db, staff):
    round_id = await make_round(db, kind="budget", method="greedy", options={"budget": 100_000})
    [code] = await issue(client, staff["admin"], round_id, 1)
    # 80,000 + 30,000 yuan > 100,000 yuan
    response = await cast(client, round_id, code, {"kind": "budget", "approved": PARK[:2]})
    assert response.status_code == 422
    assert response.json()["code"] == "invalid-ballot"
    assert "over the budget of 100000" in response.json()["message_en"]


async def test_unknown_code(client, db, staff):
    round_id = await make_round(db)
    await issue(client, staff["facilitator"], round_id, 1)
    for wrong in ("ABCDE-FGHJK", "not a code"):
        response = await cast(client, round_id, wrong, ranked("文化墙"))
        assert response.status_code == 404
        body = response.json()
        assert body["code"] == "code-unknown"
        assert body["field"] == "code"
        assert "check the 10 characters" in body["message_en"]
    assert await cast_count(db) == 0


async def test_code_of_another_round_is_unknown(client, db, staff):
    first = await make_round(db)
    second = await make_round(db)
    [code] = await issue(client, staff["facilitator"], first, 1)
    response = await cast(client, second, code, ranked("文化墙"))
    assert response.status_code == 404
    assert response.json()["code"] == "code-unknown"


async def test_used_code(client, db, staff):
    round_id = await make_round(db)
    [code] = await issue(client, staff["facilitator"], round_id, 1)
    assert (await cast(client, round_id, code, ranked("文化墙"))).status_code == 201
    again = await cast(client, round_id, code, ranked("健身器材"))
    assert again.status_code == 409
    assert again.json()["code"] == "code-used"
    assert again.json()["message_zh"] == "此投票码已经投过票，每个投票码只能使用一次"
    assert await cast_count(db) == 1


async def test_void_code_cannot_vote(client, db, staff):
    round_id = await make_round(db)
    [code] = await issue(client, staff["facilitator"], round_id, 1)
    voided = await client.post(
        f"/api/v1/rounds/{round_id}/codes/void",
        json={"code": code, "reason": "纸条丢失"},
        headers=staff["facilitator"],
    )
    assert voided.status_code == 200, voided.text
    response = await cast(client, round_id, code, ranked("文化墙"))
    assert response.status_code == 409
    assert response.json()["code"] == "code-void"


@pytest.mark.parametrize("phase", ["scheduled", "commenting", "closed", "published"])
async def test_round_not_open(client, db, staff, phase):
    round_id = await make_round(db, phase="voting")
    [code] = await issue(client, staff["facilitator"], round_id, 1)
    round_row = await db.get(Round, round_id)
    round_row.phase = phase
    await db.commit()
    response = await cast(client, round_id, code, ranked("文化墙"))
    assert response.status_code == 409
    assert response.json()["code"] == "round-not-open"
    assert f"it is {phase}" in response.json()["message_en"]


async def test_round_closed_after_spec_cached_is_refused_in_the_writer(client, db, staff):
    round_id = await make_round(db)
    first, second = await issue(client, staff["facilitator"], round_id, 2)
    assert (await cast(client, round_id, first, ranked("文化墙"))).status_code == 201
    round_row = await db.get(Round, round_id)
    round_row.phase = "closed"
    await db.commit()
    response = await cast(client, round_id, second, ranked("文化墙"))
    assert response.status_code == 409
    assert response.json()["code"] == "round-not-open"
    assert await db.scalar(select(VoterCode.status).where(VoterCode.status == "issued")) == "issued"


async def test_unknown_round(client, db, staff):
    response = await cast(client, 9999, "ABCDE-FGHJK", ranked("文化墙"))
    assert response.status_code == 404
    assert response.json()["code"] == "not-found"


async def test_candidate_not_on_slate(client, db, staff):
    round_id = await make_round(db)
    [code] = await issue(client, staff["facilitator"], round_id, 1)
    response = await cast(client, round_id, code, ranked("文化墙", "游泳池"))
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid-ballot"
    assert body["message_en"] == "unknown candidate '游泳池'"
    assert body["field"] == "ranking[1][0]"
    # the code was not spent on a refused ballot
    assert (await cast(client, round_id, code, ranked("文化墙"))).status_code == 201


async def test_ties_refused_unless_allowed(client, db, staff):
    round_id = await make_round(db)
    [code] = await issue(client, staff["facilitator"], round_id, 1)
    response = await cast(client, round_id, code, {"kind": "ranked", "ranking": [PARK[:2]]})
    assert response.status_code == 422
    assert response.json()["detail"] == {"problem": "ties-forbidden"}


async def test_malformed_request_names_the_field(client, db, staff):
    round_id = await make_round(db)
    [code] = await issue(client, staff["facilitator"], round_id, 1)
    response = await client.post(
        f"/api/v1/rounds/{round_id}/ballots",
        json={"code": code, "key": "short", "ballot": ranked("文化墙")},
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid-request"
    assert response.json()["field"] == "key"


async def test_retry_with_same_key_returns_same_receipt(client, db, staff):
    round_id = await make_round(db)
    [code] = await issue(client, staff["facilitator"], round_id, 1)
    key = "tablet-3-" + uuid.uuid4().hex
    first = await cast(client, round_id, code, ranked("文化墙", "健身器材"), key=key)
    assert first.status_code == 201
    again = await cast(client, round_id, code, ranked("文化墙", "健身器材"), key=key)
    assert again.status_code == 200
    assert again.json()["tracker"] == first.json()["tracker"]
    assert again.json()["replayed"] is True
    assert await cast_count(db) == 1
    assert await db.scalar(select(func.count()).select_from(CastKey)) == 1


async def test_same_key_with_another_ballot_is_refused(client, db, staff):
    round_id = await make_round(db)
    first_code, second_code = await issue(client, staff["facilitator"], round_id, 2)
    key = "tablet-3-" + uuid.uuid4().hex
    assert (await cast(client, round_id, first_code, ranked("文化墙"), key=key)).status_code == 201
    for code, ballot in ((first_code, ranked("健身器材")), (second_code, ranked("文化墙"))):
        response = await cast(client, round_id, code, ballot, key=key)
        assert response.status_code == 409
        assert response.json()["code"] == "idempotency-key-reused"
        assert response.json()["field"] == "key"
    assert await cast_count(db) == 1
    status = await db.scalar(
        select(VoterCode.status).where(VoterCode.round_id == round_id, VoterCode.status == "issued")
    )
    assert status == "issued"  # the second code is still unused


async def test_guessing_is_slowed_down(client, db, staff):
    from service.voting.guesses import Bucket, Budget

    client.app.state.lockouts.budget = Budget(burst=Bucket(size=3, refill=60))
    round_id = await make_round(db)
    [code] = await issue(client, staff["facilitator"], round_id, 1)
    for _ in range(3):
        assert (await cast(client, round_id, "ZZZZZ-ZZZZZ", ranked("文化墙"))).status_code == 404
    response = await cast(client, round_id, code, ranked("文化墙"))
    assert response.status_code == 429
    assert response.json()["code"] == "too-many-attempts"
    assert response.json()["message_zh"].startswith("这台设备输错投票码的次数太多了")
    assert response.headers["retry-after"] in ("59", "60")  # one guess back in a minute


async def test_the_box_holds_nothing_but_rounds_trackers_and_marks(client, db, staff):
    round_id = await make_round(db)
    [code] = await issue(client, staff["facilitator"], round_id, 1)
    assert (await cast(client, round_id, code, ranked("文化墙"))).status_code == 201
    tables = await db.run_sync(
        lambda session: {
            name: {c["name"] for c in inspect(session.connection()).get_columns(name)}
            for name in ("envelopes", "box_parts")
        }
    )
    assert tables == {
        "envelopes": {"round_id", "nonce", "sealed"},
        "box_parts": {"round_id", "first_tracker", "count", "trackers", "marks"},
    }
    assert {c.name for c in BoxPart.__table__.columns} == tables["box_parts"]
    # nor does a code row say when or for which ballot it was used (its slip's number and
    # batch say which slip it is; its channel says whether it came on paper, by phone or
    # from a tablet, which the ballot does not)
    assert {c.name for c in VoterCode.__table__.columns} == {
        "channel",
        "id",
        "round_id",
        "code_hash",
        "household_id",
        "status",
        "void_reason",
        "batch_id",
        "number",
    }


async def test_turnout_events_stream_to_staff(client, db, staff):
    round_id = await make_round(db)
    [code] = await issue(client, staff["facilitator"], round_id, 1)
    url = f"/api/v1/rounds/{round_id}/events"
    with await client.websocket_connect(url, headers=staff["secretary"]) as socket:
        assert (await cast(client, round_id, code, ranked("文化墙"))).status_code == 201
        event = socket.receive_json(timeout=5)
    assert event == {"kind": "turnout", "round": round_id, "added": 1}


async def test_events_are_for_staff_only(client, db, staff):
    from litestar.exceptions import WebSocketDisconnect

    round_id = await make_round(db)

    async def listen() -> None:
        with await client.websocket_connect(f"/api/v1/rounds/{round_id}/events") as socket:
            socket.receive_json(timeout=5)

    with pytest.raises(WebSocketDisconnect) as refused:
        await listen()
    # the role guard's refusal closes the socket before it is accepted: 4000 + 401
    assert refused.value.code == 4401


async def test_phase_events_are_sent_once_the_change_is_committed(client, db, staff):
    round_id = await make_round(db)
    url = f"/api/v1/rounds/{round_id}/events"
    with await client.websocket_connect(url, headers=staff["admin"]) as socket:
        refused = await client.post(
            f"/api/v1/rounds/{round_id}/phase", json={"to": "commenting"}, headers=staff["admin"]
        )
        assert refused.status_code == 409  # refused: nothing is announced
        closed = await client.post(
            f"/api/v1/rounds/{round_id}/phase", json={"to": "closed"}, headers=staff["admin"]
        )
        assert closed.status_code == 200, closed.text
        event = socket.receive_json(timeout=5)
    assert event == {"kind": "phase", "round": round_id, "phase": "closed"}


async def test_a_rolled_back_change_is_never_announced(db):
    from service.events import publish_after_commit

    class Recorder:
        def __init__(self) -> None:
            self.sent: list[tuple[object, str]] = []

        def publish(self, data: object, channel: str) -> None:
            self.sent.append((data, channel))

    channels = Recorder()
    await db.execute(select(1))  # a transaction is under way, as in a request
    publish_after_commit(db, channels, 7, "phase", phase="closed")  # type: ignore[arg-type]
    await db.rollback()
    assert channels.sent == []
    publish_after_commit(db, channels, 7, "phase", phase="voting")  # type: ignore[arg-type]
    await db.commit()
    await db.commit()  # once only
    assert channels.sent == [({"kind": "phase", "round": 7, "phase": "voting"}, "round:7")]
