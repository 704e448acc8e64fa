"""Request and response shapes for accounts."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta, Struct

from service.inputs import LINE, Input

Role = Literal["admin", "facilitator", "secretary", "grid_worker"]
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


class UserCreate(Input, forbid_unknown_fields=True):
    username: Username
    display_name: DisplayName
    role: Role
    password: Password


class UserUpdate(Input, forbid_unknown_fields=True):
    display_name: DisplayName | None = None
    role: Role | None = None
    password: Password | None = None
    active: bool | None = None
