"""Request and response shapes for communities and grids."""

from __future__ import annotations

from typing import Annotated

from msgspec import UNSET, Meta, Struct, UnsetType

from service.errors import Invalid
from service.inputs import LINE, Input
from service.zones import DEFAULT_ZONE, UnknownZone, zone

Name = Annotated[str, Meta(min_length=1, max_length=120, extra=LINE)]
TimeZone = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=64,
        description="IANA time zone the community's pages and records show times in",
        examples=["Asia/Shanghai", "Asia/Urumqi"],
    ),
]


def known_zone(name: str) -> str:
    """``name`` if it is a time zone, else 422 ``unknown-time-zone``."""
    try:
        zone(name)
    except UnknownZone:
        raise Invalid("unknown-time-zone", field="time_zone", name=name) from None
    return name


class Community(Struct):
    id: int
    name: str
    time_zone: str
    grids: list[Grid]


class CommunityCreate(Input, forbid_unknown_fields=True):
    name: Name
    time_zone: TimeZone = DEFAULT_ZONE

    def __post_init__(self) -> None:
        super().__post_init__()
        known_zone(self.time_zone)


class CommunityUpdate(Input, forbid_unknown_fields=True):
    """Changes to a community; fields left out stay."""

    name: Name | UnsetType = UNSET
    time_zone: TimeZone | UnsetType = UNSET

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.time_zone is not UNSET:
            known_zone(self.time_zone)


class Grid(Struct):
    id: int
    name: str


class GridCreate(Input, forbid_unknown_fields=True):
    name: Name
