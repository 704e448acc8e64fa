"""Request and response shapes for communities and grids."""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta, Struct

Name = Annotated[str, Meta(min_length=1, max_length=120)]


class Community(Struct):
    id: int
    name: str
    grids: list[Grid]


class CommunityCreate(Struct, forbid_unknown_fields=True):
    name: Name


class Grid(Struct):
    id: int
    name: str


class GridCreate(Struct, forbid_unknown_fields=True):
    name: Name
