"""Photos of meetings and site surveys: checked, shrunk and stripped of metadata exactly as
progress notes' photos are (:func:`service.loop.photos.shrunk_photos`, in the worker
process, before any database work), stored in ``photos`` under their owner, and served back
only through their owner's path (staff only: a meeting's photos show residents' faces)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Final, Literal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from service.audit import record
from service.auth.guard import Actor
from service.db.street import Photo
from service.errors import Invalid, NotFound
from service.loop.photos import STORED_TYPE, ShrunkPhoto
from service.meetings import schemas

Owner = Literal["meeting", "survey"]
MAX_PHOTOS: Final[int] = 30
"""Most photos one meeting or survey keeps."""
PATHS: Final[dict[Owner, str]] = {"meeting": "meetings", "survey": "surveys"}


def _column(owner: Owner) -> object:
    return Photo.meeting_id if owner == "meeting" else Photo.survey_id


def photo_out(owner: Owner, owner_id: int, photo: Photo) -> schemas.Photo:
    return schemas.Photo(
        id=photo.id,
        caption=photo.caption,
        content_type=photo.content_type,
        size=photo.size,
        sha256=photo.sha256,
        url=f"/api/v1/{PATHS[owner]}/{owner_id}/photos/{photo.id}",
        created_at=photo.created_at,
    )


async def photos_of(db: AsyncSession, owner: Owner, owner_id: int) -> list[schemas.Photo]:
    """The owner's photos in the order they were added (without their bytes)."""
    rows = await db.scalars(
        select(Photo).where(_column(owner) == owner_id).order_by(Photo.id)  # type: ignore[arg-type]
    )
    return [photo_out(owner, owner_id, p) for p in rows]


async def add_photos(
    db: AsyncSession,
    actor: Actor,
    owner: Owner,
    owner_id: int,
    shrunk: Sequence[ShrunkPhoto],
    caption: str,
) -> list[schemas.Photo]:
    """Store photos made by :func:`~service.loop.photos.shrunk_photos` under their owner,
    each with ``caption``, within :data:`MAX_PHOTOS` (all or none)."""
    held = await db.scalar(
        select(func.count()).select_from(Photo).where(_column(owner) == owner_id)  # type: ignore[arg-type]
    )
    if (held or 0) + len(shrunk) > MAX_PHOTOS:
        raise Invalid(
            "photos-full", field="photos", most=MAX_PHOTOS, held=held or 0, sent=len(shrunk)
        )
    rows = [
        Photo(
            meeting_id=owner_id if owner == "meeting" else None,
            survey_id=owner_id if owner == "survey" else None,
            caption=caption,
            content_type=STORED_TYPE,
            size=len(p.data),
            sha256=hashlib.sha256(p.data).hexdigest(),
            data=p.data,
            created_by=actor.id,
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
                Photo.id == photo_id,
                _column(owner) == owner_id,  # type: ignore[arg-type]
            )
        )
    ).first()
    if row is None:
        raise NotFound("no-photo-found", photo_id=photo_id)
    return bytes(row[0]), row[1], row[2]


async def photo_data(db: AsyncSession, owner: Owner, owner_id: int) -> dict[int, bytes]:
    """Every photo's bytes of the owner by id (for the printed record)."""
    rows = await db.execute(
        select(Photo.id, Photo.data).where(_column(owner) == owner_id)  # type: ignore[arg-type]
    )
    return {photo_id: bytes(data) for photo_id, data in rows}
