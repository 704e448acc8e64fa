"""The street demo (``redbench demo --street``): deterministic from its seed, the shapes the
issue names, rows that agree with their histories, and the street dashboard's figures
against counts made from the plan alone (:mod:`tests.support.street_counts`).

One set-up per database for the whole module (:func:`loaded`): the pocket park loaded once
and copied, the street loaded onto both copies and the two compared row by row; the tests
read the first. Passwords are hashed at the tests' cost.
"""

from __future__ import annotations

import asyncio
import hashlib
import shutil
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from litestar.testing import TestClient
from sqlalchemy import select, text

import service.app
from service.auth.hashing import PasswordHasher
from service.cli import main
from service.db import models
from service.db.base import Base
from service.db.session import create_engine, sessionmaker
from service.db.street import RequestEvent, Street, TeamMember
from service.demo import loader
from service.demo.street import StreetError, load_street, plan_street, summary
from service.demo.street_plan import PlanEvent, StreetPlan, settle
from service.settings import Settings
from service.zones import today as zone_today
from tests.support.app import CHEAP, SECRET
from tests.support.databases import empty_database
from tests.support.street_counts import PocketPark, figures, percentiles

YEAR = 2026
DIGESTED = (
    "streets",
    "communities",
    "grid_branches",
    "grids",
    "users",
    "team_members",
    "meetings",
    "meeting_attendance",
    "meeting_items",
    "requests",
    "request_events",
)
"""The tables the street writes (audit rows carry the time of loading and are left out)."""


@dataclass(frozen=True)
class Loaded:
    settings: Settings
    plan: StreetPlan
    pocket: PocketPark
    digests: tuple[str, str]
    plans: tuple[StreetPlan, StreetPlan]
    ids: dict[str, int]
    """The street's id (key ``street``) and each community's by name."""


def cheap() -> PasswordHasher:
    return PasswordHasher(CHEAP)


async def _ids(url: str) -> dict[str, int]:
    engine = create_engine(url)
    async with sessionmaker(engine)() as db:
        ids = {"street": (await db.scalars(select(Street.id))).one()}
        ids |= {c.name: c.id for c in await db.scalars(select(models.Community))}
    await engine.dispose()
    return ids


async def _digest(url: str) -> str:
    """SHA-256 over every row the street wrote, in id order (the accounts' password hashes,
    salted afresh each time, left out)."""
    engine = create_engine(url)
    digest = hashlib.sha256()
    async with engine.connect() as conn:
        for name in DIGESTED:
            table = Base.metadata.tables[name]
            rows = await conn.execute(table.select().order_by(*table.primary_key.columns))
            for row in rows.mappings():
                kept = {k: v for k, v in row.items() if k != "password_hash"}
                digest.update(repr(sorted(kept.items())).encode())
    await engine.dispose()
    return digest.hexdigest()


def _copy(backend: str, url: str, request: pytest.FixtureRequest) -> str:
    """A second database like ``url``: a copy of the SQLite file, or on PostgreSQL a
    database made from it as a template (dropped after the module)."""
    if backend == "sqlite":
        source = Path(url.removeprefix("sqlite+aiosqlite:///"))
        copy = source.with_name("copy.sqlite3")
        shutil.copy(source, copy)
        return f"sqlite+aiosqlite:///{copy}"
    server, _, name = url.rpartition("/")

    async def admin(statement: str) -> None:
        engine = create_engine(f"{server}/postgres")
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(statement))
        await engine.dispose()

    asyncio.run(admin(f"DROP DATABASE IF EXISTS {name}_street WITH (FORCE)"))
    asyncio.run(admin(f"CREATE DATABASE {name}_street TEMPLATE {name}"))
    request.addfinalizer(lambda: asyncio.run(admin(f"DROP DATABASE {name}_street WITH (FORCE)")))
    return f"{server}/{name}_street"


