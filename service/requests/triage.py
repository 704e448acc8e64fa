"""Triage of a logged request by the community (a grid worker, a facilitator, an admin):
handled on the spot and closed at once, put on the agenda of a planned bench meeting,
escalated to the street office; or, as before, promoted into a process or declined."""

from __future__ import annotations

from datetime import datetime
from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession

from service.audit import record
from service.auth.guard import Actor
from service.communities.controllers import find_community
from service.db import models
from service.db.street import Meeting
from service.errors import Conflict, Invalid, NotFound
from service.meetings.agenda import append_item
from service.processes.repository import OPEN_PHASES, create_process, find_process
from service.requests import schemas
from service.requests.repository import check_move, find_request, step

PLANNED: Final = "planned"


async def handle_on_spot(
    db: AsyncSession, actor: Actor, request_id: int, note: str, now: datetime
) -> models.ResidentRequest:
    """Handled there and then: steps ``on_spot`` and ``closed``, closed now."""
    request = await find_request(db, request_id, lock=True)
    check_move(request, "on_spot")
    step(db, request, "on_spot", actor, now, note)
    step(db, request, "closed", actor, now, note)
    request.stage = "closed"
    request.closed_at = now
    request.close_note = note
    record(db, actor, "request.on_spot", "request", request.id)
    return request


async def put_to_meeting(
    db: AsyncSession, actor: Actor, request_id: int, meeting_id: int, now: datetime
) -> models.ResidentRequest:
    """Onto the end of the agenda of a planned meeting of the request's community."""
    request = await find_request(db, request_id, lock=True)
    check_move(request, "meeting")
    meeting = await db.get(Meeting, meeting_id, with_for_update=True)
    if meeting is None:
        raise NotFound("request-no-meeting", meeting_id=meeting_id)
    if meeting.community_id != request.community_id:
        raise Invalid("meeting-of-another-community", field="meeting_id", meeting_id=meeting_id)
    if meeting.status != PLANNED:
        raise Conflict("request-meeting-not-planned", meeting_id=meeting_id, status=meeting.status)
    await append_item(db, meeting_id, request_id=request.id)
    request.stage = "meeting"
    request.meeting_id = meeting_id
    step(db, request, "meeting", actor, now, meeting_id=meeting_id)
    record(db, actor, "request.meeting", "request", request.id, meeting_id=meeting_id)
    return request


async def escalate(
    db: AsyncSession, actor: Actor, request_id: int, note: str, now: datetime
) -> models.ResidentRequest:
    """To the street office of the request's community (409 when it has no street)."""
    request = await find_request(db, request_id, lock=True)
    check_move(request, "escalated")
    community = await find_community(db, request.community_id)
    if community.street_id is None:
        raise Conflict("request-no-street", request_id=request.id, community=community.name)
    request.stage = "escalated"
    request.street_state = "pending"
    request.escalated_at = now
    request.returned_at = None
    step(db, request, "escalated", actor, now, note, street_id=community.street_id)
    record(db, actor, "request.escalated", "request", request.id, street_id=community.street_id)
    return request


async def promote_request(
    db: AsyncSession, actor: Actor, request_id: int, into: schemas.Promotion
) -> models.ResidentRequest:
    """Into an open process of the same community, or into a new one."""
    request = await find_request(db, request_id, lock=True)
    check_move(request, "promoted")
    if into.process_id is not None:
        process = await find_process(db, into.process_id)
        if process.community_id != request.community_id:
            raise Invalid("process-of-another-community", field="process_id", id=process.id)
        if process.phase not in OPEN_PHASES:
            raise Conflict("request-process-closed", id=process.id, phase=process.phase)
    else:
        title = into.title or ""
        process = await create_process(db, actor, request.community_id, title, into.question)
    request.status = "promoted"
    request.process_id = process.id
    record(db, actor, "request.promoted", "request", request.id, process_id=process.id)
    return request


async def decline_request(
    db: AsyncSession, actor: Actor, request_id: int, reason: str
) -> models.ResidentRequest:
    """Declined with a reason told back to the resident."""
    if not reason.strip():
        raise Invalid("decline-reason-required", field="reason")
    request = await find_request(db, request_id, lock=True)
    check_move(request, "declined")
    request.status = "declined"
    request.decline_reason = reason.strip()
    # the reason is the resident's to read on the request, not the audit log's to keep
    record(
        db,
        actor,
        "request.declined",
        "request",
        request.id,
        reason_chars=len(request.decline_reason),
    )
    return request
