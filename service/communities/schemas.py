"""Request and response shapes for communities and grids."""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta, Struct

from service.inputs import LINE, Input

Name = Annotated[str, Meta(min_length=1, max_length=120, extra=LINE)]


class Community(Struct):
    id: int
    name: str
    grids: list[Grid]


class CommunityCreate(Input, forbid_unknown_fields=True):
    name: Name


class Grid(Struct):
    id: int
    name: str


class GridCreate(Input, forbid_unknown_fields=True):
    name: Name
