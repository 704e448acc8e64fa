"""Proxies (委托代投) in a household round: recorded with a written authorisation, at most
the round's limit per holder (1 unless set, fixed once voting opens), refused for a
household that voted, granted already or names itself; counted in the turnout once the
grantor household's own code is used, and joined to no ballot."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import select

from service.db.base import Base
from service.db.models import AuditEvent, Proxy
from tests.support.documents import pdf_text, png
from tests.support.pages import use_session
from tests.support.phone_photos import metadata_left, phone_photo
from tests.support.roll import record_proxy
from tests.support.rounds import cast, close, make_round, ranked, to_phase

LABELS = ["3号楼2单元101", "3号楼2单元102", "3号楼2单元201", "3号楼2单元202"]


async def _round(client, db, staff, phase: str = "voting") -> tuple[int, dict[str, str]]:
    round_id = await make_round(db, household_roll=True, phase=phase)
    issued = await client.post(
        f"/api/v1/rounds/{round_id}/codes",
        json={"households": LABELS},
        headers=staff["facilitator"],
    )
    assert issued.status_code == 201, issued.text
    return round_id, {c["household"]: c["code"] for c in issued.json()["codes"]}


async def test_one_authorisation_per_holder_unless_set(client, db, staff):
    round_id, _ = await _round(client, db, staff, phase="scheduled")
    first = await record_proxy(
        client,
        staff["facilitator"],
        round_id,
        "３号楼２单元１０１",
        holder_label="3号楼2单元201",
        holder_name="王芳",
    )
    assert first.status_code == 201, first.text
    assert first.json()["grantor"] == "3号楼2单元101"
    second = await record_proxy(
        client, staff["secretary"], round_id, "3号楼2单元102", holder_label="３号楼２单元２０１"
    )
    assert second.status_code == 409
    assert second.json()["code"] == "proxy-limit"
    assert "1份" in second.json()["message_zh"]
    limit = await client.put(
        f"/api/v1/rounds/{round_id}/proxy-limit", json={"limit": 2}, headers=staff["facilitator"]
    )
    assert limit.status_code == 200, limit.text
    again = await record_proxy(
        client, staff["secretary"], round_id, "3号楼2单元102", holder_label="3号楼2单元201"
    )
    assert again.status_code == 201, again.text
    third = await record_proxy(
        client, staff["secretary"], round_id, "3号楼2单元202", holder_label="3号楼2单元201"
    )
    assert (third.status_code, third.json()["code"]) == (409, "proxy-limit")
    assert "2份" in third.json()["message_zh"]
    lower = await client.put(
        f"/api/v1/rounds/{round_id}/proxy-limit", json={"limit": 1}, headers=staff["facilitator"]
    )
    assert (lower.status_code, lower.json()["code"]) == (409, "proxy-limit-below-held")
    listed = (
        await client.get(f"/api/v1/rounds/{round_id}/proxies", headers=staff["secretary"])
    ).json()
    assert listed["limit"] == 2
    assert [p["grantor"] for p in listed["proxies"]] == ["3号楼2单元101", "3号楼2单元102"]


async def test_the_limit_counts_a_holder_by_household_and_by_name(client, db, staff):
    """{label, name} then {name} alone, or then {label} with another name, is one holder."""
    round_id, _ = await _round(client, db, staff, phase="scheduled")
    first = await record_proxy(
        client,
        staff["facilitator"],
        round_id,
        "3号楼2单元101",
        holder_label="3号楼2单元201",
        holder_name="张三",
    )
    assert first.status_code == 201, first.text
    by_name = await record_proxy(
        client, staff["facilitator"], round_id, "3号楼2单元102", holder_name="张 三"
    )
    assert (by_name.status_code, by_name.json()["code"]) == (409, "proxy-limit")
    by_label = await record_proxy(
        client,
        staff["facilitator"],
        round_id,
        "3号楼2单元102",
        holder_label="３号楼２单元２０１",
        holder_name="李四",
    )
    assert (by_label.status_code, by_label.json()["code"]) == (409, "proxy-limit")
    other = await record_proxy(
        client, staff["facilitator"], round_id, "3号楼2单元102", holder_name="李四"
    )
    assert other.status_code == 201, other.text
    limit = await client.put(
        f"/api/v1/rounds/{round_id}/proxy-limit", json={"limit": 2}, headers=staff["facilitator"]
    )
    assert limit.status_code == 200
    named = await record_proxy(
        client, staff["facilitator"], round_id, "3号楼2单元202", holder_name="张三"
    )
    assert named.status_code == 201, named.text
    lower = await client.put(
        f"/api/v1/rounds/{round_id}/proxy-limit", json={"limit": 1}, headers=staff["facilitator"]
    )
    assert (lower.status_code, lower.json()["code"]) == (409, "proxy-limit-below-held")


async def test_the_limit_is_fixed_once_voting_opens(client, db, staff):
    round_id, _ = await _round(client, db, staff, phase="voting")
    fixed = await client.put(
        f"/api/v1/rounds/{round_id}/proxy-limit", json={"limit": 3}, headers=staff["facilitator"]
    )
    assert (fixed.status_code, fixed.json()["code"]) == (409, "proxy-limit-fixed")


async def test_refusals(client, db, staff):
    round_id, codes = await _round(client, db, staff)
    itself = await record_proxy(
        client, staff["facilitator"], round_id, "3号楼2单元101", holder_label="3号楼 2单元 １０１"
    )
    assert (itself.status_code, itself.json()["code"]) == (422, "proxy-to-itself")
    nobody = await record_proxy(client, staff["facilitator"], round_id, "3号楼2单元101")
    assert (nobody.status_code, nobody.json()["code"]) == (422, "proxy-holder-required")
    unknown = await record_proxy(
        client, staff["facilitator"], round_id, "9号楼101", holder_name="甲"
    )
    assert (unknown.status_code, unknown.json()["code"]) == (404, "proxy-grantor-unknown")
    paperless = await record_proxy(
        client, staff["facilitator"], round_id, "3号楼2单元101", holder_name="甲", serial=""
    )
    assert (paperless.status_code, paperless.json()["code"]) == (
        422,
        "proxy-authorisation-required",
    )
    assert (
        await cast(client, round_id, codes["3号楼2单元102"], ranked("文化墙"))
    ).status_code == 201
    voted = await record_proxy(
        client, staff["facilitator"], round_id, "3号楼2单元102", holder_name="乙"
    )
    assert (voted.status_code, voted.json()["code"]) == (409, "proxy-grantor-voted")
    made = await record_proxy(
        client, staff["facilitator"], round_id, "3号楼2单元101", holder_name="丙"
    )
    assert made.status_code == 201
    twice = await record_proxy(
        client, staff["facilitator"], round_id, "3号楼2单元101", holder_name="丁"
    )
    assert (twice.status_code, twice.json()["code"]) == (409, "proxy-already-granted")
    plain = await make_round(db)
    other = await record_proxy(client, staff["facilitator"], plain, "1-101", holder_name="甲")
    assert (other.status_code, other.json()["code"]) == (409, "proxy-not-household-round")
    assert (
        await client.get(f"/api/v1/rounds/{round_id}/proxies", headers=staff["grid_worker"])
    ).status_code == 403


async def test_a_proxy_vote_is_counted_once_the_grantors_code_is_used(client, db, staff):
    round_id, codes = await _round(client, db, staff)
    made = await record_proxy(
        client,
        staff["facilitator"],
        round_id,
        "3号楼2单元101",
        holder_name="王芳",
        photo=phone_photo(800, 600),
    )
    assert made.status_code == 201, made.text
    assert made.json()["used"] is False
    turnout = (
        await client.get(f"/api/v1/rounds/{round_id}/turnout", headers=staff["secretary"])
    ).json()
    assert (turnout["proxies"], turnout["proxy_votes"]) == (1, 0)
    # the holder votes with the grantor household's own code
    assert (
        await cast(client, round_id, codes["3号楼2单元101"], ranked("健身器材"))
    ).status_code == 201
    turnout = (
        await client.get(f"/api/v1/rounds/{round_id}/turnout", headers=staff["secretary"])
    ).json()
    assert (turnout["proxies"], turnout["proxy_votes"]) == (1, 1)
    listed = (
        await client.get(f"/api/v1/rounds/{round_id}/proxies", headers=staff["facilitator"])
    ).json()
    assert listed["proxies"][0]["used"] is True
    revoke = await client.post(
        f"/api/v1/rounds/{round_id}/proxies/{made.json()['id']}/revoke",
        json={"reason": "写错了"},
        headers=staff["facilitator"],
    )
    assert (revoke.status_code, revoke.json()["code"]) == (409, "proxy-grantor-voted")
    photo = await client.get(made.json()["photo_url"], headers=staff["secretary"])
    assert photo.status_code == 200
    assert photo.headers["content-type"] == "image/jpeg"
    assert not metadata_left(photo.content)
    assert (
        await client.get(made.json()["photo_url"], headers=staff["grid_worker"])
    ).status_code == 403
    event = await db.scalar(select(AuditEvent).where(AuditEvent.action == "proxy.recorded"))
    assert "王芳" not in repr(event.detail)


async def test_the_photos_are_deleted_when_the_round_is_published(client, db, staff):
    """Closed, the photo is still there (a count may be questioned); published, it is gone
    and the proxy keeps that there was one."""
    round_id, codes = await _round(client, db, staff)
    made = await record_proxy(
        client,
        staff["facilitator"],
        round_id,
        "3号楼2单元101",
        holder_name="王芳",
        photo=phone_photo(800, 600),
    )
    assert made.status_code == 201, made.text
    plain = await record_proxy(
        client, staff["facilitator"], round_id, "3号楼2单元102", holder_name="李"
    )
    assert plain.status_code == 201, plain.text
    assert (
        await cast(client, round_id, codes["3号楼2单元101"], ranked("健身器材"))
    ).status_code == 201
    await close(db, round_id)
    url = made.json()["photo_url"]
    assert (await client.get(url, headers=staff["secretary"])).status_code == 200
    published = await to_phase(client, staff["facilitator"], round_id, "published")
    assert published.status_code == 200, published.text
    rows = (
        await db.scalars(select(Proxy).order_by(Proxy.id).execution_options(populate_existing=True))
    ).all()
    assert [(p.photo, p.photo_deleted_at is not None) for p in rows] == [
        (None, True),
        (None, False),
    ]
    gone = await client.get(url, headers=staff["secretary"])
    assert (gone.status_code, gone.json()["code"]) == (404, "not-found")
    assert "已在本轮公布" in gone.json()["message_zh"]
    listed = (
        await client.get(f"/api/v1/rounds/{round_id}/proxies", headers=staff["facilitator"])
    ).json()["proxies"]
    assert (listed[0]["photo_url"], listed[0]["photo_deleted_at"] is not None) == (None, True)
    assert listed[1]["photo_deleted_at"] is None
    event = await db.scalar(select(AuditEvent).where(AuditEvent.action == "round.published"))
    assert event.detail["proxy_photos_deleted"] == 1
    use_session(client, staff["facilitator"])
    page = await client.get(f"/console/rounds/{round_id}/proxies")
    assert "照片已在公布时删除" in page.text


async def test_the_photos_are_deleted_when_the_round_is_cancelled(client, db, staff):
    round_id, _ = await _round(client, db, staff, phase="scheduled")
    made = await record_proxy(
        client,
        staff["facilitator"],
        round_id,
        "3号楼2单元101",
        photo=phone_photo(400, 300),
        holder_name="王芳",
    )
    assert made.status_code == 201, made.text
    cancelled = await client.post(
        f"/api/v1/rounds/{round_id}/cancel", json={"reason": "改期"}, headers=staff["facilitator"]
    )
    assert cancelled.status_code == 200, cancelled.text
    row = await db.scalar(select(Proxy).execution_options(populate_existing=True))
    assert (row.photo, row.photo_deleted_at is not None) == (None, True)


async def test_a_revoked_proxy_frees_its_holder(client, db, staff):
    round_id, _ = await _round(client, db, staff)
    made = await record_proxy(
        client,
        staff["facilitator"],
        round_id,
        "3号楼2单元101",
        holder_name="王 芳",
        photo=png(),
        serial="",
    )
    assert made.status_code == 201, made.text
    revoked = await client.post(
        f"/api/v1/rounds/{round_id}/proxies/{made.json()['id']}/revoke",
        json={"reason": "户主本人到场"},
        headers=staff["secretary"],
    )
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["revoke_reason"] == "户主本人到场"
    again = await record_proxy(
        client, staff["facilitator"], round_id, "3号楼2单元102", holder_name="王芳"
    )
    assert again.status_code == 201, again.text
    turnout = (
        await client.get(f"/api/v1/rounds/{round_id}/turnout", headers=staff["secretary"])
    ).json()
    assert turnout["proxies"] == 1


def test_no_column_joins_a_proxy_to_a_ballot():
    proxies = Base.metadata.tables["proxies"]
    targets = {fk.column.table.name for fk in proxies.foreign_keys}
    assert targets == {"rounds", "households", "users"}
    assert not {"voter_code_id", "code_id", "envelope_id", "ballot_id", "tracker"} & set(
        proxies.c.keys()
    )
    for name in ("envelopes", "box_parts", "voter_codes", "households"):
        table = Base.metadata.tables[name]
        assert not any(fk.column.table.name == "proxies" for fk in table.foreign_keys), name
    assert Proxy.__tablename__ == "proxies"


async def test_the_record_shows_the_proxies_of_a_household_round(client, db, staff, tmp_path):
    round_id, codes = await _round(client, db, staff)
    for grantor, holder in (("3号楼2单元101", "王芳"), ("3号楼2单元202", "李梅")):
        made = await record_proxy(
            client, staff["facilitator"], round_id, grantor, holder_name=holder
        )
        assert made.status_code == 201, made.text
    for label in ("3号楼2单元101", "3号楼2单元102"):
        assert (await cast(client, round_id, codes[label], ranked("文化墙"))).status_code == 201
    await close(db, round_id)
    secretary = staff["secretary"]
    bundle = await client.get(f"/api/v1/rounds/{round_id}/exports/json", headers=secretary)
    assert bundle.status_code == 200, bundle.text[:300]
    turnout = bundle.json()["rounds"][0]["turnout"]
    assert (turnout["proxies"], turnout["proxy_votes"]) == (2, 1)
    pdf = await client.get(f"/api/v1/rounds/{round_id}/exports/pdf", headers=secretary)
    assert pdf.status_code == 200
    said = "".join(pdf_text(pdf.content, tmp_path).split())
    assert "委托代投1户（授权2份）" in said
    sheet = await client.get(f"/api/v1/rounds/{round_id}/exports/xlsx", headers=secretary)
    assert sheet.status_code == 200
    rows = [
        [c for c in row if c is not None]
        for ws in load_workbook(io.BytesIO(sheet.content)).worksheets
        for row in ws.iter_rows(values_only=True)
    ]
    assert ["委托代投", "1 户（授权 2 份）"] in rows


async def test_a_round_without_households_keeps_its_record_as_it_was(client, db, staff):
    round_id = await make_round(db)
    codes = (
        await client.post(
            f"/api/v1/rounds/{round_id}/codes", json={"count": 1}, headers=staff["facilitator"]
        )
    ).json()["codes"]
    assert (await cast(client, round_id, codes[0]["code"], ranked("文化墙"))).status_code == 201
    await close(db, round_id)
    bundle = await client.get(f"/api/v1/rounds/{round_id}/exports/json", headers=staff["secretary"])
    assert "proxies" not in bundle.json()["rounds"][0]["turnout"]
