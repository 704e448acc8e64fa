"""Logging a request in the field (a grid worker on a phone: what, where, about what, the
grid, who raised it if they wish) and the photos taken of it.

The audit log says that a request was logged and by whom, never what it says or who raised
it: the request row holds those, for the community's staff."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from service.audit import record
from service.auth.guard import Actor
from service.communities.controllers import find_community
from service.db import models
from service.errors import Forbidden, Invalid
from service.loop.photos import ShrunkPhoto
from service.photos.schemas import Photo
from service.photos.store import add_photos as add_stored
from service.photos.store import photo_bytes as stored_bytes
from service.requests import schemas
from service.requests.repository import step


async def log_request(
    db: AsyncSession, actor: Actor, community_id: int, data: schemas.RequestCreate, now: datetime
) -> models.ResidentRequest:
    """A new request of the community, stage ``open``, with its ``logged`` step."""
    await find_community(db, community_id)
    if data.grid_id is not None:
        grid = await db.get(models.Grid, data.grid_id)
        if grid is None or grid.community_id != community_id:
            raise Invalid(
                "grid-of-another-community",
                field="grid_id",
                grid_id=data.grid_id,
                community_id=community_id,
            )
    if actor.id is None:  # the role guard lets only staff in; keep mypy and the FK honest
        raise Forbidden("sign-in-first-to-file")
    request = models.ResidentRequest(
        community_id=community_id,
        grid_id=data.grid_id,
        body=data.body,
        logged_by=actor.id,
        place=data.place,
        category=data.category,
        raised_by=data.raised_by,
        stage="open",
        created_at=now,
    )
    db.add(request)
    await db.flush()
    step(db, request, "logged", actor, now, category=data.category)
    record(
        db,
        actor,
        "request.logged",
        "request",
        request.id,
        community_id=community_id,
    )
    return request


async def add_photos(
    db: AsyncSession,
    request: models.ResidentRequest,
    shrunk: list[ShrunkPhoto],
    actor: Actor,
    now: datetime,
) -> list[Photo]:
    """Attach photos made by :func:`service.loop.photos.shrunk_photos` (checked, decoded
    and re-encoded without metadata) to a request, within the store's limit for a request
    (:data:`service.photos.store.OWNERS`), and note the step in its history."""
    stored = await add_stored(db, actor, "request", request.id, shrunk, at=now)
    step(db, request, "photo", actor, now, photos=[p.id for p in stored])
    return stored


async def photo_bytes(db: AsyncSession, request_id: int, photo_id: int) -> tuple[bytes, str, str]:
    """A request's stored photo: its bytes, media type and SHA-256, or 404."""
    return await stored_bytes(db, "request", request_id, photo_id)
