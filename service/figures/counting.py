"""Counting the figures of a street or a community for one year: the database counts
(grouped by month, community and grid, or by kind and action), numpy takes the percentiles
of the days to 销号, and :func:`figures` puts the counts into :class:`Figures`.

Every time is taken in the scope's zone (:mod:`service.figures.periods`): the database
compares stored UTC times with the instants the zone's months begin at. Days to 销号 are
calendar days between two local dates, which only the zone knows, so they are worked out
from the closed requests' two times — the one figure not counted by the database.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from engine.spread import spread_of
from service.communities.controllers import find_community
from service.db import models
from service.db.street import (
    MEETING_KINDS,
    VERDICTS,
    Meeting,
    MeetingAttendance,
    RequestEvent,
)
from service.figures.periods import in_period, month_of, month_starts, year_days
from service.figures.schemas import (
    CommunityRow,
    DaysToClose,
    Figures,
    GridRow,
    MeetingCounts,
    MonthRow,
    RequestCounts,
    Satisfaction,
    Scope,
)
from service.streets.repository import find_street
from service.zones import days_between

STEPS = ("on_spot", "meeting", "escalated")
"""The request events counted for the requests collected in the year (once per request)."""
Place = tuple[int, int | None]
"""A community id and a grid id (``None``: no grid)."""


@dataclass(frozen=True, slots=True)
class Area:
    """What the figures are counted over: a street's communities, or one community."""

    scope: Scope
    id: int
    name: str
    zone: str
    communities: list[tuple[int, str]]
    """Ids and names, by name (in code point order, the same on every database: a
    database's collation may order 汉字 otherwise)."""


async def street_area(db: AsyncSession, street_id: int) -> Area:
    """A street and every community on it (404 ``no-street``)."""
    street = await find_street(db, street_id)
    rows = await db.execute(
        select(models.Community.id, models.Community.name).where(
            models.Community.street_id == street_id
        )
    )
    ordered = sorted(((r.id, r.name) for r in rows), key=lambda c: (c[1], c[0]))
    return Area("street", street.id, street.name, street.time_zone, ordered)


async def community_area(db: AsyncSession, community_id: int) -> Area:
    """One community (404 ``no-community``)."""
    community = await find_community(db, community_id)
    return Area(
        "community",
        community.id,
        community.name,
        community.time_zone,
        [(community.id, community.name)],
    )


def _monthly(column: Any, starts: list[datetime], query: Any) -> Select[Any]:
    """``query`` grouped by the month of ``column`` (and its other columns), counted, and its
    ``value`` column summed as ``total`` if it has one: the month is
    worked out in a subquery, so the outer GROUP BY names a column, not an expression with
    parameters (which PostgreSQL would not match with the SELECT's own)."""
    inner = query.add_columns(month_of(column, starts).label("month")).subquery()
    kept = [c for c in inner.c if c.name != "value"]
    summed = [func.sum(inner.c.value).label("total")] if "value" in inner.c else []
    return select(*kept, func.count().label("n"), *summed).group_by(*kept)


async def _meetings(db: AsyncSession, ids: list[int], starts: list[datetime]) -> list[Any]:
    """Held meetings in the year: (kind, community, grid, month, how many, people reached)."""
    seated = (
        select(func.coalesce(func.sum(MeetingAttendance.count), 0))
        .where(MeetingAttendance.meeting_id == Meeting.id)
        .scalar_subquery()
    )
    reached = func.coalesce(
        func.nullif(Meeting.reached, 0), seated
    )  # the people reached if given, else those who sat down
    query = select(
        Meeting.kind, Meeting.community_id, Meeting.grid_id, reached.label("value")
    ).where(
        Meeting.status == "held",
        Meeting.community_id.in_(ids),
        in_period(Meeting.starts_at, starts),
    )
    return list(await db.execute(_monthly(Meeting.starts_at, starts, query)))


