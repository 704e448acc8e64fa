"""Photos stored under their owner (a meeting, a site survey or a request), listed, and read
back only through that owner: a photo id under another owner is not found.

Photos are made by :func:`service.loop.photos.shrunk_photos` (checked, decoded and
re-encoded without metadata) before anything here runs."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from service.audit import record
from service.auth.guard import Actor
from service.db.street import Photo
from service.errors import Invalid, NotFound
from service.loop.photos import STORED_TYPE, ShrunkPhoto
from service.photos import schemas

Owner = Literal["meeting", "survey", "request"]


@dataclass(frozen=True)
class Keeping:
    """How an owner keeps its photos: the API path they are served under and how many it
    holds at most."""

    path: str
    most: int


OWNERS: Final[dict[Owner, Keeping]] = {
    "meeting": Keeping("meetings", 30),
    "survey": Keeping("surveys", 30),
    "request": Keeping("requests", 6),
}
"""Every owner of photos; a meeting or survey keeps 30, a request the scene from a few
sides."""


def _owned_by(owner: Owner, owner_id: int) -> ColumnElement[bool]:
    column = {"meeting": Photo.meeting_id, "survey": Photo.survey_id}.get(owner, Photo.request_id)
    return column == owner_id


def photo_out(owner: Owner, owner_id: int, photo: Photo) -> schemas.Photo:
    """A stored photo as the API shows it, its image at the owner's path."""
    return schemas.Photo(
        id=photo.id,
        caption=photo.caption,
        content_type=photo.content_type,
        size=photo.size,
        sha256=photo.sha256,
        url=f"/api/v1/{OWNERS[owner].path}/{owner_id}/photos/{photo.id}",
        created_at=photo.created_at,
    )


async def photos_of(db: AsyncSession, owner: Owner, owner_id: int) -> list[schemas.Photo]:
    """The owner's photos in the order they were added (without their bytes)."""
    rows = await db.scalars(select(Photo).where(_owned_by(owner, owner_id)).order_by(Photo.id))
    return [photo_out(owner, owner_id, p) for p in rows]


async def add_photos(
    db: AsyncSession,
    actor: Actor,
    owner: Owner,
    owner_id: int,
    shrunk: Sequence[ShrunkPhoto],
    caption: str = "",
    *,
    at: datetime | None = None,
) -> list[schemas.Photo]:
    """Store ``shrunk`` under the owner, each with ``caption`` (``at``: when, by the app's
    clock; now when not given), within the owner's :data:`OWNERS` limit: all or none."""
    keeping = OWNERS[owner]
    held = await db.scalar(
        select(func.count()).select_from(Photo).where(_owned_by(owner, owner_id))
    )
    if (held or 0) + len(shrunk) > keeping.most:
        raise Invalid(
            "request-too-many-photos" if owner == "request" else "photos-full",
            field="photos",
            most=keeping.most,
            held=held or 0,
            sent=len(shrunk),
        )
    rows = [
        Photo(
            meeting_id=owner_id if owner == "meeting" else None,
            survey_id=owner_id if owner == "survey" else None,
            request_id=owner_id if owner == "request" else None,
            caption=caption,
            content_type=STORED_TYPE,
            size=len(p.data),
            sha256=hashlib.sha256(p.data).hexdigest(),
            data=p.data,
            created_by=actor.id,
            **({} if at is None else {"created_at": at}),
        )
        for p in shrunk
    ]
    db.add_all(rows)
    await db.flush()
    record(
        db,
        actor,
        f"{owner}.photos",
        owner,
        owner_id,
        photos=[{"id": p.id, "sha256": p.sha256, "size": p.size} for p in rows],
    )
    return [photo_out(owner, owner_id, p) for p in rows]


async def photo_bytes(
    db: AsyncSession, owner: Owner, owner_id: int, photo_id: int
) -> tuple[bytes, str, str]:
    """A photo's bytes, media type and SHA-256, if it is the owner's; else 404."""
    row = (
        await db.execute(
            select(Photo.data, Photo.content_type, Photo.sha256).where(
                Photo.id == photo_id, _owned_by(owner, owner_id)
            )
        )
    ).first()
    if row is None:
        raise NotFound("no-photo-found", photo_id=photo_id)
    return bytes(row[0]), row[1], row[2]


async def photo_data(db: AsyncSession, owner: Owner, owner_id: int) -> dict[int, bytes]:
    """Every photo's bytes of the owner by id (for the printed record)."""
    rows = await db.execute(select(Photo.id, Photo.data).where(_owned_by(owner, owner_id)))
    return {photo_id: bytes(data) for photo_id, data in rows}
