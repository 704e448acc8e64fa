"""One household of a community's roll as it is stored: building, unit and flat each in
:func:`service.text.household` form with spaces removed, joined into the label rounds use
(``3号楼2单元101``), and the key that tells households apart (:func:`household_key`).

A building or unit written as a bare number gets its word: ``3`` → ``3号楼``, ``2`` →
``2单元``; a flat is kept as written (``101``, ``101室``)."""

from __future__ import annotations

from dataclasses import dataclass

from service.text import household, household_key

MOST: int = 40
"""Characters in a building, a unit or a flat."""


def part(typed: str) -> str:
    """A building, unit or flat as stored: full-width folded, dashes and digits ASCII, no
    spaces (raises :class:`service.text.Unprintable`)."""
    return "".join(household(typed).split())


def building_of(typed: str) -> str:
    stored = part(typed)
    return f"{stored}号楼" if stored.isdigit() else stored


def unit_of(typed: str) -> str:
    stored = part(typed)
    return f"{stored}单元" if stored.isdigit() else stored


@dataclass(frozen=True, slots=True)
class Entry:
    """A household's address parts as stored, its label and its key."""

    building: str
    unit: str
    flat: str

    @property
    def label(self) -> str:
        return household(f"{self.building}{self.unit}{self.flat}")

    @property
    def key(self) -> str:
        return household_key(self.label)


def entry(building: str, unit: str, flat: str) -> Entry:
    """The stored form of a household's parts as typed."""
    return Entry(building_of(building), unit_of(unit), part(flat))
