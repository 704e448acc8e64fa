"""Streets and grid party branches over HTTP, on every database: an admin makes a street,
puts a community under it and makes a branch covering grids; a street account lists its own
street only; the request pages send each role home after signing in."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from service.db.models import Community, Grid
from tests.support.app import PASSWORD, make_staff, ok
from tests.support.pages import post_form, token_from
from tests.support.phone_photos import phone_photo


async def test_streets_and_branches(
    client: Any, db: AsyncSession, staff: dict[str, dict[str, str]]
) -> None:
    admin = staff["admin"]
    duji, gaoyue = Community(name="杜集社区"), Community(name="高岳社区")
    db.add_all([duji, gaoyue])
    await db.flush()
    grids = [Grid(community_id=duji.id, name=n) for n in ("第一网格", "第二网格")]
    far = Grid(community_id=gaoyue.id, name="一网格")
    db.add_all([*grids, far])
    await db.commit()

    street = await ok(
        await client.post("/api/v1/streets", json={"name": "矿山集街道"}, headers=admin), 201
    )
    other = await ok(
        await client.post("/api/v1/streets", json={"name": "相山街道"}, headers=admin), 201
    )
    again = await client.post("/api/v1/streets", json={"name": "矿山集街道"}, headers=admin)
    assert (again.status_code, again.json()["code"]) == (409, "street-name-taken")
    placed = await ok(
        await client.put(
            f"/api/v1/communities/{duji.id}/street", json={"street_id": street["id"]}, headers=admin
        )
    )
    assert placed["communities"] == [{"id": duji.id, "name": "杜集社区"}]
    mine = await make_staff(db, "street", "ksj", street_id=street["id"])
    assert [s["name"] for s in await ok(await client.get("/api/v1/streets", headers=mine))] == [
        "矿山集街道"
    ]
    assert len(await ok(await client.get("/api/v1/streets", headers=admin))) == 2
    assert (await client.get(f"/api/v1/streets/{other['id']}", headers=mine)).status_code == 403

    branch = await ok(
        await client.post(
            f"/api/v1/communities/{duji.id}/branches",
            json={"name": "第一网格党支部", "grid_ids": [grids[0].id]},
            headers=admin,
        ),
        201,
    )
    assert branch["grid_ids"] == [grids[0].id]
    moved = await ok(
        await client.put(
            f"/api/v1/grids/{grids[1].id}/branch", json={"branch_id": branch["id"]}, headers=admin
        )
    )
    assert moved["grid_ids"] == [grids[0].id, grids[1].id]
    foreign = await client.put(
        f"/api/v1/grids/{far.id}/branch", json={"branch_id": branch["id"]}, headers=admin
    )
    assert (foreign.status_code, foreign.json()["field"]) == (422, "branch_id")
    listed = await ok(await client.get(f"/api/v1/communities/{duji.id}/branches", headers=mine))
    assert [(b["name"], b["grid_ids"]) for b in listed] == [
        ("第一网格党支部", [grids[0].id, grids[1].id])
    ]
    outside = await client.get(f"/api/v1/communities/{gaoyue.id}/branches", headers=mine)
    assert outside.status_code == 403


async def test_each_role_signs_in_to_its_home_and_logs_from_the_phone_form(
    client: Any, db: AsyncSession
) -> None:
    duji = Community(name="杜集社区")
    db.add(duji)
    await db.flush()
    grid = Grid(community_id=duji.id, name="第三网格")
    db.add(grid)
    await db.commit()
    await make_staff(db, "grid_worker", "wang", community_id=duji.id)
    await make_staff(db, "street", "zhao")  # untied: an installation without streets yet
    token = await token_from(client, "/console/login")
    homes = {}
    for username in ("wang", "zhao"):
        signed = await post_form(
            client,
            "/console/login",
            {"username": username, "password": PASSWORD, "next": "/console"},
            token=token,
            follow_redirects=False,
        )
        homes[username] = signed.headers["location"]
    assert homes == {"wang": "/console/requests", "zhao": "/street"}

    # signed in as the grid worker now (the last sign-in was the street account's: again)
    signed = await post_form(
        client,
        "/console/login",
        {"username": "wang", "password": PASSWORD, "next": "/console"},
        token=token,
        follow_redirects=False,
    )
    form = await client.get("/console/requests/new")
    assert 'capture="environment"' in form.text
    assert "第三网格" in form.text
    made = await client.post(
        "/console/requests",
        data={
            "_csrf_token": token,
            "community": str(duji.id),
            "body": "路灯不亮",
            "place": "5号楼北侧",
            "grid": str(grid.id),
            "category": "facilities",
            "raised_by": "",
        },
        files={"photo": ("IMG_2.JPG", phone_photo(320, 240), "image/jpeg")},
        follow_redirects=False,
    )
    assert made.status_code == 303, made.text[:400]
    listed = await client.get(made.headers["location"])
    assert "路灯不亮" in listed.text
    assert "公共设施" in listed.text
    rows = await ok(await client.get(f"/api/v1/communities/{duji.id}/requests?stage=open"))
    assert [(r["place"], r["grid_id"], r["category"]) for r in rows] == [
        ("5号楼北侧", grid.id, "facilities")
    ]
    detail = await ok(await client.get(f"/api/v1/requests/{rows[0]['id']}"))
    assert len(detail["photos"]) == 1
    page = await client.get(f"/console/requests/{rows[0]['id']}")
    assert detail["photos"][0]["url"] in page.text
    assert "现场办结并销号" in page.text
    assert signed.status_code == 303
