"""A calendar year and its months in a zone, as the UTC instants the database compares
stored times with: a time is in month *m* when it is at or after the start of *m* and
before the start of *m + 1*, both taken in the zone (so 2025-12-31 23:30 北京时间, stored
as 15:30 UTC, falls in December 2025, not in 2026)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, Final

from sqlalchemy import ColumnElement, and_, case

from service.zones import today, zone

FIRST_YEAR: Final = 2000
LAST_YEAR: Final = 2100
"""The years the figures can be asked for."""


def month_starts(year: int, zone_name: str) -> list[datetime]:
    """The thirteen instants (UTC) at which January … December of ``year`` and January of
    the next year begin in the zone."""
    where = zone(zone_name)
    starts = [datetime(year, month, 1, tzinfo=where) for month in range(1, 13)]
    starts.append(datetime(year + 1, 1, 1, tzinfo=where))
    return [start.astimezone(UTC) for start in starts]


def in_period(column: Any, starts: list[datetime]) -> ColumnElement[bool]:
    """Whether a stored time falls in the year ``starts`` spans."""
    return and_(column >= starts[0], column < starts[-1])


def month_of(column: Any, starts: list[datetime]) -> ColumnElement[int]:
    """The month (1–12) of a stored time inside the year (:func:`in_period` first)."""
    return case(
        *((column < start, month) for month, start in enumerate(starts[1:-1], start=1)),
        else_=12,
    )


def current_year(zone_name: str) -> int:
    """This year in the zone: the year the figures show unless another is asked for."""
    return today(zone_name).year


def year_days(year: int) -> tuple[date, date]:
    """The first and last day of ``year`` (for dates stored without a time)."""
    return date(year, 1, 1), date(year, 12, 31)
