"""The team in the database: listing a community's members, adding one, changing one.
Each change is audited by the member's id and what changed — never the name or the phone
number, which are personal data."""

from __future__ import annotations

from typing import Any, cast

from msgspec import UNSET, structs
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from service.audit import record
from service.auth.guard import Actor
from service.communities.controllers import find_community
from service.db import models
from service.db.street import TeamMember as MemberRow
from service.errors import Invalid, NotFound
from service.team.schemas import TeamMember, TeamMemberCreate, TeamMemberUpdate, TeamRole


async def find_member(db: AsyncSession, member_id: int) -> MemberRow:
    member = await db.get(MemberRow, member_id)
    if member is None:
        raise NotFound("no-team-member", member_id=member_id)
    return member


async def _grid_names(db: AsyncSession, community_id: int) -> dict[int, str]:
    rows = await db.execute(
        select(models.Grid.id, models.Grid.name).where(models.Grid.community_id == community_id)
    )
    return {grid_id: name for grid_id, name in rows}


def member_out(row: MemberRow, grids: dict[int, str]) -> TeamMember:
    return TeamMember(
        id=row.id,
        community_id=row.community_id,
        name=row.name,
        role=cast(TeamRole, row.role),
        grid_id=row.grid_id,
        grid=grids.get(row.grid_id) if row.grid_id is not None else None,
        phone=row.phone,
        phone_public=row.phone_public,
        consent_on=row.consent_on,
        active=row.active,
    )


async def team_of(db: AsyncSession, community_id: int) -> list[TeamMember]:
    """The community's members, active first, then by grid (none first) and name, in code
    point order on every database (404 for no such community)."""
    await find_community(db, community_id)
    grids = await _grid_names(db, community_id)
    rows = await db.scalars(select(MemberRow).where(MemberRow.community_id == community_id))
    ordered = sorted(rows, key=lambda r: (not r.active, r.grid_id or 0, r.name, r.id))
    return [member_out(row, grids) for row in ordered]


def _check(row: MemberRow, grids: dict[int, str]) -> None:
    """The rules a member must keep after any change: a grid of its own community, and a
    number shown publicly only with a number and the day of consent."""
    if row.grid_id is not None and row.grid_id not in grids:
        raise Invalid("team-grid-elsewhere", field="grid_id", grid_id=row.grid_id)
    if row.phone_public and row.consent_on is None:
        raise Invalid("team-consent-required", field="consent_on")
    if row.phone_public and not row.phone.strip():
        raise Invalid("team-phone-required", field="phone")


async def add_member(
    db: AsyncSession, community_id: int, data: TeamMemberCreate, actor: Actor
) -> TeamMember:
    """Add a member to the community's team (audited without name or phone)."""
    await find_community(db, community_id)
    grids = await _grid_names(db, community_id)
    row = MemberRow(community_id=community_id, **structs.asdict(data))
    row.phone = row.phone.strip()
    _check(row, grids)
    db.add(row)
    await db.flush()
    record(
        db,
        actor,
        "team.member_added",
        "team_member",
        row.id,
        community_id=community_id,
        role=row.role,
        grid_id=row.grid_id,
        phone_public=row.phone_public,
    )
    return member_out(row, grids)


async def change_member(
    db: AsyncSession, member_id: int, data: TeamMemberUpdate, actor: Actor
) -> TeamMember:
    """Change a member, or deactivate them (``active`` false); audited by the names of the
    fields changed (and the new role, grid and publishing, which are not personal)."""
    row = await find_member(db, member_id)
    grids = await _grid_names(db, row.community_id)
    changed: dict[str, Any] = {}
    for field, value in structs.asdict(data).items():
        if value is UNSET:
            continue
        if field == "phone":
            value = value.strip()
        if getattr(row, field) != value:
            setattr(row, field, value)
            changed[field] = value
    if not changed:
        return member_out(row, grids)
    _check(row, grids)
    shown = {k: v for k, v in changed.items() if k in ("role", "grid_id", "phone_public", "active")}
    record(
        db,
        actor,
        "team.member_changed",
        "team_member",
        row.id,
        fields=sorted(changed),
        **shown,
    )
    return member_out(row, grids)
