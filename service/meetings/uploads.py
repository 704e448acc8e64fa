"""Photo uploads of meetings and surveys: the multipart form (files under ``photos``, an
optional ``caption``), the refusals it documents, and a stored photo as an answer."""

from __future__ import annotations

from typing import Annotated, Any, Final, TypeAlias, TypeVar

import msgspec
from litestar import Response
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body

from service.loop.photos import ShrunkPhoto, shrunk_photos
from service.meetings.schemas import PhotoCaption
from service.openapi.responses import refusals

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


class PhotoUpload(msgspec.Struct):
    """Photos (``photos``: one or more files) and the caption they share."""

    photos: list[Any] | Any = []
    caption: str = ""

    def files(self) -> list[UploadFile]:
        sent = self.photos if isinstance(self.photos, list) else [self.photos]
        return [f for f in sent if isinstance(f, UploadFile) and f.filename]

    def caption_text(self) -> str:
        """The caption on one line, at most 200 characters (else 422 naming it)."""
        return PhotoCaption(caption=self.caption).caption

    async def shrunk(self) -> list[ShrunkPhoto]:
        """The photos checked and shrunk (:func:`service.loop.photos.shrunk_photos`)."""
        return await shrunk_photos([(f.filename or "", await f.read()) for f in self.files()])


def photo_response(found: tuple[bytes, str, str]) -> Response[bytes]:
    """A stored photo as an answer, kept privately (staff only) for a day."""
    data, media, digest = found
    return Response(
        data,
        media_type=media,
        headers={
            "ETag": f'"{digest}"',
            "Cache-Control": "private, max-age=86400",
            "X-Content-Type-Options": "nosniff",
        },
    )
