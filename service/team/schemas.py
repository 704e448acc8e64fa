"""Request and response shapes for the team: a member (:class:`TeamMember`), a new one
(:class:`TeamMemberCreate`) and changes (:class:`TeamMemberUpdate`)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from msgspec import UNSET, Meta, Struct, UnsetType

from service.inputs import LINE, Input

TeamRole = Literal[
    "party_member", "grid_worker", "building_head", "representative", "elder", "youth_volunteer"
]
""":data:`service.db.street.TEAM_ROLES`: 党员, 网格员, 楼栋长, 居民代表, 五老, 青年志愿者."""
Name = Annotated[str, Meta(min_length=1, max_length=120, extra=LINE)]
Phone = Annotated[
    str,
    Meta(
        max_length=20,
        pattern=r"^[0-9+\- ]*$",
        description="digits, spaces, + and - only",
        examples=["13805551234", "0561-3051234"],
    ),
]


class TeamMember(Struct):
    """A team member as staff see them (the phone number whatever the consent)."""

    id: int
    community_id: int
    name: str
    role: TeamRole
    grid_id: int | None
    grid: str | None
    """The grid's name."""
    phone: str
    phone_public: bool
    """Shown on the board's grid card: only with ``consent_on``."""
    consent_on: date | None
    active: bool


class TeamMemberCreate(Input, forbid_unknown_fields=True):
    """A new member. ``phone_public`` needs ``consent_on`` (the day the member agreed) and
    a phone number (422 ``team-consent-required`` / ``team-phone-required``)."""

    name: Name
    role: TeamRole
    grid_id: int | None = None
    phone: Phone = ""
    phone_public: bool = False
    consent_on: date | None = None


class TeamMemberUpdate(Input, forbid_unknown_fields=True):
    """Changes to a member; fields left out stay. ``active`` false takes the member off
    the board (deactivated, kept in the list)."""

    name: Name | UnsetType = UNSET
    role: TeamRole | UnsetType = UNSET
    grid_id: int | UnsetType | None = UNSET
    phone: Phone | UnsetType = UNSET
    phone_public: bool | UnsetType = UNSET
    consent_on: date | UnsetType | None = UNSET
    active: bool | UnsetType = UNSET
