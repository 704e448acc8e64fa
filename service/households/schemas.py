"""Request and response shapes for a community's household roll."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Final, Literal

from msgspec import UNSET, Meta, Struct, UnsetType

from service.inputs import LINE, Input

Part = Annotated[str, Meta(min_length=1, max_length=40, extra=LINE)]
Unit = Annotated[str, Meta(max_length=40, extra=LINE)]
Head = Annotated[str, Meta(max_length=120, extra=LINE)]
GridName = Annotated[str, Meta(max_length=120, extra=LINE, description="a grid's name")]
MOST_FILE_BYTES = 5 * 1024 * 1024
"""Bytes of a roll file (a few thousand lines take a few hundred kilobytes)."""


class RollHousehold(Struct):
    """A household of the community's roll; ``label`` is what rounds use."""

    id: int
    community_id: int
    building: str
    unit: str
    flat: str
    label: str
    head: str
    grid_id: int | None
    grid: str | None
    active: bool
    updated_at: datetime


class RollHouseholds(Struct):
    """The roll (filtered as asked), with the community's counts."""

    community_id: int
    total: int
    active: int
    households: list[RollHousehold]


class RollHouseholdCreate(Input, forbid_unknown_fields=True):
    """A household added by hand. A bare number as building or unit gets its word
    (``3`` → ``3号楼``); ``grid`` names one of the community's grids."""

    building: Part
    flat: Part
    unit: Unit = ""
    head: Head = ""
    grid: GridName | None = None


class RollHouseholdUpdate(Input, forbid_unknown_fields=True):
    """Changes to a household of the roll; fields left out stay. ``grid`` ``null`` clears
    it; ``active`` false takes it off the roll (it is kept, and can come back)."""

    building: Part | UnsetType = UNSET
    flat: Part | UnsetType = UNSET
    unit: Unit | UnsetType = UNSET
    head: Head | UnsetType = UNSET
    grid: GridName | UnsetType | None = UNSET
    active: bool | UnsetType = UNSET


class RollImport(Struct, forbid_unknown_fields=True):
    """A roll file to read: with ``dry_run`` (the default) only the preview, else the new
    and changed lines written. Lines missing from the file stay on the roll."""

    file: Annotated[
        bytes,
        Meta(
            min_length=1,
            max_length=MOST_FILE_BYTES,
            description="the CSV file's bytes (base64 in JSON): UTF-8 with or without BOM, "
            "or GB18030/GBK; header 楼栋,单元,户号,户主,网格 or building,unit,flat,head,grid",
        ),
    ]
    dry_run: bool = True


MOST_WITH_LINES: Final[int] = 10
"""Other lines a refused line names; beyond them it says how many more."""
LineStatus = Literal["new", "changed", "unchanged", "refused"]
Reason = Literal[
    "missing-building", "missing-flat", "unknown-grid", "duplicate", "look-alike", "unreadable"
]


class ImportLine(Struct):
    """A line of the file by its number: what importing does with it. A refused line says
    why (``reason``) and, for a duplicate or look-alike, the other lines involved."""

    line: int
    status: LineStatus
    label: str
    head: str
    grid: str
    reason: Reason | None = None
    with_lines: list[int] = []
    """The other lines involved, the first :data:`MOST_WITH_LINES` of them."""
    with_more: int = 0
    """How many more other lines are involved than ``with_lines`` names."""


class ImportReport(Struct):
    """What the file holds for the roll, line by line; ``applied`` once written."""

    community_id: int
    applied: bool
    new: int
    changed: int
    unchanged: int
    refused: int
    lines: list[ImportLine]
