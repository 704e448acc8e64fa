"""The figures as one msgspec Struct, :class:`Figures`: the same shape for a street and a
community, for the API, the XLSX workbook, the charts and the pages (``docs/figures.md``
says what each number counts)."""

from __future__ import annotations

from typing import Literal

from msgspec import Struct

Scope = Literal["street", "community"]


class MeetingCounts(Struct, frozen=True):
    """Held meetings by kind: 议事, 宣讲, 走访."""

    deliberation: int
    briefing: int
    visit: int


class RequestCounts(Struct, frozen=True):
    """Residents' requests: collected in the year, of those how many were handled on the
    spot, put to a meeting, escalated to the street; and how many were closed (销号) in the
    year, whenever they were collected."""

    collected: int
    on_spot: int
    meeting: int
    escalated: int
    closed: int


class DaysToClose(Struct, frozen=True):
    """Days from collection to 销号 of the requests closed in the year: median and 90th
    percentile (numpy's linear method, one decimal; ``None`` when none closed)."""

    median: float | None
    p90: float | None
    count: int


class Satisfaction(Struct, frozen=True):
    """Verdicts at the close of requests, plus the feedback counts taken on processes."""

    satisfied: int
    fairly_satisfied: int
    dissatisfied: int


class MonthRow(Struct, frozen=True):
    month: str
    """``YYYY-MM``."""
    meetings: int
    people_reached: int
    collected: int
    closed: int


class GridRow(Struct, frozen=True):
    community: str
    grid: str
    collected: int
    closed: int
    escalated: int
    meetings: int


class CommunityRow(Struct, frozen=True):
    community: str
    meetings: int
    people_reached: int
    collected: int
    closed: int
    escalated: int


class Figures(Struct, frozen=True):
    """The figures of a street or a community for one calendar year in its zone."""

    scope: Scope
    id: int
    name: str
    year: int
    zone: str
    meetings: MeetingCounts
    people_reached: int
    requests: RequestCounts
    days_to_close: DaysToClose
    satisfaction: Satisfaction
    by_month: list[MonthRow]
    """Always twelve rows, January first."""
    by_grid: list[GridRow]
    """Every grid of the scope, by community name then grid id."""
    by_community: list[CommunityRow]
    """Every community of the scope, by name."""
