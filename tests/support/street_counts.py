"""The figures of the street demo counted from its plan alone, in plain Python, following
the figures contract word by word (``docs/figures.md``): a check on the service's counting
that shares none of its code (no SQL, no numpy).

Percentiles: :func:`statistics.quantiles` with ``method="inclusive"`` is numpy's default
linear method: with the days sorted, the q-th percentile sits at position
``(n - 1) * q / 100`` between the two nearest values.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from service.demo.street_plan import PlanEvent, PlanMeeting, PlanRequest, StreetPlan, local
from service.zones import zone

KINDS = ("deliberation", "briefing", "visit")
VERDICTS = ("satisfied", "fairly_satisfied", "dissatisfied")


@dataclass(frozen=True)
class PocketPark:
    """What the pocket-park example (loaded through the API on ``day``) adds to 杜集社区's
    figures: its one request (第三网格, never closed) and its two satisfaction checks."""

    day: date
    feedback: tuple[dict[str, int], ...]

    def request(self) -> PlanRequest:
        logged = PlanEvent("logged", local(self.day, 12))
        return PlanRequest("杜集社区", "第三网格", "other", "", "", "", (logged,))


def figures(
    plan: StreetPlan, pocket: PocketPark, year: int, community: str | None = None
) -> dict[str, Any]:
    """The answer of the street's figures (``community`` None) or of one community's,
    without its ``id``."""
    here = zone(plan.zone)

    def day(at: datetime | None) -> date | None:
        return at.astimezone(here).date() if at is not None else None

    def in_year(at: datetime | None) -> bool:
        seen = day(at)
        return seen is not None and seen.year == year

    def month(at: datetime | None) -> int | None:
        seen = day(at)
        return seen.month if seen is not None and seen.year == year else None

    names = sorted(c.name for c in plan.communities) if community is None else [community]
    meetings = [
        m
        for m in plan.meetings
        if m.community in names and m.status == "held" and in_year(m.starts_at)
    ]
    requests = [r for r in (*plan.requests, pocket.request()) if r.community in names]
    collected = [r for r in requests if in_year(r.created_at)]
    closed = [r for r in requests if in_year(r.standing.closed_at)]
    days = sorted((day(r.standing.closed_at) - day(r.created_at)).days for r in closed)  # type: ignore[operator]
    verdicts = {v: sum(r.standing.satisfaction == v for r in closed) for v in VERDICTS}
    if "杜集社区" in names:
        for check in pocket.feedback:
            if pocket.day.year == year:
                for v in VERDICTS:
                    verdicts[v] += check[v]

    def reached(ms: Iterable[PlanMeeting]) -> int:
        return sum(m.people_reached for m in ms)

    def escalated(rs: Iterable[PlanRequest]) -> int:
        return sum(r.did("escalated") for r in rs)

    by_month = [
        {
            "month": f"{year}-{n:02d}",
            "meetings": sum(month(m.starts_at) == n for m in meetings),
            "people_reached": reached(m for m in meetings if month(m.starts_at) == n),
            "collected": sum(month(r.created_at) == n for r in collected),
            "closed": sum(month(r.standing.closed_at) == n for r in closed),
        }
        for n in range(1, 13)
    ]
    order = {(g.community, g.name): i for i, g in enumerate(plan.grids)}  # the id order
    grids = sorted(
        (g for g in plan.grids if g.community in names),
        key=lambda g: (g.community, order[(g.community, g.name)]),
    )
    by_grid = [
        {
            "community": g.community,
            "grid": g.name,
            "collected": sum((r.community, r.grid) == (g.community, g.name) for r in collected),
            "closed": sum((r.community, r.grid) == (g.community, g.name) for r in closed),
            "escalated": escalated(
                r for r in collected if (r.community, r.grid) == (g.community, g.name)
            ),
            "meetings": sum((m.community, m.grid) == (g.community, g.name) for m in meetings),
        }
        for g in grids
    ]
    by_community = [
        {
            "community": name,
            "meetings": sum(m.community == name for m in meetings),
            "people_reached": reached(m for m in meetings if m.community == name),
            "collected": sum(r.community == name for r in collected),
            "closed": sum(r.community == name for r in closed),
            "escalated": escalated(r for r in collected if r.community == name),
        }
        for name in names
    ]
    return {
        "scope": "street" if community is None else "community",
        "name": plan.street if community is None else community,
        "year": year,
        "zone": plan.zone,
        "meetings": {k: sum(m.kind == k for m in meetings) for k in KINDS},
        "people_reached": reached(meetings),
        "requests": {
            "collected": len(collected),
            "on_spot": sum(r.did("on_spot") for r in collected),
            "meeting": sum(r.did("meeting") for r in collected),
            "escalated": escalated(collected),
            "closed": len(closed),
        },
        "days_to_close": percentiles(days),
        "satisfaction": verdicts,
        "by_month": by_month,
        "by_grid": by_grid,
        "by_community": by_community,
    }


def percentiles(days: list[int]) -> dict[str, Any]:
    """Median and 90th percentile of ``days`` (linear, one decimal), and how many."""
    if not days:
        return {"median": None, "p90": None, "count": 0}
    if len(days) == 1:
        return {"median": float(days[0]), "p90": float(days[0]), "count": 1}
    deciles = statistics.quantiles(days, n=10, method="inclusive")
    return {"median": round(deciles[4], 1), "p90": round(deciles[8], 1), "count": len(days)}
