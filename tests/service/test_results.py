"""Closing and counting a round, and who may see its result, ballot list and receipts when."""

from __future__ import annotations

import hashlib
import random

import msgspec
import pytest
from sqlalchemy import delete, func, select, update

from ballots.digest import (
    ballot_box_digest,
    content_list_digest,
    lot_seed,
    sealed_box_digest,
    tracker_list_digest,
)
from ballots.encode import encode
from ballots.kinds import Ballot
from ballots.validate import validate
from engine.errors import TieUnresolved
from engine.registry import tally
from engine.result import to_json
from service.db.models import AuditEvent, CastKey, Envelope, Round, RoundResult
from service.results.counting import close_round
from service.rounds.settings import ballot_rules
from service.voting.sealing import RoundSeal
from tests.support.app import SECRET
from tests.support.park import PARK
from tests.support.rounds import FACILITATOR, cast, close, issue, make_round, ranked, vote


def park_ballots(n: int, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    return [ranked(*rng.sample(PARK, rng.randint(1, len(PARK)))) for _ in range(n)]


async def test_results_hidden_while_voting(client, db, staff):
    round_id = await make_round(db)
    [tracker] = await vote(client, staff, round_id, [ranked("文化墙")])
    for path in ("result", "ballots", f"receipts/{tracker}"):
        for headers in (staff["admin"], staff["secretary"], {}):
            response = await client.get(f"/api/v1/rounds/{round_id}/{path}", headers=headers)
            assert response.status_code == 409, (path, response.text)
            assert response.json()["code"] == "results-hidden"
            assert "after voting closes" in response.json()["message_en"]


async def test_closed_result_for_staff_published_for_everyone(client, db, staff):
    round_id = await make_round(db, method="schulze")
    trackers = await vote(client, staff, round_id, park_ballots(12))
    await close(db, round_id)
    staff_view = await client.get(f"/api/v1/rounds/{round_id}/result", headers=staff["secretary"])
    assert staff_view.status_code == 200, staff_view.text
    for path in ("result", "ballots", f"receipts/{trackers[0]}"):
        public = await client.get(f"/api/v1/rounds/{round_id}/{path}")
        assert public.status_code == 409
        assert public.json()["code"] == "results-hidden"
        assert public.json()["message_en"] == (
            "the round is closed but its result is not published yet"
        )
    round_row = await db.get(Round, round_id)
    round_row.phase = "published"
    await db.commit()
    public = await client.get(f"/api/v1/rounds/{round_id}/result")
    assert public.status_code == 200
    assert public.json()["result"] == staff_view.json()["result"]
    assert public.json()["ballots"] == 12


@pytest.mark.parametrize("open_receipts", [False, True], ids=["sealed", "open"])
@pytest.mark.parametrize(
    ("kind", "method", "options", "ballots"),
    [
        ("ranked", "irv", {}, None),
        ("ranked", "schulze", {"tie_policy": "lot"}, None),
        ("ranked", "stv", {"seats": 2}, None),
        ("approval", "approval", {"seats": 2}, "approval"),
        ("score", "score", {}, "score"),
        ("budget", "equal-shares", {"budget": 100_000}, "budget"),
    ],
)
async def test_count_matches_the_engine(
    client, db, staff, kind, method, options, ballots, open_receipts
):
    """The stored count is the engine's on the ballots cast, with the lot seed the digest
    of what was cast: the pairs for open receipts, the two lists for sealed ones."""
    rng = random.Random(11)
    if ballots is None:
        cast_ballots = park_ballots(15)
    elif ballots == "score":
        cast_ballots = [
            {"kind": "score", "scores": {n: rng.randint(0, 5) for n in rng.sample(PARK, 3)}}
            for _ in range(15)
        ]
        cast_ballots = [b for b in cast_ballots if any(b["scores"].values())]
    else:
        cheap = PARK[1:]  # anything but the 80,000-yuan play equipment fits 100,000 together
        cast_ballots = [{"kind": kind, "approved": rng.sample(cheap, 2)} for _ in range(15)]
    round_id = await make_round(
        db, kind=kind, method=method, options=options, open_receipts=open_receipts
    )
    trackers = await vote(client, staff, round_id, cast_ballots)
    await close(db, round_id)

    round_row = await db.get(Round, round_id)
    rules = ballot_rules(round_row)
    cast = [validate(msgspec.convert(b, Ballot), rules) for b in cast_ballots]
    stored = await db.get(RoundResult, round_id)
    if open_receipts:
        digest = ballot_box_digest(zip(trackers, cast, strict=True))
        assert (stored.trackers_digest, stored.contents_digest) == (None, None)
    else:
        lists = (tracker_list_digest(trackers), content_list_digest((b, 1) for b in cast))
        digest = sealed_box_digest(*lists)
        assert (stored.trackers_digest, stored.contents_digest) == lists
    profile = encode(cast, rules)
    own = {k: v for k, v in options.items() if k not in ("seats", "tie_policy", "budget")}
    expected = tally(method, profile, seats=options.get("seats", 1), seed=lot_seed(digest), **own)
    assert stored.ballot_box_digest == digest
    assert stored.result == to_json(expected)
    assert stored.ballots == len(cast_ballots)
    assert stored.codes_issued == len(cast_ballots)
    assert (stored.comparison is not None) == (kind == "ranked")
    response = await client.get(f"/api/v1/rounds/{round_id}/result", headers=staff["admin"])
    assert response.json()["result"]["winners"] == list(expected.winners)
    assert response.json()["ballot_box_digest"] == digest
    assert response.json()["open_receipts"] is open_receipts


async def test_close_forgets_cast_keys_and_audits(client, db, staff):
    round_id = await make_round(db)
    await vote(client, staff, round_id, park_ballots(3))
    assert await db.scalar(select(func.count()).select_from(CastKey)) == 3
    await close(db, round_id)
    assert await db.scalar(select(func.count()).select_from(CastKey)) == 0
    event = await db.scalar(select(AuditEvent).where(AuditEvent.action == "round.counted"))
    assert event.entity_id == round_id
    assert event.detail["ballots"] == 3
    assert event.actor == "主持人"


async def test_empty_ballot_box_is_counted(client, db, staff):
    empty = hashlib.sha256(b"").hexdigest()
    for open_receipts, digest in ((True, empty), (False, sealed_box_digest(empty, empty))):
        round_id = await make_round(db, method="plurality", open_receipts=open_receipts)
        await close(db, round_id)
        stored = await db.get(RoundResult, round_id)
        assert stored.ballots == 0
        assert stored.ballot_box_digest == digest


async def test_refused_tie_policy_stores_nothing(client, db, staff):
    round_id = await make_round(db, method="plurality", options={"tie_policy": "refuse"})
    await vote(client, staff, round_id, [ranked("文化墙"), ranked("健身器材")])
    round_row = await db.get(Round, round_id)
    round_row.phase = "closed"
    with pytest.raises(TieUnresolved):
        await close_round(db, round_row, FACILITATOR, SECRET)
    await db.rollback()
    assert await db.get(RoundResult, round_id) is None


async def test_cast_after_close_is_refused(client, db, staff):
    round_id = await make_round(db)
    first, second = await issue(client, staff["facilitator"], round_id, 2)
    assert (await cast(client, round_id, first, ranked("文化墙"))).status_code == 201
    await close(db, round_id)
    response = await cast(client, round_id, second, ranked("文化墙"))
    assert response.status_code == 409
    assert response.json()["code"] == "round-not-open"
    assert (await db.get(RoundResult, round_id)).ballots == 1


async def test_an_open_receipt_list_is_in_tracker_order_page_by_page(client, db, staff):
    round_id = await make_round(db, open_receipts=True)
    trackers = await vote(client, staff, round_id, park_ballots(7))
    await close(db, round_id, phase="published")
    seen: list[str] = []
    after = None
    while True:
        params = {"limit": 3} | ({"after": after} if after else {})
        page = (await client.get(f"/api/v1/rounds/{round_id}/ballots", params=params)).json()
        seen += [b["tracker"] for b in page["ballots"]]
        assert all(b["ballot"]["kind"] == "ranked" for b in page["ballots"])
        assert all(b["count"] == 1 for b in page["ballots"])
        assert page["open_receipts"] is True
        after = page["next"]
        if after is None:
            break
    assert seen == sorted(trackers)
    assert page["total"] == 7
    too_many = await client.get(f"/api/v1/rounds/{round_id}/ballots", params={"limit": 5000})
    assert too_many.status_code == 400


async def test_an_open_receipt_check_shows_the_ballot(client, db, staff):
    round_id = await make_round(db, open_receipts=True)
    [tracker] = await vote(client, staff, round_id, [ranked("文化墙", "健身器材")])
    await close(db, round_id, phase="published")
    base = f"/api/v1/rounds/{round_id}/receipts"
    found = (await client.get(f"{base}/{tracker.lower()}")).json()
    assert found["found"] is True
    assert found["ballot"] == {"kind": "ranked", "ranking": [["文化墙"], ["健身器材"]]}
    short = (await client.get(f"{base}/{tracker[:4]}-{tracker[4:8]}")).json()
    assert short["tracker"] == tracker
    missing = "0" * 16 if tracker != "0" * 16 else "1" * 16
    assert (await client.get(f"{base}/{missing}")).json() == {
        "round_id": round_id,
        "tracker": missing,
        "found": False,
        "open_receipts": True,
        "ballot": None,
        "ballot_box_digest": found["ballot_box_digest"],
    }
    bad = await client.get(f"{base}/NOT-A-TRACKER!")
    assert bad.status_code == 422
    assert bad.json()["code"] == "bad-tracker"


async def test_unknown_round_result_is_404(client, staff):
    response = await client.get("/api/v1/rounds/4242/result", headers=staff["admin"])
    assert response.status_code == 404


async def test_closing_through_the_phase_endpoint_counts(client, db, staff):
    round_id = await make_round(db, method="irv")
    await vote(client, staff, round_id, park_ballots(5))
    url = f"/api/v1/rounds/{round_id}"
    closed = await client.post(f"{url}/phase", json={"to": "closed"}, headers=staff["facilitator"])
    assert closed.status_code == 200, closed.text
    result = await client.get(f"{url}/result", headers=staff["secretary"])
    assert result.status_code == 200
    assert result.json()["ballots"] == 5
    published = await client.post(
        f"{url}/phase", json={"to": "published"}, headers=staff["facilitator"]
    )
    assert published.status_code == 200, published.text
    assert (await client.get(f"{url}/result")).json()["result"] == result.json()["result"]


async def test_a_box_missing_a_ballot_is_not_counted(client, db, staff):
    """Someone with write access to the database but not the secret deletes an envelope:
    the close finds one ballot fewer than used codes, refuses, and leaves the round voting."""
    round_id = await make_round(db)
    codes = await issue(client, staff["facilitator"], round_id, 3)
    for code in codes:
        assert (await cast(client, round_id, code, ranked("文化墙"))).status_code == 201
    nonce = await db.scalar(select(Envelope.nonce).where(Envelope.round_id == round_id))
    await db.execute(delete(Envelope).where(Envelope.nonce == nonce))
    await db.commit()
    refused = await client.post(
        f"/api/v1/rounds/{round_id}/phase", json={"to": "closed"}, headers=staff["facilitator"]
    )
    assert refused.status_code == 409, refused.text
    body = refused.json()
    assert body["code"] == "box-mismatch"
    assert body["detail"] == {"ballots": 2, "codes_used": 3}
    assert body["message_zh"].startswith("本轮票箱中有 2 张选票，但已使用的投票码有 3 个")
    round_row = await db.get(Round, round_id, populate_existing=True)
    assert round_row.phase == "voting"
    assert await db.get(RoundResult, round_id) is None


async def test_an_envelope_sealed_under_another_secret_stops_the_count(client, db, staff):
    round_id = await make_round(db)
    [code] = await issue(client, staff["facilitator"], round_id, 1)
    assert (await cast(client, round_id, code, ranked("文化墙"))).status_code == 201
    forged_nonce, forged = RoundSeal("another secret " * 3, round_id).seal("0" * 16, b"\0" * 12)
    await db.execute(update(Envelope).values(nonce=forged_nonce, sealed=forged))
    await db.commit()
    refused = await client.post(
        f"/api/v1/rounds/{round_id}/phase", json={"to": "closed"}, headers=staff["facilitator"]
    )
    assert refused.status_code == 500, refused.text
    assert refused.json()["code"] == "box-unopenable"
    assert await db.get(RoundResult, round_id) is None


@pytest.mark.parametrize("tie_policy", ["lot", "refuse"])
async def test_an_empty_box_is_no_decision_not_a_lot(client, db, staff, tie_policy):
    round_id = await make_round(db, method="irv", options={"tie_policy": tie_policy})
    await close(db, round_id, phase="published")
    stored = await db.get(RoundResult, round_id)
    assert b'"winners":[]' in stored.result
    assert b'"ties":[]' in stored.result
    assert stored.result.endswith(b'"no_decision":"no-ballots"}')
    response = await client.get(f"/api/v1/rounds/{round_id}/result")
    assert response.status_code == 200, response.text
    assert response.json()["result"]["no_decision"] == "no-ballots"
    assert response.json()["result"]["winners"] == []
    verdicts = {v["method"]: v for v in response.json()["comparison"]["verdicts"]}
    assert {v["no_decision"] for v in verdicts.values()} == {"no-ballots"}
    event = await db.scalar(select(AuditEvent).where(AuditEvent.action == "round.counted"))
    assert event.detail["no_decision"] == "no-ballots"
    assert event.detail["winners"] == []
