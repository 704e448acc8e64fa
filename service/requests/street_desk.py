"""The street office's desk (街道): every escalated request of the street's communities,
with its days open; taking one on (assigned to a department or a person), answering it,
and returning it to its community, which closes it. Who raised a request never reaches
the street."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from service.audit import record
from service.auth.guard import Actor
from service.db import models
from service.errors import Invalid
from service.requests import schemas
from service.requests.repository import check_move, days_open, find_request, step
from service.streets.repository import find_street

AT_THE_STREET = ("pending", "assigned", "answered")
"""Desk states of a request still at the street (``street_state``, stage ``escalated``)."""


DESK_STATES = (*AT_THE_STREET, "returned", "closed")
"""What ``?state=`` may ask for (:data:`service.requests.schemas.DeskState`)."""


def desk_filter(asked: str | None) -> str | None:
    """The desk state asked for, or 422 naming ``state`` and the states there are."""
    if asked is None or asked in DESK_STATES:
        return asked
    raise Invalid("desk-state-unknown", field="state", state=asked, states=list(DESK_STATES))


def desk_state(request: models.ResidentRequest) -> str:
    """Where an escalated request stands as the street sees it (:data:`schemas.DeskState`):
    at the street, its ``street_state``; closed, ``closed``; otherwise ``returned`` once the
    street returned it, even when the community has put it on a meeting since."""
    if request.stage == "escalated":
        return request.street_state or "pending"
    if request.stage == "closed":
        return "closed"
    return "returned" if request.returned_at is not None else request.stage


async def escalations(
    db: AsyncSession, street_id: int, now: datetime, state: str | None = None
) -> list[schemas.Escalation]:
    """Every request ever escalated from the street's communities, longest waiting first
    (by community name, then the time it was escalated), filtered by desk state."""
    await find_street(db, street_id)
    rows = await db.execute(
        select(models.ResidentRequest, models.Community, models.Grid.name)
        .join(models.Community, models.Community.id == models.ResidentRequest.community_id)
        .outerjoin(models.Grid, models.Grid.id == models.ResidentRequest.grid_id)
        .where(
            models.Community.street_id == street_id,
            models.ResidentRequest.escalated_at.is_not(None),
        )
        .order_by(models.ResidentRequest.escalated_at, models.ResidentRequest.id)
    )
    found = []
    for request, community, grid in rows:
        if state is not None and desk_state(request) != state:
            continue
        assert request.escalated_at is not None
        found.append(
            schemas.Escalation(
                id=request.id,
                community_id=community.id,
                community=community.name,
                grid=grid,
                category=request.category,
                place=request.place,
                body=request.body,
                stage=request.stage,
                street_state=desk_state(request),
                street_assignee=request.street_assignee,
                escalated_at=request.escalated_at,
                days_open=days_open(request, community.time_zone, now),
            )
        )
    return found


async def assign(
    db: AsyncSession, actor: Actor, request_id: int, assignee: str, now: datetime
) -> models.ResidentRequest:
    """Taken on by a department or a person of the street."""
    request = await find_request(db, request_id, lock=True, actor=actor)
    check_move(request, "assigned")
    request.street_assignee = assignee
    if request.street_state == "pending":
        request.street_state = "assigned"
    step(db, request, "assigned", actor, now, assignee=assignee)
    record(db, actor, "request.assigned", "request", request.id)
    return request


async def answer(
    db: AsyncSession, actor: Actor, request_id: int, text: str, now: datetime
) -> models.ResidentRequest:
    """The street's answer (it may be answered again before it is returned)."""
    request = await find_request(db, request_id, lock=True, actor=actor)
    check_move(request, "answered")
    request.street_answer = text
    request.street_state = "answered"
    step(db, request, "answered", actor, now, text)
    record(db, actor, "request.answered", "request", request.id)
    return request


async def return_request(
    db: AsyncSession, actor: Actor, request_id: int, note: str, now: datetime
) -> models.ResidentRequest:
    """Back to the community (stage ``returned``), which closes it or acts again."""
    request = await find_request(db, request_id, lock=True, actor=actor)
    check_move(request, "returned")
    request.stage = "returned"
    request.returned_at = now
    step(db, request, "returned", actor, now, note)
    record(db, actor, "request.returned", "request", request.id)
    return request