async def _requests_by_month(
    db: AsyncSession, ids: list[int], starts: list[datetime], column: Any
) -> list[Any]:
    """Requests whose ``column`` (collected or closed) is in the year: (community, grid,
    month, how many)."""
    request = models.ResidentRequest
    query = select(request.community_id, request.grid_id).where(
        request.community_id.in_(ids), in_period(column, starts)
    )
    return list(await db.execute(_monthly(column, starts, query)))


async def _steps(db: AsyncSession, ids: list[int], starts: list[datetime]) -> list[Any]:
    """Requests collected in the year with an on-the-spot, meeting or escalation event:
    (action, community, grid, how many requests)."""
    request = models.ResidentRequest
    query = (
        select(
            RequestEvent.action,
            request.community_id,
            request.grid_id,
            func.count(func.distinct(RequestEvent.request_id)).label("n"),
        )
        .join(request, request.id == RequestEvent.request_id)
        .where(
            RequestEvent.action.in_(STEPS),
            request.community_id.in_(ids),
            in_period(request.created_at, starts),
        )
        .group_by(RequestEvent.action, request.community_id, request.grid_id)
    )
    return list(await db.execute(query))


async def _days_open(
    db: AsyncSession, ids: list[int], starts: list[datetime], zone_name: str
) -> list[int]:
    """Calendar days from collection to 销号 (local dates) of each request closed in the
    year."""
    request = models.ResidentRequest
    rows = await db.execute(
        select(request.created_at, request.closed_at).where(
            request.community_id.in_(ids), in_period(request.closed_at, starts)
        )
    )
    return [days_between(opened, closed, zone_name) for opened, closed in rows if closed]


def days_to_close(days: list[int]) -> DaysToClose:
    """Median and 90th percentile (:func:`engine.spread.spread_of`: numpy's linear
    percentiles), rounded to one decimal."""
    spread = spread_of(days)
    return DaysToClose(median=spread.median, p90=spread.p90, count=spread.count)


async def _satisfaction(
    db: AsyncSession, ids: list[int], starts: list[datetime], year: int
) -> Satisfaction:
    """Verdicts at the close of the requests closed in the year, plus the feedback checks
    held in the year on the scope's processes."""
    request = models.ResidentRequest
    verdicts: Counter[str] = Counter()
    rows = await db.execute(
        select(request.satisfaction, func.count())
        .where(
            request.community_id.in_(ids),
            in_period(request.closed_at, starts),
            request.satisfaction.in_(VERDICTS),
        )
        .group_by(request.satisfaction)
    )
    verdicts.update({str(verdict): int(n) for verdict, n in rows})
    feedback = models.Feedback
    first, last = year_days(year)
    checks = (
        await db.execute(
            select(
                func.coalesce(func.sum(feedback.satisfied), 0),
                func.coalesce(func.sum(feedback.fairly_satisfied), 0),
                func.coalesce(func.sum(feedback.dissatisfied), 0),
            )
            .join(models.Process, models.Process.id == feedback.process_id)
            .where(
                models.Process.community_id.in_(ids),
                and_(feedback.held_on >= first, feedback.held_on <= last),
            )
        )
    ).one()
    verdicts.update(dict(zip(VERDICTS, (int(n) for n in checks), strict=True)))
    return Satisfaction(**{verdict: verdicts[verdict] for verdict in VERDICTS})


async def _grids(db: AsyncSession, area: Area) -> list[tuple[int, int, str]]:
    """Every grid of the area: (community id, grid id, name), by community name then id."""
    rank = {cid: i for i, (cid, _) in enumerate(area.communities)}
    rows = await db.execute(
        select(models.Grid.community_id, models.Grid.id, models.Grid.name).where(
            models.Grid.community_id.in_(list(rank))
        )
    )
    return sorted(((r[0], r[1], r[2]) for r in rows), key=lambda g: (rank[g[0]], g[1]))


def _tally(rows: Iterable[Any], key: Any, amount: Any) -> Counter[Any]:
    """The counted rows summed by ``key(row)``."""
    out: Counter[Any] = Counter()
    for row in rows:
        out[key(row)] += int(amount(row) or 0)
    return out


