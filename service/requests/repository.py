"""Requests in the database: finding one (as the caller may see it), its shape in answers,
its history (one :class:`~service.db.street.RequestEvent` per step) and its days open."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final, Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from service.audit import record
from service.auth.guard import Actor
from service.auth.scope import reachable_communities
from service.communities.controllers import all_communities, find_community
from service.db import models
from service.db.street import REQUEST_STATES, Meeting, MeetingItem, RequestEvent
from service.errors import Conflict, NotFound
from service.photos.schemas import Photo
from service.photos.store import photos_of
from service.requests import schemas
from service.zones import days_between

STREET_ROLE: Final = "street"

MOVES: Final[dict[str, tuple[str, ...]]] = {
    "on_spot": ("open",),
    "meeting": ("open", "returned"),
    "escalated": ("open", "meeting", "returned"),
    "assigned": ("escalated",),
    "answered": ("escalated",),
    "returned": ("escalated",),
    "closed": ("open", "meeting", "returned"),
    "reopened": ("closed",),
    "off_agenda": ("meeting",),
    "promoted": ("open", "returned"),
    "declined": ("open", "returned"),
}
"""From which stages each step may be taken: one table for every refusal (409
``request-wrong-stage``). A request at the street is the street's until it is returned.
Every step also needs the request's ``status`` still ``open``: once promoted into a process
or declined it takes no step at all (409 ``request-settled``)."""

OffAgenda = Literal["meeting_cancelled", "item_removed"]
"""Why a request came off a meeting's agenda (the ``off_agenda`` step's ``because``)."""


def request_out(
    request: models.ResidentRequest, actor: Actor | None = None
) -> schemas.ResidentRequest:
    """A request's answer; who raised it is left out for street staff."""
    return schemas.ResidentRequest(**_fields(request, actor))


def _fields(request: models.ResidentRequest, actor: Actor | None) -> dict[str, Any]:
    return {
        "id": request.id,
        "community_id": request.community_id,
        "grid_id": request.grid_id,
        "body": request.body,
        "status": request.status,
        "process_id": request.process_id,
        "decline_reason": request.decline_reason,
        "logged_by": request.logged_by,
        "created_at": request.created_at,
        "place": request.place,
        "category": request.category,
        "raised_by": None if actor is not None and actor.role == STREET_ROLE else request.raised_by,
        "stage": request.stage,
        "meeting_id": request.meeting_id,
        "escalated_at": request.escalated_at,
        "street_state": request.street_state,
        "street_assignee": request.street_assignee,
        "street_answer": request.street_answer,
        "returned_at": request.returned_at,
        "closed_at": request.closed_at,
        "close_note": request.close_note,
        "satisfaction": request.satisfaction,
    }


async def find_request(
    db: AsyncSession, request_id: int, *, lock: bool = False, actor: Actor | None = None
) -> models.ResidentRequest:
    """The request ``request_id``, or 404. Street staff see a request only once it was
    escalated: before that it is a 404 like a request that does not exist."""
    request = await db.get(models.ResidentRequest, request_id, with_for_update=lock)
    if request is None or (
        actor is not None and actor.role == STREET_ROLE and request.escalated_at is None
    ):
        raise NotFound("no-request", request_id=request_id)
    return request


def may_move(request: models.ResidentRequest, action: str) -> bool:
    """Whether the request may take the step now (its status open, its stage allowing it)."""
    return request.status == "open" and request.stage in MOVES[action]


def check_move(request: models.ResidentRequest, action: str) -> None:
    """Refuse a step the request's status or stage does not allow (409, saying what became
    of it: promoted, declined, or where it stands)."""
    if request.status == "promoted":
        raise Conflict(
            "request-promoted", request_id=request.id, doing=action, process_id=request.process_id
        )
    if request.status == "declined":
        raise Conflict(
            "request-declined",
            request_id=request.id,
            doing=action,
            decline_reason=request.decline_reason,
        )
    if request.stage not in MOVES[action]:
        raise Conflict(
            "request-wrong-stage", request_id=request.id, doing=action, stage=request.stage
        )


def step(
    db: AsyncSession,
    request: models.ResidentRequest,
    action: str,
    actor: Actor,
    at: datetime,
    note: str = "",
    **detail: Any,
) -> None:
    """Write one step of the request's history (never edited afterwards)."""
    db.add(
        RequestEvent(
            request_id=request.id,
            action=action,
            note=note,
            detail=detail,
            actor_id=actor.id,
            actor=actor.name,
            at=at,
        )
    )


def days_open(request: models.ResidentRequest, time_zone: str, now: datetime) -> int:
    """Calendar days in the community's zone (``time_zone``) from the day it was logged to
    the day it was closed (0 for the same day), or to today while it is open."""
    return days_between(request.created_at, request.closed_at or now, time_zone)


