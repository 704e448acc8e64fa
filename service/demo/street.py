"""The street demo (``redbench demo --street``): 矿山集街道 with the pocket park's 杜集社区
and five more communities, 78 grids, 17 grid party branches, the red-bench team, staff
accounts and a year of meetings and requests, on top of the pocket-park example.

A year of history cannot go through the API (every step would be stamped now), so the rows
are written in bulk through the ORM from a :class:`~service.demo.street_plan.StreetPlan`
drawn from a seed: the same seed gives the same rows. The data is invented.
"""

from __future__ import annotations

import asyncio
import random
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from service.audit import record
from service.auth.guard import Actor
from service.auth.hashing import PasswordHasher
from service.db import models
from service.db.base import Base
from service.db.session import create_engine, sessionmaker
from service.db.street import (
    GridBranch,
    Meeting,
    MeetingAttendance,
    MeetingItem,
    RequestEvent,
    Street,
    TeamMember,
)
from service.demo import street_words as w
from service.demo.loader import PASSWORD
from service.demo.street_history import Year, agendas
from service.demo.street_plan import STREET_ACTIONS, ZONE, PlanEvent, StreetPlan, local
from service.demo.street_team import accounts, branches_and_grids, communities, team
from service.settings import Settings


class StreetError(Exception):
    """The street cannot be loaded here; ``zh`` says why in Chinese."""

    def __init__(self, en: str, zh: str) -> None:
        super().__init__(en)
        self.zh = zh


def plan_street(seed: int = 17, year: int = 2026) -> StreetPlan:
    """The street drawn from ``seed``, with the history of ``year`` (no database)."""
    rng = random.Random(seed)
    branches, grids = branches_and_grids()
    members = team(rng, grids, year)
    drawn = Year(rng, grids, year)
    meetings = drawn.meetings()
    requests = drawn.requests(meetings)
    agendas(meetings, requests, rng)
    return StreetPlan(
        seed=seed,
        year=year,
        street=w.STREET,
        zone=ZONE,
        communities=communities(),
        branches=branches,
        grids=grids,
        accounts=accounts(),
        members=members,
        meetings=tuple(meetings),
        requests=tuple(requests),
    )


def load_street(
    settings: Settings, *, seed: int = 17, year: int = 2026, hasher: PasswordHasher | None = None
) -> StreetPlan:
    """Write the street of ``seed`` and ``year`` into a database that holds the pocket park
    and no street yet (:class:`StreetError` otherwise); the plan it wrote. ``hasher`` hashes
    the accounts' one password (the service's cost unless a test brings a cheaper one)."""
    plan = plan_street(seed, year)
    asyncio.run(_load(settings, plan, hasher or PasswordHasher()))
    return plan


def summary(plan: StreetPlan) -> list[str]:
    """What was loaded, for the terminal (Chinese first)."""
    held = [m for m in plan.meetings if m.status == "held" and m.starts_at.year == plan.year]
    return [
        f"已载入{plan.street}：{len(plan.communities)} 个社区、{len(plan.grids)} 个网格、"
        f"{len(plan.branches)} 个网格党支部、{len(plan.members)} 名红板凳队员，"
        f"{plan.year} 年议事宣讲走访 {len(held)} 场、诉求 {len(plan.requests)} 件 / "
        f"Street loaded: {plan.street}, {len(plan.communities)} communities, "
        f"{len(plan.grids)} grids, {len(held)} meetings held and "
        f"{len(plan.requests)} requests in {plan.year}.",
        f"街道账号 / street account: {w.STREET_ACCOUNT[0]}（密码 / password {PASSWORD}）",
    ]


async def _load(settings: Settings, plan: StreetPlan, hasher: PasswordHasher) -> None:
    engine = create_engine(settings.database_url)
    try:
        async with sessionmaker(engine)() as session:
            pocket, users = await _pocket_park(session)
            async with hasher.turn() as turn:
                password_hash = await turn.hash(PASSWORD)
            await _write(session, plan, pocket, users, password_hash)
            await session.commit()
    finally:
        await engine.dispose()


async def _pocket_park(db: AsyncSession) -> tuple[models.Community, dict[str, models.User]]:
    """The pocket park's community and the accounts so far, or the refusal: a street is
    there already, or the pocket park is not."""
    if await db.scalar(select(func.count()).select_from(Street)):
        raise StreetError(
            "the database already holds a street", "数据库里已经有街道了，不能再载入街道示例"
        )
    pocket = await db.scalar(select(models.Community).where(models.Community.name == w.POCKET_PARK))
    users = {u.username: u for u in await db.scalars(select(models.User))}
    if pocket is None or not {"zhuchi", "wangge"} <= set(users):
        raise StreetError(
            "load the pocket park first (redbench demo)", "请先载入口袋公园示例（redbench demo）"
        )
    return pocket, users


