"""A stored photo as the API shows it, and the caption photos are uploaded with."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from msgspec import Meta, Struct

from service.inputs import LINE, Input


class Photo(Struct):
    """A stored photo (re-encoded JPEG, no metadata); the image is at ``url``."""

    id: int
    caption: str
    content_type: str
    size: int
    sha256: str
    url: str
    created_at: datetime


class PhotoCaption(Input, forbid_unknown_fields=True):
    """The caption photos are uploaded with (a multipart form field)."""

    caption: Annotated[str, Meta(max_length=200, extra=LINE)] = ""