async def figures(db: AsyncSession, area: Area, year: int) -> Figures:
    """The figures of ``area`` for ``year`` (``docs/figures.md``)."""
    return (await counted(db, area, year)).figures


@dataclass(frozen=True, slots=True)
class Counted:
    """The figures, and what the dashboard's chart of meetings adds to them."""

    figures: Figures
    kind_months: list[list[int]]
    """Held meetings of each kind of :data:`MEETING_KINDS` (rows) in each month (columns)."""


async def counted(db: AsyncSession, area: Area, year: int) -> Counted:
    """:func:`figures`, with the held meetings by kind and month."""
    ids = [cid for cid, _ in area.communities]
    starts = month_starts(year, area.zone)
    request = models.ResidentRequest
    meetings = await _meetings(db, ids, starts)
    collected = await _requests_by_month(db, ids, starts, request.created_at)
    closed = await _requests_by_month(db, ids, starts, request.closed_at)
    steps = await _steps(db, ids, starts)

    def n(row: Any) -> int:
        return int(row.n)

    def people(row: Any) -> int:
        return int(row.total or 0)

    by_kind = _tally(meetings, lambda r: r.kind, n)
    steps_by_action = _tally(steps, lambda r: r.action, n)
    month_counts = {
        "meetings": _tally(meetings, lambda r: r.month, n),
        "people": _tally(meetings, lambda r: r.month, people),
        "collected": _tally(collected, lambda r: r.month, n),
        "closed": _tally(closed, lambda r: r.month, n),
    }

    def place(row: Any) -> Place:
        return (row.community_id, row.grid_id)

    place_counts = {
        "meetings": _tally(meetings, place, n),
        "people": _tally(meetings, place, people),
        "collected": _tally(collected, place, n),
        "closed": _tally(closed, place, n),
        "escalated": _tally((r for r in steps if r.action == "escalated"), place, n),
    }

    def in_community(what: str, cid: int) -> int:
        return sum(v for (c, _), v in place_counts[what].items() if c == cid)

    names = dict(area.communities)
    kind_months = _tally(meetings, lambda r: (r.kind, r.month), n)
    made = Figures(
        scope=area.scope,
        id=area.id,
        name=area.name,
        year=year,
        zone=area.zone,
        meetings=MeetingCounts(**{kind: by_kind[kind] for kind in MEETING_KINDS}),
        people_reached=sum(month_counts["people"].values()),
        requests=RequestCounts(
            collected=sum(month_counts["collected"].values()),
            on_spot=steps_by_action["on_spot"],
            meeting=steps_by_action["meeting"],
            escalated=steps_by_action["escalated"],
            closed=sum(month_counts["closed"].values()),
        ),
        days_to_close=days_to_close(await _days_open(db, ids, starts, area.zone)),
        satisfaction=await _satisfaction(db, ids, starts, year),
        by_month=[
            MonthRow(
                month=f"{year:04d}-{m:02d}",
                meetings=month_counts["meetings"][m],
                people_reached=month_counts["people"][m],
                collected=month_counts["collected"][m],
                closed=month_counts["closed"][m],
            )
            for m in range(1, 13)
        ],
        by_grid=[
            GridRow(
                community=names[cid],
                grid=grid_name,
                collected=place_counts["collected"][cid, gid],
                closed=place_counts["closed"][cid, gid],
                escalated=place_counts["escalated"][cid, gid],
                meetings=place_counts["meetings"][cid, gid],
            )
            for cid, gid, grid_name in await _grids(db, area)
        ],
        by_community=[
            CommunityRow(
                community=name,
                meetings=in_community("meetings", cid),
                people_reached=in_community("people", cid),
                collected=in_community("collected", cid),
                closed=in_community("closed", cid),
                escalated=in_community("escalated", cid),
            )
            for cid, name in area.communities
        ],
    )
    return Counted(made, [[kind_months[kind, m] for m in range(1, 13)] for kind in MEETING_KINDS])