async def _write(
    db: AsyncSession,
    plan: StreetPlan,
    pocket: models.Community,
    users: dict[str, models.User],
    password_hash: str,
) -> None:
    """Every row of the plan, table by table, each flushed for its ids."""
    founded = local(date(plan.year - 1, 3, 1), 9)
    street = Street(name=plan.street, time_zone=plan.zone, created_at=founded)
    db.add(street)
    await db.flush()
    pocket.street_id = street.id
    places = {pocket.name: pocket}
    for c in plan.communities:
        if not c.existing:
            places[c.name] = models.Community(
                name=c.name, time_zone=plan.zone, street_id=street.id, created_at=founded
            )
    await _flush(db, list(places.values())[1:])
    branches = {
        (b.community, b.name): GridBranch(community_id=places[b.community].id, name=b.name)
        for b in plan.branches
    }
    await _flush(db, list(branches.values()))
    held = {
        g.name: g
        for g in await db.scalars(select(models.Grid).where(models.Grid.community_id == pocket.id))
    }
    grids: dict[tuple[str, str], models.Grid] = {}
    for g in plan.grids:
        grid = held.get(g.name) if g.existing else None
        if grid is None:
            grid = models.Grid(community_id=places[g.community].id, name=g.name)
            db.add(grid)
        grids[(g.community, g.name)] = grid
    await db.flush()
    for g in plan.grids:
        grids[(g.community, g.name)].branch_id = branches[(g.community, g.branch)].id
    for a in plan.accounts:
        users[a.username] = models.User(
            username=a.username,
            display_name=a.display_name,
            role=a.role,
            password_hash=password_hash,
            community_id=places[a.community].id if a.community else None,
            street_id=street.id if a.community is None else None,
            created_at=founded,
        )
    await _flush(db, [users[a.username] for a in plan.accounts])

    def grid_id(community: str, grid: str | None) -> int | None:
        return grids[(community, grid)].id if grid else None

    joined = local(date(plan.year, 1, 2), 9)
    await _bulk(
        db,
        TeamMember,
        [
            dict(
                community_id=places[m.community].id,
                grid_id=grid_id(m.community, m.grid),
                name=m.name,
                role=m.role,
                phone=m.phone,
                phone_public=m.phone_public,
                consent_on=m.consent_on,
                active=m.active,
                created_at=joined,
            )
            for m in plan.members
        ],
    )
    staff = {c.name: c for c in plan.communities}
    meetings = [
        Meeting(
            community_id=places[m.community].id,
            kind=m.kind,
            title=m.title,
            place=m.place,
            grid_id=grid_id(m.community, m.grid),
            starts_at=m.starts_at,
            ends_at=m.starts_at + _LENGTH,
            facilitator_id=users[staff[m.community].facilitator].id,
            status=m.status,
            topic=m.topic,
            reached=m.reached,
            minutes=m.minutes,
            held_at=m.starts_at + _LENGTH if m.status == "held" else None,
            created_at=m.created_at,
        )
        for m in plan.meetings
    ]
    await _flush(db, meetings)
    await _bulk(
        db,
        MeetingAttendance,
        [
            {"meeting_id": row.id, "category": category, "count": count}
            for row, m in zip(meetings, plan.meetings, strict=True)
            for category, count in m.attendance
        ],
    )
    requests = []
    for r in plan.requests:
        s = r.standing
        logger = users[staff[r.community].logger]
        requests.append(
            models.ResidentRequest(
                community_id=places[r.community].id,
                grid_id=grid_id(r.community, r.grid),
                body=r.body,
                logged_by=logger.id,
                created_at=r.created_at,
                place=r.place,
                category=r.category,
                raised_by=r.raised_by,
                stage=s.stage,
                meeting_id=meetings[s.meeting].id if s.meeting is not None else None,
                escalated_at=s.escalated_at,
                street_state=s.street_state,
                street_assignee=s.street_assignee,
                street_answer=s.street_answer,
                returned_at=s.returned_at,
                closed_at=s.closed_at,
                close_note=s.close_note,
                satisfaction=s.satisfaction,
            )
        )
    await _flush(db, requests)
    street_user = users[w.STREET_ACCOUNT[0]]
    events = []
    for row, r in zip(requests, plan.requests, strict=True):
        community = staff[r.community]
        for e in r.events:
            if e.action in STREET_ACTIONS:
                actor = street_user
            elif e.action in ("logged", "on_spot"):
                actor = users[community.logger]
            else:
                actor = users[community.facilitator]
            events.append(
                {
                    "request_id": row.id,
                    "action": e.action,
                    "note": e.note,
                    "detail": _detail(e, r.category, street.id, meetings),
                    "actor_id": actor.id,
                    "actor": actor.display_name,
                    "at": e.at,
                }
            )
    await _bulk(db, RequestEvent, events)
    await _bulk(
        db,
        MeetingItem,
        [
            {
                "meeting_id": row.id,
                "position": item.position,
                "request_id": requests[item.request].id if item.request is not None else None,
                "note": item.note,
                "decision": item.decision,
                "follow_up": item.follow_up,
            }
            for row, m in zip(meetings, plan.meetings, strict=True)
            for item in m.items
        ],
    )
    admin = Actor(id=None, name="redbench demo --street", role="admin")
    record(db, admin, "demo.street_loaded", "street", street.id, seed=plan.seed, year=plan.year)
    await db.flush()


_LENGTH = timedelta(minutes=90)
"""How long a meeting lasts."""


def _detail(e: PlanEvent, category: str, street_id: int, meetings: list[Meeting]) -> dict[str, Any]:
    """A step's detail as the service writes it."""
    if e.action == "logged":
        return {"category": category}
    if e.action == "meeting" and e.meeting is not None:
        return {"meeting_id": meetings[e.meeting].id}
    if e.action == "escalated":
        return {"street_id": street_id}
    if e.action == "assigned":
        return {"assignee": e.assignee}
    if e.action == "closed":
        return {"satisfaction": e.satisfaction}
    return {}


async def _bulk(db: AsyncSession, table: type[Base], rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` of ``table`` in one statement (rows nothing else refers to)."""
    if rows:
        await db.execute(insert(table), rows)


async def _flush(db: AsyncSession, rows: list[Any]) -> None:
    """Add ``rows`` and write them, so that they have their ids."""
    db.add_all(rows)
    await db.flush()
