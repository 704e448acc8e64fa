"""Meetings in the database: making one, reading and listing them, changing one while it is
planned, and marking it held or cancelled.

A meeting is ``planned`` until the facilitator marks it ``held`` (a briefing or visit then
says how many people it reached) or ``cancelled`` (with the reason). Once held its time,
place and agenda are fixed; decisions, follow-ups, attendance and minutes can still be
written up afterwards. A cancelled meeting takes no change at all."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Final

from msgspec import UNSET
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from service.audit import record
from service.auth.guard import Actor
from service.communities.controllers import find_community
from service.db import models
from service.db.street import Meeting
from service.errors import Conflict, Invalid, NotFound
from service.meetings import schemas
from service.requests.repository import off_agenda
from service.zones import zone

RUNS_MEETINGS: Final = ("facilitator", "admin")
"""The roles that may be named a meeting's facilitator."""


def meeting_out(meeting: Meeting, facilitator: str | None) -> schemas.Meeting:
    return schemas.Meeting(
        id=meeting.id,
        community_id=meeting.community_id,
        kind=meeting.kind,  # type: ignore[arg-type]
        title=meeting.title,
        place=meeting.place,
        grid_id=meeting.grid_id,
        starts_at=meeting.starts_at,
        ends_at=meeting.ends_at,
        facilitator_id=meeting.facilitator_id,
        facilitator=facilitator,
        status=meeting.status,  # type: ignore[arg-type]
        topic=meeting.topic,
        reached=meeting.reached,
        held_at=meeting.held_at,
        cancelled_at=meeting.cancelled_at,
        cancel_reason=meeting.cancel_reason,
        created_at=meeting.created_at,
    )


async def facilitator_name(db: AsyncSession, user_id: int | None) -> str | None:
    if user_id is None:
        return None
    name: str | None = await db.scalar(
        select(models.User.display_name).where(models.User.id == user_id)
    )
    return name


async def described(db: AsyncSession, meeting: Meeting) -> schemas.Meeting:
    """The meeting as the API shows it, its facilitator by name."""
    return meeting_out(meeting, await facilitator_name(db, meeting.facilitator_id))


async def find_meeting(db: AsyncSession, meeting_id: int, *, lock: bool = False) -> Meeting:
    """The meeting ``meeting_id`` (row-locked on PostgreSQL when ``lock``), or 404."""
    meeting = await db.get(Meeting, meeting_id, with_for_update=lock)
    if meeting is None:
        raise NotFound("no-meeting", meeting_id=meeting_id)
    return meeting


def not_cancelled(meeting: Meeting) -> None:
    """Refuse any change to a cancelled meeting (409)."""
    if meeting.status == "cancelled":
        raise Conflict("meeting-cancelled", meeting_id=meeting.id)


def still_planned(meeting: Meeting) -> None:
    """Refuse a change of time, place or agenda once the meeting was held or cancelled."""
    if meeting.status != "planned":
        raise Conflict("meeting-not-planned", meeting_id=meeting.id, status=meeting.status)


def _aware(at: datetime, field: str) -> datetime:
    if at.tzinfo is None:
        raise Invalid("meeting-time-needs-offset", field=field)
    return at


async def _check_grid(db: AsyncSession, community_id: int, grid_id: int | None) -> None:
    if grid_id is None:
        return
    owner = await db.scalar(select(models.Grid.community_id).where(models.Grid.id == grid_id))
    if owner != community_id:
        raise Invalid("meeting-grid-elsewhere", field="grid_id", grid_id=grid_id)


async def _check_facilitator(db: AsyncSession, community_id: int, user_id: int) -> None:
    """Refuse (422) a facilitator who is not an active facilitator or admin working in the
    meeting's community (tied to it, or to no community)."""
    found = (
        await db.execute(
            select(models.User.role, models.User.community_id).where(
                models.User.id == user_id, models.User.active.is_(True)
            )
        )
    ).first()
    if found is None or found.role not in RUNS_MEETINGS:
        raise Invalid("meeting-facilitator-not", field="facilitator_id", user_id=user_id)
    if found.community_id not in (None, community_id):
        raise Invalid("meeting-facilitator-elsewhere", field="facilitator_id", user_id=user_id)


def _check_times(starts_at: datetime, ends_at: datetime | None) -> None:
    if ends_at is not None and ends_at < starts_at:
        raise Invalid("meeting-ends-before-start", field="ends_at")


async def create_meeting(
    db: AsyncSession, actor: Actor, community_id: int, data: schemas.MeetingCreate
) -> Meeting:
    await find_community(db, community_id)
    starts_at = _aware(data.starts_at, "starts_at")
    ends_at = None if data.ends_at is None else _aware(data.ends_at, "ends_at")
    _check_times(starts_at, ends_at)
    await _check_grid(db, community_id, data.grid_id)
    facilitator_id = data.facilitator_id if data.facilitator_id is not None else actor.id
    if data.facilitator_id is not None:
        await _check_facilitator(db, community_id, data.facilitator_id)
    meeting = Meeting(
        community_id=community_id,
        kind=data.kind,
        title=data.title,
        place=data.place,
        grid_id=data.grid_id,
        starts_at=starts_at,
        ends_at=ends_at,
        facilitator_id=facilitator_id,
        topic=data.topic,
    )
    db.add(meeting)
    await db.flush()
    record(db, actor, "meeting.created", "meeting", meeting.id, community_id=community_id)
    return meeting


