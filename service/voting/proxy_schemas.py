"""Request and response shapes for proxies (委托代投) in a household round."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from msgspec import Meta, Struct

from service.inputs import HOUSEHOLD, LINE, PROSE, Input

MOST_PHOTO_BYTES = 6 * 1024 * 1024
"""Bytes of an authorisation's photo as sent (base64 in JSON; a phone photo fits)."""
MOST_PROXY_LIMIT = 20

Label = Annotated[str, Meta(max_length=120, extra=HOUSEHOLD)]
Name = Annotated[str, Meta(max_length=120, extra=LINE)]
Serial = Annotated[str, Meta(max_length=80, extra=LINE)]
Reason = Annotated[str, Meta(min_length=1, max_length=2000, extra=PROSE)]


class ProxyCreate(Input, forbid_unknown_fields=True):
    """A written authorisation: household ``grantor`` (a household of the round, by its
    label) lets the holder vote for it — the holder named by household label, name or both;
    the authorisation by serial number, photo (JPEG, PNG, WebP or HEIC, base64 in JSON;
    stored re-encoded without metadata) or both; ``signed_on`` the date written on it."""

    grantor: Annotated[str, Meta(min_length=1, max_length=120, extra=HOUSEHOLD)]
    signed_on: date
    holder_label: Label = ""
    holder_name: Name = ""
    serial: Serial = ""
    photo: Annotated[bytes, Meta(max_length=MOST_PHOTO_BYTES)] | None = None
    photo_name: Annotated[str, Meta(max_length=200)] = ""


class ProxyRevoke(Input, forbid_unknown_fields=True):
    reason: Reason


class ProxyLimit(Struct, forbid_unknown_fields=True):
    """How many authorisations one holder may hold in the round (set before voting)."""

    limit: Annotated[int, Meta(ge=1, le=MOST_PROXY_LIMIT)]


class ProxyOut(Struct):
    """A recorded authorisation; ``used`` once its grantor household has voted (with its
    own code, handed to the holder) and it was not revoked. Nothing links it to a ballot."""

    id: int
    round_id: int
    grantor: str
    holder_label: str
    holder_name: str
    serial: str
    photo_url: str | None
    signed_on: date
    recorded_by: str
    recorded_at: datetime
    revoked_at: datetime | None
    revoke_reason: str | None
    used: bool
    photo_deleted_at: datetime | None = None
    """When the photo was deleted (the round was published or cancelled): there was one."""


class ProxyList(Struct):
    """The round's authorisations, oldest first, with the round's limit per holder."""

    round_id: int
    limit: int
    proxies: list[ProxyOut]
