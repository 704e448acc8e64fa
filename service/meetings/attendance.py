"""Who came to a meeting: counts by category from the sign-in sheet, and the names when the
meeting records them. Setting attendance replaces the counts (the sheet is counted again,
not added to) and, when names are sent, the names (counts alone leave the names as they
are); a cancelled meeting has none to set."""

from __future__ import annotations

from msgspec import UNSET
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from service.audit import record
from service.auth.guard import Actor
from service.db.street import ATTENDANCE, MeetingAttendance, MeetingAttendee
from service.meetings import schemas
from service.meetings.repository import find_meeting, not_cancelled


async def attendance_of(db: AsyncSession, meeting_id: int) -> schemas.Attendance:
    """Every category in the order of :data:`ATTENDANCE` (zeros too), the total, the names."""
    rows = await db.execute(
        select(MeetingAttendance.category, MeetingAttendance.count).where(
            MeetingAttendance.meeting_id == meeting_id
        )
    )
    counted = {category: count for category, count in rows}
    counts = {category: counted.get(category, 0) for category in ATTENDANCE}
    names = await db.scalars(
        select(MeetingAttendee)
        .where(MeetingAttendee.meeting_id == meeting_id)
        .order_by(MeetingAttendee.id)
    )
    return schemas.Attendance(
        counts=counts,
        total=sum(counts.values()),
        names=[
            schemas.Attendee(name=a.name, category=a.category)  # type: ignore[arg-type]
            for a in names
        ],
    )


async def set_attendance(
    db: AsyncSession, actor: Actor, meeting_id: int, data: schemas.AttendanceSet
) -> schemas.Attendance:
    not_cancelled(await find_meeting(db, meeting_id, lock=True))
    await db.execute(delete(MeetingAttendance).where(MeetingAttendance.meeting_id == meeting_id))
    db.add_all(
        MeetingAttendance(meeting_id=meeting_id, category=category, count=count)
        for category, count in data.counts.items()
        if count
    )
    named: dict[str, int] = {}
    if data.names is not UNSET:
        await db.execute(delete(MeetingAttendee).where(MeetingAttendee.meeting_id == meeting_id))
        db.add_all(
            MeetingAttendee(meeting_id=meeting_id, name=a.name, category=a.category)
            for a in data.names
        )
        named = {"names": len(data.names)}  # how many, never who
    await db.flush()
    record(
        db,
        actor,
        "meeting.attendance",
        "meeting",
        meeting_id,
        total=sum(data.counts.values()),
        **named,
    )
    return await attendance_of(db, meeting_id)