async def off_agenda(
    db: AsyncSession,
    actor: Actor,
    meeting_id: int,
    because: OffAgenda,
    at: datetime,
    *,
    item_id: int | None = None,
    note: str = "",
) -> None:
    """Take the requests on a meeting's agenda off it (only the one of agenda item
    ``item_id`` when given): stage back to ``open``, ``meeting_id`` cleared, and an
    ``off_agenda`` step saying why, so that they may be triaged again (onto another
    meeting, say). Called when the meeting is cancelled or the item is removed."""
    query = select(models.ResidentRequest).where(
        models.ResidentRequest.meeting_id == meeting_id,
        models.ResidentRequest.stage.in_(MOVES["off_agenda"]),
    )
    if item_id is not None:
        on_item = select(MeetingItem.request_id).where(MeetingItem.id == item_id)
        query = query.where(models.ResidentRequest.id.in_(on_item))
    for request in await db.scalars(query.order_by(models.ResidentRequest.id).with_for_update()):
        request.stage = "open"
        request.meeting_id = None
        step(db, request, "off_agenda", actor, at, note, meeting_id=meeting_id, because=because)
        record(
            db,
            actor,
            "request.off_agenda",
            "request",
            request.id,
            meeting_id=meeting_id,
            because=because,
        )


async def request_detail(
    db: AsyncSession, request: models.ResidentRequest, actor: Actor, now: datetime
) -> schemas.RequestDetail:
    """A request with its history, photos and days open."""
    community = await find_community(db, request.community_id)
    events = await db.scalars(
        select(RequestEvent)
        .where(RequestEvent.request_id == request.id)
        .order_by(RequestEvent.at, RequestEvent.id)
    )
    photos = await request_photos(db, request.id)
    return schemas.RequestDetail(
        **_fields(request, actor),
        days_open=days_open(request, community.time_zone, now),
        events=[
            schemas.RequestEvent(
                action=e.action, note=e.note, detail=dict(e.detail), actor=e.actor, at=e.at
            )
            for e in events
        ],
        photos=photos,
    )


async def request_photos(db: AsyncSession, request_id: int) -> list[Photo]:
    """The request's photos, in the order they were taken (without their bytes)."""
    return await photos_of(db, "request", request_id)


async def list_requests(
    db: AsyncSession,
    community_id: int,
    status: str | None = None,
    stage: str | None = None,
) -> list[schemas.ResidentRequest]:
    """The community's requests, oldest first, by status or stage if asked."""
    await find_community(db, community_id)
    query = select(models.ResidentRequest).where(
        models.ResidentRequest.community_id == community_id
    )
    if status is not None:
        query = query.where(models.ResidentRequest.status == status)
    if stage is not None:
        query = query.where(models.ResidentRequest.stage == stage)
    rows = await db.scalars(query.order_by(models.ResidentRequest.id))
    return [request_out(r) for r in rows]


def by_stage(
    requests: Sequence[schemas.ResidentRequest],
) -> dict[str, list[schemas.ResidentRequest]]:
    """Requests grouped by stage in the order of their way (open first, closed last)."""
    groups: dict[str, list[schemas.ResidentRequest]] = {s: [] for s in REQUEST_STATES}
    for request in requests:
        groups.setdefault(request.stage, []).append(request)
    return groups


async def desk_community(
    db: AsyncSession, actor: Actor, chosen: int | None
) -> tuple[models.Community | None, list[models.Community]]:
    """The community a requests page shows, and the ones the caller may choose from: the
    account's own community, else the one chosen (``?community=``), else the first."""
    reach = await reachable_communities(db, actor)
    choices = [c for c in await all_communities(db) if reach is None or c.id in reach]
    if actor.community_id is not None:
        own = [c for c in choices if c.id == actor.community_id]
        return (own[0] if own else None), own
    picked = [c for c in choices if c.id == chosen] or choices[:1]
    return (picked[0] if picked else None), choices


async def planned_meetings(db: AsyncSession, community_id: int) -> list[Meeting]:
    """The community's meetings not yet held, soonest first (where a request may go)."""
    rows = await db.scalars(
        select(Meeting)
        .where(Meeting.community_id == community_id, Meeting.status == "planned")
        .order_by(Meeting.starts_at, Meeting.id)
    )
    return list(rows)


async def community_requests(db: AsyncSession, community_id: int) -> list[models.ResidentRequest]:
    """The community's request rows, newest first (for its pages)."""
    rows = await db.scalars(
        select(models.ResidentRequest)
        .where(models.ResidentRequest.community_id == community_id)
        .order_by(models.ResidentRequest.id.desc())
    )
    return list(rows)
