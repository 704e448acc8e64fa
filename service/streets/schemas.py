"""Request and response shapes for streets, their communities and grid party branches."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from msgspec import Meta, Struct

from service.communities.schemas import Name, TimeZone, known_zone
from service.inputs import Input
from service.zones import DEFAULT_ZONE


class StreetCommunity(Struct):
    id: int
    name: str


class Street(Struct):
    """A street office (街道办事处) and the communities under it, by name."""

    id: int
    name: str
    time_zone: str
    created_at: datetime
    communities: list[StreetCommunity]


class StreetCreate(Input, forbid_unknown_fields=True):
    name: Name
    time_zone: TimeZone = DEFAULT_ZONE

    def __post_init__(self) -> None:
        super().__post_init__()
        known_zone(self.time_zone)


class StreetPlacement(Input, forbid_unknown_fields=True):
    """The street a community is under (``null``: none)."""

    street_id: int | None


class Branch(Struct):
    """A grid party branch (网格党支部) and the grids it covers."""

    id: int
    community_id: int
    name: str
    grid_ids: list[int]


class BranchCreate(Input, forbid_unknown_fields=True):
    name: Name
    grid_ids: Annotated[list[int], Meta(max_length=100)] = []


class BranchPlacement(Input, forbid_unknown_fields=True):
    """The branch that covers a grid (``null``: none)."""

    branch_id: int | None
