"""Voter codes: format and entropy, stored as keyed hashes only, households, voiding, turnout."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select, text

from service.db.base import Base
from service.db.models import AuditEvent, Household, VoterCode
from service.voting.codes import code_hash, normalize_code
from tests.support.app import SECRET
from tests.support.rounds import cast, issue, make_round, ranked

CODE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$")
"""Ten Crockford base-32 characters (50 bits) shown as two groups of five."""


async def test_codes_are_random_crockford_and_shown_once(client, db, staff):
    round_id = await make_round(db)
    response = await client.post(
        f"/api/v1/rounds/{round_id}/codes", json={"count": 200}, headers=staff["facilitator"]
    )
    assert response.status_code == 201
    codes = [c["code"] for c in response.json()["codes"]]
    assert len(codes) == 200
    assert len(set(codes)) == 200
    assert all(CODE.match(c) for c in codes)
    # every symbol turns up: 200 codes x 10 characters over 32 symbols
    assert len({ch for c in codes for ch in c.replace("-", "")}) == 32
    audit = await db.scalar(select(AuditEvent).where(AuditEvent.action == "codes.issued"))
    assert audit.detail == {
        "count": 200,
        "skipped": 0,
        "batch": 1,
        "numbers": "1-200",
        "confirmed": [],
    }


async def test_only_keyed_hashes_are_stored(client, db, staff):
    round_id = await make_round(db)
    codes = await issue(client, staff["facilitator"], round_id, 5)
    assert (await cast(client, round_id, codes[0], ranked("文化墙"))).status_code == 201
    stored = set((await db.scalars(select(VoterCode.code_hash))).all())
    assert stored == {code_hash(SECRET, c.replace("-", "")) for c in codes}
    # the plaintext appears in no column of any table
    for table in Base.metadata.sorted_tables:
        rows = (await db.execute(text(f"SELECT * FROM {table.name}"))).all()
        dump = repr(rows)
        for code in codes:
            assert code not in dump, table.name
            assert code.replace("-", "") not in dump, table.name


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("abcde-fghjk", "ABCDEFGHJK"),
        ("ABCDE FGHJK", "ABCDEFGHJK"),
        ("O1234-ILXYZ", "01234-11XYZ".replace("-", "")),
        ("ABCD", None),
        ("ABCDE-FGHJU", None),
    ],
)
def test_typing_is_forgiving(typed, canonical):
    assert normalize_code(typed) == canonical


async def test_code_typed_loosely_still_votes(client, db, staff):
    round_id = await make_round(db)
    [code] = await issue(client, staff["facilitator"], round_id, 1)
    typed = code.replace("-", " ").lower().replace("0", "o").replace("1", "l")
    assert (await cast(client, round_id, typed, ranked("文化墙"))).status_code == 201


@pytest.mark.parametrize("role", ["secretary", "grid_worker"])
async def test_only_facilitators_and_admins_issue_and_void(client, db, staff, role):
    round_id = await make_round(db)
    for path, body in (("codes", {"count": 1}), ("codes/void", {"code": "x", "reason": "y"})):
        response = await client.post(
            f"/api/v1/rounds/{round_id}/{path}", json=body, headers=staff[role]
        )
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden"
        anonymous = await client.post(f"/api/v1/rounds/{round_id}/{path}", json=body)
        assert anonymous.status_code == 401


@pytest.mark.parametrize("phase", ["closed", "published"])
async def test_no_codes_once_closed(client, db, staff, phase):
    round_id = await make_round(db, phase=phase)
    response = await client.post(
        f"/api/v1/rounds/{round_id}/codes", json={"count": 3}, headers=staff["admin"]
    )
    assert response.status_code == 409
    assert response.json()["code"] == "round-closed"


async def test_codes_may_be_printed_before_voting_opens(client, db, staff):
    round_id = await make_round(db, phase="commenting")
    assert len(await issue(client, staff["facilitator"], round_id, 3)) == 3


@pytest.mark.parametrize(
    ("body", "field"),
    [({}, "count"), ({"count": 2, "households": ["1栋"]}, "count"), ({"count": 0}, "count")],
)
async def test_count_or_households(client, db, staff, body, field):
    round_id = await make_round(db)
    response = await client.post(
        f"/api/v1/rounds/{round_id}/codes", json=body, headers=staff["facilitator"]
    )
    assert response.status_code in (400, 422)
    assert response.json()["field"] == field


async def test_household_roll(client, db, staff):
    round_id = await make_round(db, household_roll=True)
    url = f"/api/v1/rounds/{round_id}/codes"
    refused = await client.post(url, json={"count": 2}, headers=staff["facilitator"])
    assert refused.status_code == 422
    assert refused.json()["code"] == "households-required"
    roll = ["3栋2单元501", "3栋2单元502"]
    first = await client.post(url, json={"households": roll}, headers=staff["facilitator"])
    assert first.status_code == 201
    issued = {c["household"]: c["code"] for c in first.json()["codes"]}
    assert set(issued) == set(roll)
    assert (
        await cast(client, round_id, issued["3栋2单元501"], ranked("文化墙"))
    ).status_code == 201
    # 502 holds a live code: a second one is made only when confirmed
    held = await client.post(url, json={"households": roll}, headers=staff["facilitator"])
    assert held.status_code == 409
    assert held.json()["code"] == "codes-unconfirmed"
    assert held.json()["detail"]["warnings"] == [
        {"kind": "live", "lines": [2], "households": ["3栋2单元502"]}
    ]
    confirmed = {"households": roll, "confirm": True}
    again = await client.post(url, json=confirmed, headers=staff["facilitator"])
    assert again.status_code == 201
    assert again.json()["skipped"] == ["3栋2单元501"]
    assert [w["kind"] for w in again.json()["warnings"]] == ["voted", "live"]
    [(household, second_502)] = [(c["household"], c["code"]) for c in again.json()["codes"]]
    assert household == "3栋2单元502"
    assert (
        await cast(client, round_id, issued["3栋2单元502"], ranked("文化墙"))
    ).status_code == 201
    response = await cast(client, round_id, second_502, ranked("健身器材"))
    assert response.status_code == 409
    assert response.json()["code"] == "household-voted"
    # the refused cast spent nothing: its code is still unused
    hashes = code_hash(SECRET, second_502.replace("-", ""))
    status = await db.scalar(select(VoterCode.status).where(VoterCode.code_hash == hashes))
    assert status == "issued"
    voted = (await db.scalars(select(Household.label).where(Household.voted))).all()
    assert sorted(voted) == roll


async def test_households_need_a_household_round(client, db, staff):
    round_id = await make_round(db)
    response = await client.post(
        f"/api/v1/rounds/{round_id}/codes",
        json={"households": ["1栋101"]},
        headers=staff["facilitator"],
    )
    assert response.status_code == 422
    assert response.json()["code"] == "no-household-roll"


async def test_void(client, db, staff):
    round_id = await make_round(db)
    spare, used = await issue(client, staff["facilitator"], round_id, 2)
    assert (await cast(client, round_id, used, ranked("文化墙"))).status_code == 201
    url = f"/api/v1/rounds/{round_id}/codes/void"
    ok = await client.post(
        url, json={"code": spare, "reason": "发错了"}, headers=staff["facilitator"]
    )
    assert ok.status_code == 200
    assert ok.json() == {"round_id": round_id, "voided": True, "reason": "发错了"}
    cases = [
        (spare, 409, "code-void"),
        (used, 409, "code-used"),
        ("ZZZZZ-ZZZZZ", 404, "code-unknown"),
    ]
    for code, status, error in cases:
        response = await client.post(
            url, json={"code": code, "reason": "再试"}, headers=staff["admin"]
        )
        assert response.status_code == status
        assert response.json()["code"] == error
    audit = await db.scalar(select(AuditEvent).where(AuditEvent.action == "code.voided"))
    assert audit.detail == {"round_id": round_id, "reason": "发错了"}
    assert "code" not in audit.detail


async def test_turnout(client, db, staff):
    round_id = await make_round(db)
    codes = await issue(client, staff["facilitator"], round_id, 5)
    for code in codes[:2]:
        assert (await cast(client, round_id, code, ranked("文化墙"))).status_code == 201
    await client.post(
        f"/api/v1/rounds/{round_id}/codes/void",
        json={"code": codes[4], "reason": "丢失"},
        headers=staff["facilitator"],
    )
    response = await client.get(f"/api/v1/rounds/{round_id}/turnout", headers=staff["secretary"])
    assert response.status_code == 200
    assert response.json() == {
        "round_id": round_id,
        "phase": "voting",
        "codes_issued": 5,
        "codes_void": 1,
        "codes_used": 2,
        "codes_unused": 2,
        "ballots_cast": 2,
        "households": 0,
        "households_voted": 0,
        "guessing": {
            "unusual": False,
            "unknown_codes": 0,
            "threshold": 20,
            "devices_locked": 0,
            "minutes": 10,
        },
        "late_ballots": 0,
        "slips_reprinted": 0,
        "tablet_ballots": 0,  # cast through the public API: ballots from home
        "paper_ballots": 0,
        "phone_ballots": 2,
        "paper_spoiled": 0,
        "paper_blank": 0,
        "reconciled": True,
        "quorum": {  # no rule set: nothing required
            "kind": "none",
            "present": 2,
            "required": 0,
            "reached": True,
            "missing": 0,
            "base": None,
            "share_numerator": None,
            "share_denominator": None,
        },
        "assisted_chosen": 0,
        "assisted_staff": 0,
        "proxies": 0,
        "proxy_votes": 0,
        "roll_size": None,
    }
    assert (await client.get(f"/api/v1/rounds/{round_id}/turnout")).status_code == 401
