"""Each grid's card "有事请找我" on the public board: the grid, its party branch, and its
active team members by role. A member's phone number is put on the card only when the
member consented to its publication (``phone_public`` with ``consent_on``); otherwise the
card never holds it, so the page cannot show or hide it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from service.db import models
from service.db.street import TEAM_ROLES, GridBranch
from service.db.street import TeamMember as MemberRow


@dataclass(frozen=True, slots=True)
class CardMember:
    name: str
    phone: str | None
    """Only a number the member agreed to publish."""


@dataclass(frozen=True, slots=True)
class GridCard:
    grid: str
    branch: str | None
    """The grid party branch (网格党支部) covering the grid, if any."""
    roles: list[tuple[str, list[CardMember]]]
    """(role, members) in the order of :data:`TEAM_ROLES`, roles with nobody left out."""


def published_phone(row: MemberRow) -> str | None:
    """The member's number if they consented to its publication, else ``None``."""
    if row.phone_public and row.consent_on is not None and row.phone.strip():
        return row.phone.strip()
    return None


async def grid_cards(db: AsyncSession, community_id: int) -> list[GridCard]:
    """The community's grids in order, each with its branch and active members."""
    grids = (
        await db.execute(
            select(models.Grid.id, models.Grid.name, GridBranch.name)
            .outerjoin(GridBranch, GridBranch.id == models.Grid.branch_id)
            .where(models.Grid.community_id == community_id)
            .order_by(models.Grid.id)
        )
    ).all()
    members = await db.scalars(
        select(MemberRow).where(MemberRow.community_id == community_id, MemberRow.active.is_(True))
    )
    by_grid: dict[int, dict[str, list[CardMember]]] = {}
    for row in sorted(members, key=lambda r: (r.name, r.id)):  # the same on every database
        if row.grid_id is not None:
            by_grid.setdefault(row.grid_id, {}).setdefault(row.role, []).append(
                CardMember(row.name, published_phone(row))
            )
    return [
        GridCard(
            grid=name,
            branch=branch,
            roles=[
                (role, by_grid[grid_id][role])
                for role in TEAM_ROLES
                if role in by_grid.get(grid_id, {})
            ],
        )
        for grid_id, name, branch in grids
    ]
