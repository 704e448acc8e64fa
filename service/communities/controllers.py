"""Communities and grids: the admin creates them, every staff member reads them."""

from __future__ import annotations

from litestar import Controller, get, patch, post
from litestar.params import FromPath, JSONBody
from msgspec import UNSET
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from service.audit import record
from service.auth.guard import STAFF, Actor, roles
from service.auth.scope import reachable_communities
from service.communities.schemas import (
    Community,
    CommunityCreate,
    CommunityUpdate,
    Grid,
    GridCreate,
)
from service.db import models
from service.deps import DB, Caller
from service.errors import Conflict, NotFound
from service.openapi.responses import refusals
from service.zones import DEFAULT_ZONE

TIME_ZONE_REFUSED = refusals(
    {422: "`unknown-time-zone`: `time_zone` is not a zone of the IANA database"}
)


async def find_community(db: AsyncSession, community_id: int) -> models.Community:
    community = await db.get(models.Community, community_id)
    if community is None:
        raise NotFound("no-community", community_id=community_id)
    return community


async def all_communities(
    db: AsyncSession, reach: set[int] | None = None
) -> list[models.Community]:
    """Every community, in the order they were created; only those in ``reach`` unless it
    is ``None`` (:func:`service.auth.scope.reachable_communities`)."""
    query = select(models.Community).order_by(models.Community.id)
    if reach is not None:
        query = query.where(models.Community.id.in_(sorted(reach)))
    return list((await db.scalars(query)).all())


async def community_out(db: AsyncSession, community: models.Community) -> Community:
    grids = (
        await db.scalars(
            select(models.Grid)
            .where(models.Grid.community_id == community.id)
            .order_by(models.Grid.id)
        )
    ).all()
    return Community(
        id=community.id,
        name=community.name,
        time_zone=community.time_zone,
        grids=[Grid(id=g.id, name=g.name) for g in grids],
    )


async def zone_of_community(db: AsyncSession, community_id: int) -> str:
    """The time zone a community's times are shown in."""
    found = await db.scalar(
        select(models.Community.time_zone).where(models.Community.id == community_id)
    )
    return found or DEFAULT_ZONE


async def zone_of_process(db: AsyncSession, process_id: int) -> str:
    """The time zone of the community a process belongs to."""
    found = await db.scalar(
        select(models.Community.time_zone)
        .join(models.Process, models.Process.community_id == models.Community.id)
        .where(models.Process.id == process_id)
    )
    return found or DEFAULT_ZONE


async def change_community(
    db: AsyncSession, community_id: int, data: CommunityUpdate, actor: Actor
) -> models.Community:
    """Rename a community or set its time zone (audited when something changed)."""
    community = await find_community(db, community_id)
    changed: dict[str, str] = {}
    if data.name is not UNSET and data.name != community.name:
        await taken(db, data.name, but=community_id)
        community.name = changed["name"] = data.name
    if data.time_zone is not UNSET and data.time_zone != community.time_zone:
        community.time_zone = changed["time_zone"] = data.time_zone
    if changed:
        record(db, actor, "community.updated", "community", community_id, **changed)
    return community


async def taken(db: AsyncSession, name: str, but: int | None = None) -> None:
    """409 if another community has this name."""
    query = select(models.Community.id).where(models.Community.name == name)
    if but is not None:
        query = query.where(models.Community.id != but)
    if await db.scalar(query) is not None:
        raise Conflict("community-name-taken", field="name", name=name)


class CommunityController(Controller):
    path = "/api/v1/communities"
    tags = ["communities"]

    @get("/", opt=roles(*STAFF))
    async def list_communities(self, db: DB, actor: Caller) -> list[Community]:
        """The communities the caller reaches (every one for an admin or an untied
        account)."""
        reach = await reachable_communities(db, actor)
        return [await community_out(db, c) for c in await all_communities(db, reach)]

    @post("/", opt=roles("admin"), responses=TIME_ZONE_REFUSED)
    async def create_community(
        self, db: DB, data: JSONBody[CommunityCreate], actor: Caller
    ) -> Community:
        await taken(db, data.name)
        community = models.Community(name=data.name, time_zone=data.time_zone)
        db.add(community)
        await db.flush()
        record(
            db,
            actor,
            "community.created",
            "community",
            community.id,
            name=data.name,
            time_zone=data.time_zone,
        )
        return await community_out(db, community)

    @patch("/{community_id:int}", opt=roles("admin"), responses=TIME_ZONE_REFUSED)
    async def update_community(
        self, db: DB, community_id: FromPath[int], data: JSONBody[CommunityUpdate], actor: Caller
    ) -> Community:
        """Rename a community or set the time zone its pages and records show times in."""
        return await community_out(db, await change_community(db, community_id, data, actor))

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
