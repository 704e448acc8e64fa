"""A meeting's agenda: items added (a process, one of its rounds, or a note), taken off and
put in order while the meeting is planned; each item's decision and follow-up written
during or after it. Requests reach an agenda through their triage, which adds the item
itself; the agenda shows them with their place and body.

Every process and round on an agenda is of the meeting's own community."""

from __future__ import annotations

from datetime import datetime

from msgspec import UNSET
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from service.audit import record
from service.auth.guard import Actor
from service.db import models
from service.db.street import MeetingItem
from service.errors import Invalid, NotFound
from service.meetings import schemas
from service.meetings.repository import find_meeting, not_cancelled, still_planned
from service.requests.repository import off_agenda


async def agenda_of(db: AsyncSession, meeting_id: int) -> list[schemas.AgendaItem]:
    """The agenda in order, each item with its process, round or request in words."""
    rows = await db.execute(
        select(
            MeetingItem,
            models.Process.title,
            models.Round.number,
            models.Round.title,
            models.ResidentRequest.place,
            models.ResidentRequest.body,
        )
        .outerjoin(models.Round, models.Round.id == MeetingItem.round_id)
        .outerjoin(models.Process, models.Process.id == MeetingItem.process_id)
        .outerjoin(models.ResidentRequest, models.ResidentRequest.id == MeetingItem.request_id)
        .where(MeetingItem.meeting_id == meeting_id)
        .order_by(MeetingItem.position, MeetingItem.id)
    )
    return [
        schemas.AgendaItem(
            id=item.id,
            position=item.position,
            process_id=item.process_id,
            process=process,
            round_id=item.round_id,
            round_number=number,
            round_title=round_title,
            request_id=item.request_id,
            request_place=place,
            request_body=body,
            note=item.note,
            decision=item.decision,
            follow_up=item.follow_up,
        )
        for item, process, number, round_title, place, body in rows
    ]


async def _item(db: AsyncSession, meeting_id: int, item_id: int) -> MeetingItem:
    item = await db.get(MeetingItem, item_id)
    if item is None or item.meeting_id != meeting_id:
        raise NotFound("no-agenda-item", meeting_id=meeting_id, item_id=item_id)
    return item


async def _subject(
    db: AsyncSession, community_id: int, data: schemas.ItemCreate
) -> tuple[int | None, int | None]:
    """The item's process and round, checked to be of the meeting's community."""
    process_id = data.process_id
    if data.round_id is not None:
        round_row = await db.get(models.Round, data.round_id)
        if round_row is None:
            raise NotFound("no-round", round_id=data.round_id)
        if process_id is not None and process_id != round_row.process_id:
            raise Invalid("agenda-round-of-other-process", field="round_id")
        process_id = round_row.process_id
    if process_id is not None:
        owner = await db.scalar(
            select(models.Process.community_id).where(models.Process.id == process_id)
        )
        if owner is None:
            raise NotFound("no-process", process_id=process_id)
        if owner != community_id:
            field = "round_id" if data.round_id is not None else "process_id"
            raise Invalid("agenda-item-elsewhere", field=field)
    elif not data.note:
        raise Invalid("agenda-item-empty", field="note")
    return process_id, data.round_id


async def append_item(
    db: AsyncSession,
    meeting_id: int,
    *,
    process_id: int | None = None,
    round_id: int | None = None,
    request_id: int | None = None,
    note: str = "",
) -> MeetingItem:
    """A new item at the end of the agenda: of a process or round (:func:`add_item`), or of
    a request (its triage). The caller holds the meeting's row locked and has checked it is
    planned."""
    last = await db.scalar(
        select(func.max(MeetingItem.position)).where(MeetingItem.meeting_id == meeting_id)
    )
    item = MeetingItem(
        meeting_id=meeting_id,
        position=(last or 0) + 1,
        process_id=process_id,
        round_id=round_id,
        request_id=request_id,
        note=note,
    )
    db.add(item)
    await db.flush()
    return item


async def add_item(
    db: AsyncSession, actor: Actor, meeting_id: int, data: schemas.ItemCreate
) -> MeetingItem:
    meeting = await find_meeting(db, meeting_id, lock=True)
    still_planned(meeting)
    process_id, round_id = await _subject(db, meeting.community_id, data)
    item = await append_item(
        db, meeting_id, process_id=process_id, round_id=round_id, note=data.note
    )
    record(
        db,
        actor,
        "meeting.item_added",
        "meeting",
        meeting_id,
        item_id=item.id,
        process_id=process_id,
        round_id=round_id,
    )
    return item


async def update_item(
    db: AsyncSession, actor: Actor, meeting_id: int, item_id: int, data: schemas.ItemUpdate
) -> MeetingItem:
    """The note, decision and follow-up (also after the meeting was held)."""
    not_cancelled(await find_meeting(db, meeting_id, lock=True))
    item = await _item(db, meeting_id, item_id)
    changed = [n for n in ("note", "decision", "follow_up") if getattr(data, n) is not UNSET]
    for name in changed:
        setattr(item, name, getattr(data, name))
    await db.flush()
    record(
        db, actor, "meeting.item_changed", "meeting", meeting_id, item_id=item_id, fields=changed
    )
    return item


async def remove_item(
    db: AsyncSession, actor: Actor, meeting_id: int, item_id: int, now: datetime
) -> None:
    """Take an item off a planned meeting's agenda; a request on it goes back to open."""
    still_planned(await find_meeting(db, meeting_id, lock=True))
    item = await _item(db, meeting_id, item_id)
    await off_agenda(db, actor, meeting_id, "item_removed", now, item_id=item_id)
    await db.delete(item)
    await db.flush()
    await _renumber(db, meeting_id, None)
    record(db, actor, "meeting.item_removed", "meeting", meeting_id, item_id=item_id)


async def reorder(db: AsyncSession, actor: Actor, meeting_id: int, order: list[int]) -> None:
    """Put the agenda in ``order``, which names every item once."""
    still_planned(await find_meeting(db, meeting_id, lock=True))
    await _renumber(db, meeting_id, order)
    record(db, actor, "meeting.reordered", "meeting", meeting_id, order=order)


async def _renumber(db: AsyncSession, meeting_id: int, order: list[int] | None) -> None:
    items = list(
        (
            await db.scalars(
                select(MeetingItem)
                .where(MeetingItem.meeting_id == meeting_id)
                .order_by(MeetingItem.position, MeetingItem.id)
            )
        ).all()
    )
    if order is not None:
        by_id = {item.id: item for item in items}
        if sorted(order) != sorted(by_id):
            raise Invalid("agenda-order-incomplete", field="order", items=len(by_id))
        items = [by_id[i] for i in order]
    for position, item in enumerate(items, start=1):
        item.position = position
    await db.flush()
