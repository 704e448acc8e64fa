"""Photos on task notes: what is accepted (JPEG, PNG, WebP, told by their first bytes, not
by what the client claims), how large, storing them and serving them back."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from service.audit import record
from service.auth.guard import Actor
from service.db import models
from service.errors import Invalid, NotFound, TooLarge, Unsupported
from service.loop import schemas
from service.text import file_name

MAX_PHOTO_BYTES: Final[int] = 5 * 1024 * 1024
"""Largest photo accepted (5 MiB: a phone photo; shrink larger ones before uploading)."""
MAX_PHOTOS_PER_NOTE: Final[int] = 6
UPLOAD_LIMIT: Final[int] = MAX_PHOTOS_PER_NOTE * MAX_PHOTO_BYTES + 64 * 1024
"""Largest upload request (every photo of a note at once, and the form around them)."""

SIGNATURES: Final[tuple[tuple[bytes, int, str], ...]] = (
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"WEBP", 8, "image/webp"),
)
"""Magic bytes, where they stand, and the media type they mean (WebP: ``RIFF`` at 0 too)."""


def image_type(data: bytes) -> str | None:
    """The media type the bytes are (``image/jpeg``, ``image/png``, ``image/webp``) or
    ``None`` when they are none of these."""
    for magic, offset, media in SIGNATURES:
        if data[offset : offset + len(magic)] == magic:
            if media == "image/webp" and not data.startswith(b"RIFF"):
                continue
            return media
    return None


def check_photo(filename: str, data: bytes) -> str:
    """The photo's media type, or a refusal: 413 when too large, 415 when not an image we
    take, 422 when empty."""
    shown = filename or "the photo"
    if not data:
        raise Invalid("empty-photo", shown=shown)
    if len(data) > MAX_PHOTO_BYTES:
        raise TooLarge(
            "photo-too-large", field="photos", shown=shown, size=len(data), most=MAX_PHOTO_BYTES
        )
    media = image_type(data)
    if media is None:
        raise Unsupported("photo-not-image", field="photos", shown=shown)
    return media


def photo_out(photo: Any) -> schemas.Photo:
    """A photo's description from its row (the model or a selected row without the bytes)."""
    return schemas.Photo(
        id=photo.id,
        content_type=photo.content_type,
        size=photo.size,
        sha256=photo.sha256,
        filename=photo.filename,
        url=f"/api/v1/photos/{photo.id}",
        created_at=photo.created_at,
    )


async def add_photos(
    db: AsyncSession,
    note: models.TaskNote,
    files: Sequence[tuple[str, bytes]],
    actor: Actor,
) -> list[models.TaskPhoto]:
    """Attach ``(filename, bytes)`` photos to a note; every one is checked before any is
    stored, so a refused upload stores nothing."""
    if not files:
        raise Invalid("no-photo", field="photos")
    held = (
        await db.scalars(select(models.TaskPhoto.id).where(models.TaskPhoto.note_id == note.id))
    ).all()
    if len(held) + len(files) > MAX_PHOTOS_PER_NOTE:
        raise Invalid(
            "too-many-photos",
            field="photos",
            most=MAX_PHOTOS_PER_NOTE,
            held=len(held),
            sent=len(files),
        )
    named = [(file_name(name), data) for name, data in files]
    checked = [(name, data, check_photo(name, data)) for name, data in named]
    photos = [
        models.TaskPhoto(
            note_id=note.id,
            content_type=media,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            filename=name[:200],
            data=data,
        )
        for name, data, media in checked
    ]
    db.add_all(photos)
    await db.flush()
    record(
        db,
        actor,
        "task.photos",
        "task",
        note.task_id,
        note_id=note.id,
        photos=[{"id": p.id, "sha256": p.sha256, "size": p.size} for p in photos],
    )
    return photos


async def photo_bytes(db: AsyncSession, photo_id: int) -> tuple[bytes, str, str]:
    """A stored photo's bytes, media type and SHA-256, or 404."""
    row = (
        await db.execute(
            select(
                models.TaskPhoto.data, models.TaskPhoto.content_type, models.TaskPhoto.sha256
            ).where(models.TaskPhoto.id == photo_id)
        )
    ).first()
    if row is None:
        raise NotFound("no-photo-found", photo_id=photo_id)
    return bytes(row[0]), row[1], row[2]
