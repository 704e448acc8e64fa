"""Streets and grid party branches in the database: made by an admin, read by the staff
who reach them (:mod:`service.auth.scope`)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from service.audit import record
from service.auth.guard import Actor
from service.communities.controllers import find_community
from service.db import models
from service.db.street import GridBranch
from service.db.street import Street as StreetRow
from service.errors import Conflict, Invalid, NotFound
from service.streets import schemas


async def find_street(db: AsyncSession, street_id: int) -> StreetRow:
    street = await db.get(StreetRow, street_id)
    if street is None:
        raise NotFound("no-street", street_id=street_id)
    return street


async def street_out(db: AsyncSession, street: StreetRow) -> schemas.Street:
    communities = await db.execute(
        select(models.Community.id, models.Community.name)
        .where(models.Community.street_id == street.id)
        .order_by(models.Community.name, models.Community.id)
    )
    return schemas.Street(
        id=street.id,
        name=street.name,
        time_zone=street.time_zone,
        created_at=street.created_at,
        communities=[schemas.StreetCommunity(id=c.id, name=c.name) for c in communities],
    )


async def create_street(db: AsyncSession, actor: Actor, data: schemas.StreetCreate) -> StreetRow:
    taken = await db.scalar(select(StreetRow.id).where(StreetRow.name == data.name))
    if taken is not None:
        raise Conflict("street-name-taken", name=data.name)
    street = StreetRow(name=data.name, time_zone=data.time_zone)
    db.add(street)
    await db.flush()
    record(db, actor, "street.created", "street", street.id, name=street.name)
    return street


async def list_streets(db: AsyncSession, actor: Actor) -> list[schemas.Street]:
    """Every street for an admin; a street account's own street only."""
    query = select(StreetRow).order_by(StreetRow.id)
    if actor.role != "admin":
        query = query.where(StreetRow.id == actor.street_id)
    return [await street_out(db, s) for s in await db.scalars(query)]


async def place_community(
    db: AsyncSession, actor: Actor, community_id: int, street_id: int | None
) -> schemas.Street | None:
    """Put a community under a street (or under none)."""
    community = await find_community(db, community_id)
    street = None if street_id is None else await find_street(db, street_id)
    community.street_id = street_id
    record(db, actor, "community.street", "community", community.id, street_id=street_id)
    await db.flush()
    return None if street is None else await street_out(db, street)


async def _grids_of(db: AsyncSession, branch_ids: Sequence[int]) -> dict[int, list[int]]:
    rows = await db.execute(
        select(models.Grid.branch_id, models.Grid.id)
        .where(models.Grid.branch_id.in_(branch_ids))
        .order_by(models.Grid.id)
    )
    found: dict[int, list[int]] = {b: [] for b in branch_ids}
    for branch_id, grid_id in rows:
        if branch_id is not None:
            found[branch_id].append(grid_id)
    return found


async def branches_of(db: AsyncSession, community_id: int) -> list[schemas.Branch]:
    await find_community(db, community_id)
    rows = (
        await db.scalars(
            select(GridBranch)
            .where(GridBranch.community_id == community_id)
            .order_by(GridBranch.id)
        )
    ).all()
    grids = await _grids_of(db, [b.id for b in rows])
    return [
        schemas.Branch(id=b.id, community_id=b.community_id, name=b.name, grid_ids=grids[b.id])
        for b in rows
    ]


async def _own_grid(db: AsyncSession, grid_id: int, community_id: int) -> models.Grid:
    grid = await db.get(models.Grid, grid_id)
    if grid is None or grid.community_id != community_id:
        raise Invalid(
            "grid-of-another-community",
            field="grid_ids",
            grid_id=grid_id,
            community_id=community_id,
        )
    return grid


async def create_branch(
    db: AsyncSession, actor: Actor, community_id: int, data: schemas.BranchCreate
) -> schemas.Branch:
    """A grid party branch of the community, covering the grids named."""
    await find_community(db, community_id)
    taken = await db.scalar(
        select(GridBranch.id).where(
            GridBranch.community_id == community_id, GridBranch.name == data.name
        )
    )
    if taken is not None:
        raise Conflict("branch-name-taken", name=data.name)
    grids = [await _own_grid(db, g, community_id) for g in dict.fromkeys(data.grid_ids)]
    branch = GridBranch(community_id=community_id, name=data.name)
    db.add(branch)
    await db.flush()
    for grid in grids:
        grid.branch_id = branch.id
    record(db, actor, "branch.created", "branch", branch.id, grids=[g.id for g in grids])
    return schemas.Branch(
        id=branch.id, community_id=community_id, name=branch.name, grid_ids=[g.id for g in grids]
    )


async def place_grid(
    db: AsyncSession, actor: Actor, grid_id: int, branch_id: int | None
) -> schemas.Branch | None:
    """The branch that covers a grid: one of the grid's own community (or none)."""
    grid = await db.get(models.Grid, grid_id)
    if grid is None:
        raise NotFound("no-grid", grid_id=grid_id)
    branch = None
    if branch_id is not None:
        branch = await db.get(GridBranch, branch_id)
        if branch is None or branch.community_id != grid.community_id:
            raise Invalid("branch-of-another-community", field="branch_id", branch_id=branch_id)
    grid.branch_id = branch_id
    record(db, actor, "grid.branch", "grid", grid.id, branch_id=branch_id)
    await db.flush()
    if branch is None:
        return None
    grids = await _grids_of(db, [branch.id])
    return schemas.Branch(
        id=branch.id, community_id=branch.community_id, name=branch.name, grid_ids=grids[branch.id]
    )