async def update_meeting(
    db: AsyncSession, actor: Actor, meeting_id: int, data: schemas.MeetingUpdate
) -> Meeting:
    meeting = await find_meeting(db, meeting_id, lock=True)
    still_planned(meeting)
    changed = {
        name: getattr(data, name)
        for name in ("kind", "title", "place", "grid_id", "starts_at", "ends_at", "topic")
        if getattr(data, name) is not UNSET
    }
    for name in ("starts_at", "ends_at"):
        if changed.get(name) is not None:
            _aware(changed[name], name)
    if "grid_id" in changed:
        await _check_grid(db, meeting.community_id, changed["grid_id"])
    _check_times(
        changed.get("starts_at", meeting.starts_at), changed.get("ends_at", meeting.ends_at)
    )
    for name, value in changed.items():
        setattr(meeting, name, value)
    await db.flush()
    record(db, actor, "meeting.changed", "meeting", meeting.id, fields=sorted(changed))
    return meeting


async def mark_held(
    db: AsyncSession, actor: Actor, meeting_id: int, reached: int | None, now: datetime
) -> Meeting:
    """The meeting took place (``now``, by the app's clock; refused before the day it
    starts on in its community's zone); a briefing or a visit may say how many it reached."""
    meeting = await find_meeting(db, meeting_id, lock=True)
    still_planned(meeting)
    if reached is not None and meeting.kind == "deliberation":
        raise Invalid("reached-not-for-deliberation", field="reached")
    community = await find_community(db, meeting.community_id)
    here = zone(community.time_zone)
    day = meeting.starts_at.astimezone(here).date()
    if now.astimezone(here).date() < day:
        raise Conflict("meeting-held-before-its-day", meeting_id=meeting.id, day=day.isoformat())
    meeting.status = "held"
    meeting.held_at = now
    meeting.reached = reached or 0
    await db.flush()
    record(db, actor, "meeting.held", "meeting", meeting.id, reached=meeting.reached)
    return meeting


async def cancel_meeting(
    db: AsyncSession, actor: Actor, meeting_id: int, reason: str, now: datetime
) -> Meeting:
    meeting = await find_meeting(db, meeting_id, lock=True)
    still_planned(meeting)
    meeting.status = "cancelled"
    meeting.cancelled_at = now
    meeting.cancel_reason = reason
    await off_agenda(db, actor, meeting.id, "meeting_cancelled", now, note=reason)
    await db.flush()
    record(db, actor, "meeting.cancelled", "meeting", meeting.id)
    return meeting


def day_bounds(first: date, last: date, zone_name: str) -> tuple[datetime, datetime]:
    """From the start of ``first`` to the start of the day after ``last``, in the zone."""
    here = zone(zone_name)
    start = datetime.combine(first, time(), here)
    end = datetime.combine(last + timedelta(days=1), time(), here)
    return start, end


async def list_meetings(
    db: AsyncSession, community_id: int, first: date | None, last: date | None
) -> list[Meeting]:
    """The community's meetings by start time, those starting from ``first`` to ``last``
    (dates in the community's zone, both included) when given."""
    community = await find_community(db, community_id)
    if first is not None and last is not None and last < first:
        raise Invalid("meeting-dates-reversed", field="to")
    query = select(Meeting).where(Meeting.community_id == community_id)
    if first is not None:
        query = query.where(Meeting.starts_at >= day_bounds(first, first, community.time_zone)[0])
    if last is not None:
        query = query.where(Meeting.starts_at < day_bounds(last, last, community.time_zone)[1])
    rows = await db.scalars(query.order_by(Meeting.starts_at, Meeting.id))
    return list(rows.all())


async def meetings_on(
    db: AsyncSession, communities: list[models.Community], on: dict[int, date]
) -> list[tuple[models.Community, Meeting]]:
    """The meetings that start on each community's own date ``on[community.id]`` and are
    not cancelled, earliest first: the console's "today's meeting"."""
    found: list[tuple[models.Community, Meeting]] = []
    for community in communities:
        start, end = day_bounds(on[community.id], on[community.id], community.time_zone)
        rows = await db.scalars(
            select(Meeting)
            .where(
                Meeting.community_id == community.id,
                Meeting.starts_at >= start,
                Meeting.starts_at < end,
                Meeting.status != "cancelled",
            )
            .order_by(Meeting.starts_at, Meeting.id)
        )
        found += [(community, meeting) for meeting in rows]
    found.sort(key=lambda pair: (pair[1].starts_at, pair[1].id))
    return found
