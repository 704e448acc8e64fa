"""What the facilitator's console shows of meetings, read through one place: the
communities the caller reaches with their meetings, today's meetings (each community's
today in its own zone), one meeting whole, and what its agenda may take."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from service.auth.scope import Account, reachable_communities
from service.communities.controllers import all_communities, find_community
from service.db import models
from service.db.street import Meeting
from service.meetings import agenda, attendance, schemas
from service.meetings import repository as repo
from service.photos.store import photos_of
from service.zones import today


async def meeting_detail(db: AsyncSession, meeting_id: int) -> schemas.MeetingDetail:
    """The meeting with its agenda, attendance, photos and minutes."""
    meeting = await repo.find_meeting(db, meeting_id)
    shown = await repo.described(db, meeting)
    return schemas.MeetingDetail(
        **{f: getattr(shown, f) for f in shown.__struct_fields__},
        agenda=await agenda.agenda_of(db, meeting_id),
        attendance=await attendance.attendance_of(db, meeting_id),
        photos=await photos_of(db, "meeting", meeting_id),
        minutes=meeting.minutes,
    )


async def communities_reached(db: AsyncSession, account: Account) -> list[models.Community]:
    """The communities the account reaches, oldest first."""
    reach = await reachable_communities(db, account)
    return [c for c in await all_communities(db) if reach is None or c.id in reach]


async def meetings_by_community(
    db: AsyncSession, account: Account
) -> list[tuple[models.Community, list[Meeting]]]:
    """Each community the account reaches with its meetings, latest first."""
    found = []
    for community in await communities_reached(db, account):
        meetings = await repo.list_meetings(db, community.id, None, None)
        found.append((community, meetings[::-1]))
    return found


async def todays_meetings(
    db: AsyncSession, account: Account
) -> list[tuple[models.Community, Meeting]]:
    """The meetings, not cancelled, that start today in their community's zone."""
    communities = await communities_reached(db, account)
    on = {c.id: today(c.time_zone) for c in communities}
    return await repo.meetings_on(db, communities, on)


@dataclass(frozen=True, slots=True)
class Choices:
    """What a meeting's page offers: its community, the grids, and the processes (with
    their rounds) an agenda item may name."""

    community: models.Community
    grids: list[models.Grid]
    processes: list[tuple[models.Process, list[models.Round]]]


async def choices(db: AsyncSession, community_id: int) -> Choices:
    community = await find_community(db, community_id)
    grids = await db.scalars(
        select(models.Grid).where(models.Grid.community_id == community_id).order_by(models.Grid.id)
    )
    processes = list(
        (
            await db.scalars(
                select(models.Process)
                .where(models.Process.community_id == community_id)
                .order_by(models.Process.id.desc())
            )
        ).all()
    )
    rounds = await db.scalars(
        select(models.Round)
        .where(models.Round.process_id.in_([p.id for p in processes]))
        .order_by(models.Round.number)
    )
    by_process: dict[int, list[models.Round]] = {p.id: [] for p in processes}
    for round_row in rounds:
        by_process[round_row.process_id].append(round_row)
    return Choices(community, list(grids.all()), [(p, by_process[p.id]) for p in processes])
