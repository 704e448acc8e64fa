"""Communities and grids: the admin creates them, every staff member reads them."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.params import FromPath, JSONBody
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from service.audit import record
from service.auth.guard import STAFF, roles
from service.communities.schemas import Community, CommunityCreate, Grid, GridCreate
from service.db import models
from service.deps import DB, Caller
from service.errors import Conflict, NotFound


async def find_community(db: AsyncSession, community_id: int) -> models.Community:
    community = await db.get(models.Community, community_id)
    if community is None:
        raise NotFound(
            f"there is no community {community_id}", zh=f"没有编号为 {community_id} 的社区"
        )
    return community


async def community_out(db: AsyncSession, community: models.Community) -> Community:
    grids = (
        await db.scalars(
            select(models.Grid)
            .where(models.Grid.community_id == community.id)
            .order_by(models.Grid.id)
        )
    ).all()
    return Community(
        id=community.id, name=community.name, grids=[Grid(id=g.id, name=g.name) for g in grids]
    )


class CommunityController(Controller):
    path = "/api/v1/communities"
    tags = ["communities"]

    @get("/", opt=roles(*STAFF))
    async def list_communities(self, db: DB) -> list[Community]:
        rows = (await db.scalars(select(models.Community).order_by(models.Community.id))).all()
        return [await community_out(db, c) for c in rows]

    @post("/", opt=roles("admin"))
    async def create_community(
        self, db: DB, data: JSONBody[CommunityCreate], actor: Caller
    ) -> Community:
        taken = await db.scalar(
            select(models.Community.id).where(models.Community.name == data.name)
        )
        if taken is not None:
            raise Conflict(
                f"a community named {data.name!r} exists",
                field="name",
                zh=f"已有名为 {data.name} 的社区",
            )
        community = models.Community(name=data.name)
        db.add(community)
        await db.flush()
        record(db, actor, "community.created", "community", community.id, name=data.name)
        return Community(id=community.id, name=community.name, grids=[])

    @get("/{community_id:int}", opt=roles(*STAFF))
    async def get_community(self, db: DB, community_id: FromPath[int]) -> Community:
        return await community_out(db, await find_community(db, community_id))

    @post("/{community_id:int}/grids", opt=roles("admin"))
    async def create_grid(
        self, db: DB, community_id: FromPath[int], data: JSONBody[GridCreate], actor: Caller
    ) -> Grid:
        await find_community(db, community_id)
        grid = models.Grid(community_id=community_id, name=data.name)
        db.add(grid)
        await db.flush()
        record(db, actor, "grid.created", "grid", grid.id, community_id=community_id)
        return Grid(id=grid.id, name=grid.name)
