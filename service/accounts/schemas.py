"""Request and response shapes for accounts."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta, Struct

from service.inputs import LINE, Input

Role = Literal["admin", "facilitator", "secretary", "grid_worker", "street"]
Username = Annotated[str, Meta(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_.\-]+$")]
DisplayName = Annotated[str, Meta(min_length=1, max_length=120, extra=LINE)]
Password = Annotated[str, Meta(min_length=8, max_length=200)]


class Login(Struct, forbid_unknown_fields=True):
    username: Username
    password: Annotated[str, Meta(min_length=1, max_length=200)]


class Session(Struct):
    """A new bearer token (shown once) and who it belongs to."""

    token: str
    user: UserOut


class UserOut(Struct):
    id: int
    username: str
    display_name: str
    role: str
    active: bool
    community_id: int | None = None
    """The community the account works in (``None``: every community)."""
    street_id: int | None = None
    """The street a ``street`` account works for."""


class UserCreate(Input, forbid_unknown_fields=True):
    username: Username
    display_name: DisplayName
    role: Role
    password: Password
    community_id: int | None = None
    """Tie a community role to one community (required to leave it out: it then reaches
    every community)."""
    street_id: int | None = None
    """The street a ``street`` account works for (required for that role, refused for any
    other)."""


class UserUpdate(Input, forbid_unknown_fields=True):
    display_name: DisplayName | None = None
    role: Role | None = None
    password: Password | None = None
    active: bool | None = None
    community_id: int | None = None
    """Tie the account to this community (``None``: unchanged)."""
    street_id: int | None = None
    """Tie a ``street`` account to this street (``None``: unchanged)."""
