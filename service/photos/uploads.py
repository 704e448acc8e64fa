"""Taking photos out of what was uploaded: the files a form or multipart body actually
holds (an empty file input sends a nameless part), read and shrunk; the multipart form of
the photo endpoints (files under ``photos``, an optional ``caption``) and the refusals it
documents."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any, Final, TypeAlias, TypeVar

import msgspec
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body

from service.loop.photos import ShrunkPhoto, shrunk_photos
from service.openapi.responses import refusals
from service.photos.schemas import PhotoCaption

T = TypeVar("T")
Upload: TypeAlias = Annotated[T, Body(media_type=RequestEncodingType.MULTI_PART)]
"""A handler's ``data`` sent as a multipart form."""

PHOTO_REFUSALS: Final = refusals(
    {
        413: "`too-large`: a photo is over 20 MB, or the upload over 100 MB (the message gives "
        "the size in MB)",
        415: "`unsupported-media-type`: a file is not a JPEG, PNG, WebP or HEIC image (told by "
        "decoding it)",
    }
)


def chosen_files(sent: Any) -> list[UploadFile]:
    """The files of a form field (one value or a list), without the empty parts a file
    input sends when nothing was chosen."""
    values = sent if isinstance(sent, list) else [sent]
    return [f for f in values if isinstance(f, UploadFile) and f.filename]


async def shrunk_uploads(files: Iterable[UploadFile]) -> list[ShrunkPhoto]:
    """The files read, checked and shrunk (:func:`service.loop.photos.shrunk_photos`)."""
    return await shrunk_photos([(f.filename or "", await f.read()) for f in files])


class PhotoUpload(msgspec.Struct):
    """Photos (``photos``: one or more files) and the caption they share."""

    photos: list[Any] | Any = []
    caption: str = ""

    def files(self) -> list[UploadFile]:
        return chosen_files(self.photos)

    def caption_text(self) -> str:
        """The caption on one line, at most 200 characters (else 422 naming it)."""
        return PhotoCaption(caption=self.caption).caption

    async def shrunk(self) -> list[ShrunkPhoto]:
        """The photos checked and shrunk."""
        return await shrunk_uploads(self.files())