@pytest.fixture(scope="module")
def loaded(
    backend: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Loaded:
    """The pocket park loaded once, copied, and the street loaded onto both copies."""
    url = empty_database(backend, request, tmp_path_factory.mktemp("street"))
    settings = Settings(database_url=url, secret_key=SECRET)
    with pytest.MonkeyPatch.context() as patch:  # the pocket park's accounts, cheaply
        patch.setattr(loader, "PasswordHasher", cheap)
        patch.setattr(service.app, "PasswordHasher", cheap)
        loader.load_demo(settings)
    pocket = PocketPark(zone_today(), (loader.FIRST_CHECK, loader.SECOND_CHECK))
    twin = _copy(backend, url, request)
    plans, digests = [], []
    for where in (url, twin):
        plans.append(load_street(Settings(database_url=where, secret_key=SECRET), hasher=cheap()))
        digests.append(asyncio.run(_digest(where)))
    ids = asyncio.run(_ids(url))
    return Loaded(settings, plans[0], pocket, (digests[0], digests[1]), (plans[0], plans[1]), ids)


def test_the_same_seed_gives_the_same_plan_and_the_same_rows(loaded: Loaded) -> None:
    first, second = loaded.plans
    assert first == second == loaded.plan
    assert loaded.digests[0] == loaded.digests[1]
    assert plan_street(seed=18) != loaded.plan  # the seed matters


def test_the_street_has_the_shape_the_issue_names(loaded: Loaded) -> None:
    plan = loaded.plan
    assert (len(plan.communities), len(plan.grids), len(plan.branches)) == (6, 78, 17)
    roles = Counter(m.role for m in plan.members)
    assert roles["grid_worker"] == 130
    assert set(roles) == {
        "party_member",
        "grid_worker",
        "building_head",
        "representative",
        "elder",
        "youth_volunteer",
    }
    held = [m for m in plan.meetings if m.status == "held" and m.starts_at.year == YEAR]
    assert len(held) >= 50
    briefings = [m for m in held if m.kind == "briefing"]
    assert len(briefings) == 22
    assert sum(m.people_reached for m in briefings) == 900
    assert {m.status for m in plan.meetings} == {"held", "planned", "cancelled"}
    assert len(plan.solved_at_meetings()) >= 20
    stages = Counter(r.standing.stage for r in plan.requests)
    assert len(plan.requests) >= 300
    assert stages["closed"] > 300
    assert stages["closed"] < len(plan.requests)
    assert {"open", "meeting", "escalated", "returned"} <= set(stages)
    assert summary(plan)[0].startswith("已载入矿山集街道：6 个社区、78 个网格、17 个网格党支部")


def test_phone_numbers_are_public_only_with_consent(loaded: Loaded) -> None:
    members = loaded.plan.members
    assert all(m.phone and m.consent_on for m in members if m.phone_public)
    assert any(m.phone and not m.phone_public for m in members)
    assert all(m.phone.startswith("138-0000-") for m in members if m.phone)


async def test_the_rows_agree_with_the_plan_and_their_histories(loaded: Loaded) -> None:
    engine = create_engine(loaded.settings.database_url)
    async with sessionmaker(engine)() as db:
        street = (await db.scalars(select(Street))).one()
        on_street = (
            await db.scalars(
                select(models.Community).where(models.Community.street_id == street.id)
            )
        ).all()
        assert sorted(c.name for c in on_street) == sorted(c.name for c in loaded.plan.communities)
        jiedao = await db.scalar(select(models.User).where(models.User.username == "jiedao"))
        assert jiedao is not None
        assert (jiedao.role, jiedao.street_id) == ("street", street.id)
        tied = await db.scalars(select(models.User).where(models.User.community_id.is_not(None)))
        assert len(tied.all()) == 5
        assert len((await db.scalars(select(TeamMember))).all()) == len(loaded.plan.members)
        requests = (
            await db.scalars(select(models.ResidentRequest).order_by(models.ResidentRequest.id))
        ).all()
        street_rows = [r for r in requests if r.id > 1]  # the first is the pocket park's
        assert len(street_rows) == len(loaded.plan.requests)
        events: dict[int, list[PlanEvent]] = {}
        for e in await db.scalars(select(RequestEvent).order_by(RequestEvent.id)):
            meeting = e.detail.get("meeting_id")
            events.setdefault(e.request_id, []).append(
                PlanEvent(e.action, e.at, e.note, meeting, e.detail.get("assignee", ""))
            )
        for row in street_rows:
            steps = tuple(events[row.id])
            standing = settle(steps)
            assert steps[0].action == "logged"
            assert steps[0].at == row.created_at
            assert (row.stage, row.meeting_id, row.closed_at, row.escalated_at) == (
                standing.stage,
                standing.meeting,
                standing.closed_at,
                standing.escalated_at,
            )
            assert (row.street_state, row.returned_at) == (
                standing.street_state,
                standing.returned_at,
            )
    await engine.dispose()


def test_the_figures_match_counts_made_from_the_plan(loaded: Loaded) -> None:
    plan, pocket, ids = loaded.plan, loaded.pocket, loaded.ids
    with TestClient(app=service.app.create_app(loaded.settings)) as client:
        signed = client.post(
            "/api/v1/auth/login", json={"username": "jiedao", "password": loader.PASSWORD}
        )
        assert signed.status_code == 200, signed.text
        client.headers["Authorization"] = f"Bearer {signed.json()['token']}"
        path = f"/api/v1/streets/{ids['street']}/figures"
        answer = client.get(path, params={"year": YEAR})
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"id": ids["street"], **figures(plan, pocket, YEAR)}
        for name in ("杜集社区", "龙山社区"):
            path = f"/api/v1/communities/{ids[name]}/figures"
            answer = client.get(path, params={"year": YEAR})
            assert answer.status_code == 200, answer.text
            assert answer.json() == {"id": ids[name], **figures(plan, pocket, YEAR, name)}


