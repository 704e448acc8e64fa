"""Closing a request (销号) with what was done and the resident's satisfaction if asked
(回访), and re-opening a closed one with a reason. Both are the community's."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from service.audit import record
from service.auth.guard import Actor
from service.db import models
from service.requests import schemas
from service.requests.repository import check_move, find_request, step


async def close_request(
    db: AsyncSession, actor: Actor, request_id: int, closing: schemas.Closing, now: datetime
) -> models.ResidentRequest:
    """销号: stage ``closed``, closed now; its days open stop counting."""
    request = await find_request(db, request_id, lock=True)
    check_move(request, "closed")
    request.stage = "closed"
    request.closed_at = now
    request.close_note = closing.note
    request.satisfaction = closing.satisfaction
    step(db, request, "closed", actor, now, closing.note, satisfaction=closing.satisfaction)
    record(db, actor, "request.closed", "request", request.id, satisfaction=closing.satisfaction)
    return request


async def reopen_request(
    db: AsyncSession, actor: Actor, request_id: int, reason: str, now: datetime
) -> models.ResidentRequest:
    """A closed request open again (stage ``open``), to be triaged anew: its days open
    count on from the day it was logged; what the close, the meeting and the street office
    wrote is cleared (the street no longer sees it until it is escalated again), and stays
    in its history."""
    request = await find_request(db, request_id, lock=True)
    check_move(request, "reopened")
    request.stage = "open"
    request.closed_at = None
    request.close_note = ""
    request.satisfaction = None
    request.meeting_id = None
    request.escalated_at = None
    request.street_state = None
    request.street_assignee = ""
    request.street_answer = ""
    request.returned_at = None
    step(db, request, "reopened", actor, now, reason)
    record(db, actor, "request.reopened", "request", request.id)
    return request
