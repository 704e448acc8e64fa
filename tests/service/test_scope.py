"""Accounts tied to a community or a street reach only what is theirs (service.auth.scope):
a path naming a row of another community is refused with 403 ``outside-reach`` before the
handler runs; untied accounts (and admins) reach every community."""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from service.db.models import Community, Process
from service.db.street import Street
from tests.support.app import make_staff


async def two_communities(db: AsyncSession) -> tuple[int, int, int, int, int]:
    """Street 1 with community A; community B on no street; one process in each."""
    street = Street(name="矿山集街道")
    db.add(street)
    await db.flush()
    a = Community(name="杜集社区", street_id=street.id)
    b = Community(name="高岳社区")
    db.add_all([a, b])
    await db.flush()
    pa = Process(community_id=a.id, title="口袋公园")
    pb = Process(community_id=b.id, title="积水路段")
    db.add_all([pa, pb])
    await db.commit()
    return street.id, a.id, b.id, pa.id, pb.id


async def test_a_tied_facilitator_reaches_only_their_community(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    _, a, b, pa, pb = await two_communities(db)
    tied = await make_staff(db, "facilitator", "tied", community_id=a)
    free = await make_staff(db, "facilitator", "free")
    own = await client.get(f"/api/v1/processes/{pa}", headers=tied)
    assert own.status_code == 200, own.text
    other = await client.get(f"/api/v1/processes/{pb}", headers=tied)
    assert other.status_code == 403
    assert other.json()["code"] == "forbidden"
    assert "不在您负责的社区或街道范围内" in other.json()["message_zh"]
    listed = await client.get(f"/api/v1/communities/{b}/processes", headers=tied)
    assert listed.status_code == 403
    for process in (pa, pb):
        assert (await client.get(f"/api/v1/processes/{process}", headers=free)).status_code == 200
    missing = await client.get("/api/v1/processes/999", headers=tied)
    assert missing.status_code == 404  # no row: the handler's own answer


async def test_accounts_are_tied_as_their_role_allows(
    client: AsyncTestClient[Any], db: AsyncSession, staff: dict[str, dict[str, str]]
) -> None:
    street, a, _, _, _ = await two_communities(db)
    base = {"display_name": "街道 王", "password": "long-enough-password"}
    cases: list[tuple[dict[str, Any], int, str | None]] = [
        ({"username": "s1", "role": "street"}, 422, "street_id"),
        ({"username": "s2", "role": "street", "street_id": street, "community_id": a}, 422, None),
        ({"username": "s3", "role": "facilitator", "street_id": street}, 422, "street_id"),
        ({"username": "s4", "role": "admin", "community_id": a}, 422, "community_id"),
        ({"username": "s5", "role": "street", "street_id": 999}, 404, None),
        ({"username": "s6", "role": "street", "street_id": street}, 201, None),
        ({"username": "s7", "role": "grid_worker", "community_id": a}, 201, None),
    ]
    for body, status, field in cases:
        answer = await client.post("/api/v1/users", json={**base, **body}, headers=staff["admin"])
        assert answer.status_code == status, (body, answer.text)
        if field is not None:
            assert answer.json()["field"] == field
        if status == 201:
            made = answer.json()
            assert (made["community_id"], made["street_id"]) == (
                body.get("community_id"),
                body.get("street_id"),
            )