def test_the_history_tells_the_zone_and_the_year_apart(loaded: Loaded) -> None:
    plan = loaded.plan
    # numpy's linear percentiles by hand: [0, 0, 1, 4] → 50th at position 1.5: 0.5;
    # 90th at position 2.7: 1 + 0.7 × (4 − 1) = 3.1
    assert percentiles([0, 0, 1, 4]) == {"median": 0.5, "p90": 3.1, "count": 4}
    assert percentiles([]) == {"median": None, "p90": None, "count": 0}
    # counted in UTC instead of the zone, the year's figures come out otherwise: a request
    # logged and one closed before 08:00 on 1 January, a visit at 07:30 on 1 June
    in_utc = figures(replace(plan, zone="UTC"), loaded.pocket, YEAR)
    here = figures(plan, loaded.pocket, YEAR)
    assert in_utc["requests"]["collected"] == here["requests"]["collected"] - 1
    assert in_utc["requests"]["closed"] == here["requests"]["closed"] - 1
    assert in_utc["by_month"][4]["meetings"] == here["by_month"][4]["meetings"] + 1
    # requests of the December before: closed this year, not collected in it
    carried = [
        r
        for r in plan.requests
        if r.created_at.year == YEAR - 1 and (r.standing.closed_at or r.created_at).year == YEAR
    ]
    assert len(carried) >= 3


def test_demo_street_is_refused_where_a_street_is(
    loaded: Loaded,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("REDBENCH_SECRET", SECRET)
    monkeypatch.setenv("LC_ALL", "zh_CN.UTF-8")
    code = main(["demo", "--street", "--database", loaded.settings.database_url])
    assert code == 1
    assert "数据库里已经有街道了" in capsys.readouterr().err
    bare = tmp_path / "bare.sqlite3"  # migrated, empty: no pocket park
    shutil.copy(request.getfixturevalue("sqlite_template"), bare)
    with pytest.raises(StreetError, match="pocket park first"):
        load_street(Settings(database_url=f"sqlite+aiosqlite:///{bare}", secret_key=SECRET))
