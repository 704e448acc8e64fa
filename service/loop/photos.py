"""Photos on task notes: how large a photo and an upload may be, storing a photo as its
shrunk, metadata-free JPEG (:mod:`service.loop.shrink`, in the worker process) and serving
it back.

What is stored — and what its size and SHA-256 describe, in the record and the decision
bundle — is the shrunk JPEG only; the phone's original never reaches the database."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from service import offload
from service.audit import record
from service.auth.guard import Actor
from service.db import models
from service.errors import Invalid, NotFound, TooLarge, Unsupported
from service.i18n import text
from service.loop import schemas
from service.loop.shrink import TooManyPixels, Unreadable, shrunk
from service.sizes import MEGABYTE, megabytes
from service.text import file_name

MAX_PHOTO_BYTES: Final[int] = 20 * MEGABYTE
"""Largest photo accepted as sent (20 兆: a phone's largest photo, 8–15 兆, with room); it is
stored shrunk, at a tenth of that or less."""
MAX_PHOTOS_PER_NOTE: Final[int] = 6
UPLOAD_LIMIT: Final[int] = 100 * MEGABYTE
"""Largest upload request (100 兆: six phone photos of 15 兆 and the form around them); the
server refuses a larger one with its size in 兆 (:func:`service.errors.sized_refusal`)."""
STORED_TYPE: Final[str] = "image/jpeg"
"""What every photo is stored as (older rows may hold PNG or WebP)."""

SERVED_TYPES: Final[tuple[str, ...]] = (STORED_TYPE, "image/png", "image/webp")
"""The media types a stored photo may have (rows from before photos were shrunk included)."""


def shown_name(name: str) -> str | Callable[[str], str]:
    """How a refusal names a photo: its file name, or "the photo" in the reader's words."""
    return name or partial(text, key="photo.unnamed")


async def kept_photo(name: str, data: bytes) -> bytes:
    """The photo as stored (:func:`~service.loop.shrink.shrunk`, in the worker process), or
    a refusal naming it: 415 when it is no image, 422 when it has too many pixels."""
    try:
        return await offload.run(shrunk, data)
    except Unreadable:
        raise Unsupported("photo-not-image", field="photos", shown=shown_name(name)) from None
    except TooManyPixels as exc:
        raise Invalid(
            "photo-too-many-pixels",
            field="photos",
            shown=shown_name(name),
            megapixels=exc.megapixels,
            most=exc.most,
        ) from None


def check_photo(filename: str, data: bytes) -> None:
    """Refuse a photo as sent before it is decoded: 422 when empty, 413 when over
    :data:`MAX_PHOTO_BYTES` (its size in 兆). Whether it is an image is told by decoding it
    (:func:`service.loop.shrink.shrunk`), not by what the client claims."""
    shown = shown_name(filename)
    if not data:
        raise Invalid("empty-photo", field="photos", shown=shown)
    if len(data) > MAX_PHOTO_BYTES:
        raise TooLarge(
            "photo-too-large",
            field="photos",
            shown=shown,
            size=megabytes(len(data), up=True),
            most=megabytes(MAX_PHOTO_BYTES),
        )


def stored_name(name: str) -> str:
    """The file name kept with a stored photo: the phone's name with ``.jpg`` for what it
    is now (``IMG_0042.HEIC`` → ``IMG_0042.jpg``)."""
    stem, dot, _ = name.rpartition(".")
    return f"{stem if dot and stem else name}.jpg"


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


@dataclass(frozen=True, slots=True)
class ShrunkPhoto:
    """A photo checked and made fit to store (:func:`shrunk_photos`), with the name it is
    kept under."""

    filename: str
    data: bytes


async def shrunk_photos(files: Sequence[tuple[str, bytes]]) -> list[ShrunkPhoto]:
    """``(filename, bytes)`` photos as sent, checked and shrunk in the worker process —
    before any database work, so that no transaction (and on SQLite no write lock) is held
    while they are decoded. A refusal names the photo; none is stored then."""
    if not files:
        raise Invalid("no-photo", field="photos")
    if len(files) > MAX_PHOTOS_PER_NOTE:
        raise Invalid(
            "too-many-photos", field="photos", most=MAX_PHOTOS_PER_NOTE, held=0, sent=len(files)
        )
    named = [(file_name(name), data) for name, data in files]
    for name, data in named:
        check_photo(name, data)
    return [
        ShrunkPhoto(stored_name(name)[:200], await kept_photo(name, data)) for name, data in named
    ]


async def add_photos(
    db: AsyncSession,
    note: models.TaskNote,
    shrunk: Sequence[ShrunkPhoto],
    actor: Actor,
) -> list[models.TaskPhoto]:
    """Attach photos made by :func:`shrunk_photos` to a note, within its limit of
    :data:`MAX_PHOTOS_PER_NOTE` (all or none)."""
    held = (
        await db.scalars(select(models.TaskPhoto.id).where(models.TaskPhoto.note_id == note.id))
    ).all()
    if len(held) + len(shrunk) > MAX_PHOTOS_PER_NOTE:
        raise Invalid(
            "too-many-photos",
            field="photos",
            most=MAX_PHOTOS_PER_NOTE,
            held=len(held),
            sent=len(shrunk),
        )
    photos = [
        models.TaskPhoto(
            note_id=note.id,
            content_type=STORED_TYPE,
            size=len(photo.data),
            sha256=hashlib.sha256(photo.data).hexdigest(),
            filename=photo.filename,
            data=photo.data,
        )
        for photo in shrunk
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
