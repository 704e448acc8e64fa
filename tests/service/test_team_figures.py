"""The red-bench team and the figures of a street, on a small street made by hand whose
every figure is worked out below (2026, 北京时间 = UTC+8).

矿山集街道 has 杜集社区 (grids 第一网格 A1, 第二网格 A2) and 高岳社区 (grid B1); 外街社区
is on another street and must never be counted. Times are written in 北京时间.

Meetings (held unless said):
  m1 杜集 A1 议事 03-10 19:00, reached 0, attendance 5 + 12  → 17 people
  m2 杜集 A2 宣讲 03-20 10:00, reached 40 (attendance 3 ignored) → 40
  m3 高岳 B1 走访 07-01 00:30 (06-30 16:30 UTC: July here)  → 8
  m4 杜集 —  议事 01-01 07:00 (2025-12-31 23:00 UTC: 2026 here), attendance 9 → 9
  m5 杜集 A1 议事 05-05 cancelled; m6 高岳 B1 宣讲 11-11 planned; m7 杜集 A1 走访
  2025-12-31 20:00 (2025); m8 外街 议事 04-01 (another street): none counted in 2026
  → 议事 2, 宣讲 1, 走访 1; people 17 + 40 + 8 + 9 = 74.

Requests (created → closed, events, verdict):
  r1 杜集 A1 2025-12-31 23:30 (15:30 UTC: 2025) → 2026-01-02 10:00, meeting, satisfied: 2 days
  r2 杜集 A1 2026-01-01 00:10 (2025-12-31 16:10 UTC) → 01-01 09:00, on_spot, fairly: 0 days
  r3 杜集 A2 03-05 09:00 → 03-15 18:00, meeting twice, satisfied: 10 days
  r4 杜集 A2 04-10 09:00 → 06-09 23:59, escalated, dissatisfied: 20 + 31 + 9 = 60 days
  r5 高岳 B1 06-01 10:00, escalated, open
  r6 高岳 —  12-31 23:30 → 2027-01-01 00:30 (closed in 2027), on_spot
  r7 高岳 B1 02-14 10:00 → 02-20 10:00, on_spot and meeting, no verdict: 6 days
  r8 外街 05-01 → 05-02 (another street); r9 杜集 A1 08-08 08:00, open
  → collected 7 (r2 r3 r4 r5 r6 r7 r9), on the spot 3 (r2 r6 r7), meeting 2 (r3 r7; r1 was
  collected in 2025), escalated 2 (r4 r5), closed 5 (r1 r2 r3 r4 r7).
  Days [0, 2, 6, 10, 60]: median 6.0; p90 at 0.9 × 4 = 3.6 → 10 + 0.6 × 50 = 40.0.
Satisfaction: verdicts 2 / 1 / 1, plus 杜集's feedback check of 2026-07-01 (10 / 3 / 1); its
check of 2025-12-31 (50 satisfied) and 外街's are not counted → 12 / 4 / 2.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio
from litestar.testing import AsyncTestClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from service.app import create_app
from service.db import models
from service.db.session import create_engine, sessionmaker
from service.db.street import (
    GridBranch,
    Meeting,
    MeetingAttendance,
    RequestEvent,
    Street,
)
from service.figures.charts import dashboard_charts
from service.figures.counting import counted, street_area
from service.settings import Settings
from tests.support.app import SECRET, cheap_hashing, make_staff
from tests.support.databases import empty_database
from tests.support.pages import use_session

BEIJING = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.asyncio(loop_scope="module")


def bj(text: str) -> datetime:
    """A time written in 北京时间, as the aware instant it is."""
    return datetime.fromisoformat(text).replace(tzinfo=BEIJING).astimezone(UTC)


@dataclass
class Street17:
    client: AsyncTestClient[Any]
    db: AsyncSession
    street: int
    other_street: int
    dj: int  # 杜集社区
    gy: int  # 高岳社区
    wj: int  # 外街社区 (the other street)
    grids: dict[str, int]
    headers: dict[str, dict[str, str]]


async def build(db: AsyncSession) -> tuple[int, int, int, int, int, dict[str, int]]:
    street, other = Street(name="矿山集街道"), Street(name="相山街道")
    db.add_all([street, other])
    await db.flush()
    dj = models.Community(name="杜集社区", street_id=street.id)
    gy = models.Community(name="高岳社区", street_id=street.id)
    wj = models.Community(name="外街社区", street_id=other.id)
    db.add_all([gy, dj, wj])  # 高岳 made first: the figures order communities by name
    await db.flush()
    branch = GridBranch(community_id=dj.id, name="杜集社区第一网格党支部")
    db.add(branch)
    await db.flush()
    grids = {
        "A1": models.Grid(community_id=dj.id, name="第一网格", branch_id=branch.id),
        "A2": models.Grid(community_id=dj.id, name="第二网格"),
        "B1": models.Grid(community_id=gy.id, name="第一网格"),
        "C1": models.Grid(community_id=wj.id, name="第一网格"),
    }
    db.add_all(grids.values())
    await db.flush()
    g = {k: v.id for k, v in grids.items()}

    meetings = [  # community, grid, kind, starts (北京时间), status, reached, attendance
        (
            dj,
            "A1",
            "deliberation",
            "2026-03-10 19:00",
            "held",
            0,
            {"party_member": 5, "resident": 12},
        ),
        (dj, "A2", "briefing", "2026-03-20 10:00", "held", 40, {"party_member": 3}),
        (gy, "B1", "visit", "2026-07-01 00:30", "held", 8, {}),
        (dj, None, "deliberation", "2026-01-01 07:00", "held", 0, {"resident": 9}),
        (dj, "A1", "deliberation", "2026-05-05 19:00", "cancelled", 30, {}),
        (gy, "B1", "briefing", "2026-11-11 10:00", "planned", 0, {}),
        (dj, "A1", "visit", "2025-12-31 20:00", "held", 5, {}),
        (wj, "C1", "deliberation", "2026-04-01 10:00", "held", 100, {}),
    ]
    for community, grid, kind, starts, status, reached, seated in meetings:
        meeting = Meeting(
            community_id=community.id,
            kind=kind,
            title="议事",
            grid_id=g[grid] if grid else None,
            starts_at=bj(starts),
            status=status,
            reached=reached,
        )
        db.add(meeting)
        await db.flush()
        db.add_all(
            MeetingAttendance(meeting_id=meeting.id, category=c, count=n) for c, n in seated.items()
        )

    logger = models.User(
        username="grid-logger", display_name="网格员", role="grid_worker", password_hash="x"
    )
    db.add(logger)
    await db.flush()
    requests = [  # community, grid, created, closed, events, verdict
        (dj, "A1", "2025-12-31 23:30", "2026-01-02 10:00", ["meeting"], "satisfied"),
        (dj, "A1", "2026-01-01 00:10", "2026-01-01 09:00", ["on_spot"], "fairly_satisfied"),
        (dj, "A2", "2026-03-05 09:00", "2026-03-15 18:00", ["meeting", "meeting"], "satisfied"),
        (dj, "A2", "2026-04-10 09:00", "2026-06-09 23:59", ["escalated"], "dissatisfied"),
        (gy, "B1", "2026-06-01 10:00", None, ["escalated"], None),
        (gy, None, "2026-12-31 23:30", "2027-01-01 00:30", ["on_spot"], "satisfied"),
        (gy, "B1", "2026-02-14 10:00", "2026-02-20 10:00", ["on_spot", "meeting"], None),
        (wj, "C1", "2026-05-01 10:00", "2026-05-02 10:00", ["on_spot"], "dissatisfied"),
        (dj, "A1", "2026-08-08 08:00", None, [], None),
    ]
    for community, grid, created, closed, events, verdict in requests:
        row = models.ResidentRequest(
            community_id=community.id,
            grid_id=g[grid] if grid else None,
            body="路灯不亮",
            logged_by=logger.id,
            created_at=bj(created),
            closed_at=bj(closed) if closed else None,
            stage="closed" if closed else "open",
            satisfaction=verdict,
        )
        db.add(row)
        await db.flush()
        db.add_all(
            RequestEvent(
                request_id=row.id, action=a, actor="网格员", at=bj(created) + timedelta(hours=1)
            )
            for a in ["logged", *events]
        )

    for community, held_on, counts in (
        (dj, date(2026, 7, 1), (10, 3, 1)),
        (dj, date(2025, 12, 31), (50, 0, 0)),
        (wj, date(2026, 7, 1), (7, 7, 7)),
    ):
        process = models.Process(community_id=community.id, title="口袋公园")
        db.add(process)
        await db.flush()
        satisfied, fairly, dissatisfied = counts
        db.add(
            models.Feedback(
                process_id=process.id,
                channel="bench",
                held_on=held_on,
                satisfied=satisfied,
                fairly_satisfied=fairly,
                dissatisfied=dissatisfied,
            )
        )
    await db.commit()
    return street.id, other.id, dj.id, gy.id, wj.id, g


@pytest.fixture(scope="module")
def street_url(
    backend: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> str:
    return empty_database(backend, request, tmp_path_factory.mktemp("street17"))


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def made(street_url: str) -> AsyncIterator[Street17]:
    engine = create_engine(street_url)
    app = create_app(Settings(database_url=street_url, secret_key=SECRET))
    async with sessionmaker(engine)() as db, AsyncTestClient(app=app) as client:
        cheap_hashing(app)
        street, other, dj, gy, wj, grids = await build(db)
        headers = {
            "admin": await make_staff(db, "admin"),
            "street": await make_staff(db, "street", "street-kj", street_id=street),
            "other-street": await make_staff(db, "street", "street-xs", street_id=other),
            "facilitator": await make_staff(db, "facilitator", "fac-dj", community_id=dj),
            "secretary": await make_staff(db, "secretary", "sec-dj", community_id=dj),
            "grid_worker": await make_staff(db, "grid_worker", "gw-dj", community_id=dj),
        }
        yield Street17(client, db, street, other, dj, gy, wj, grids, headers)
    await engine.dispose()


def zeros(**given: int) -> dict[str, int]:
    return {"meetings": 0, "people_reached": 0, "collected": 0, "closed": 0, **given}


STREET_2026 = {
    "scope": "street",
    "name": "矿山集街道",
    "year": 2026,
    "zone": "Asia/Shanghai",
    "meetings": {"deliberation": 2, "briefing": 1, "visit": 1},
    "people_reached": 74,
    "requests": {"collected": 7, "on_spot": 3, "meeting": 2, "escalated": 2, "closed": 5},
    "days_to_close": {"median": 6.0, "p90": 40.0, "count": 5},
    "satisfaction": {"satisfied": 12, "fairly_satisfied": 4, "dissatisfied": 2},
    "by_month": [
        {"month": "2026-01", **zeros(meetings=1, people_reached=9, collected=1, closed=2)},
        {"month": "2026-02", **zeros(collected=1, closed=1)},
        {"month": "2026-03", **zeros(meetings=2, people_reached=57, collected=1, closed=1)},
        {"month": "2026-04", **zeros(collected=1)},
        {"month": "2026-05", **zeros()},
        {"month": "2026-06", **zeros(collected=1, closed=1)},
        {"month": "2026-07", **zeros(meetings=1, people_reached=8)},
        {"month": "2026-08", **zeros(collected=1)},
        {"month": "2026-09", **zeros()},
        {"month": "2026-10", **zeros()},
        {"month": "2026-11", **zeros()},
        {"month": "2026-12", **zeros(collected=1)},
    ],
    "by_grid": [
        {
            "community": "杜集社区",
            "grid": "第一网格",
            "collected": 2,
            "closed": 2,
            "escalated": 0,
            "meetings": 1,
        },
        {
            "community": "杜集社区",
            "grid": "第二网格",
            "collected": 2,
            "closed": 2,
            "escalated": 1,
            "meetings": 1,
        },
        {
            "community": "高岳社区",
            "grid": "第一网格",
            "collected": 2,
            "closed": 1,
            "escalated": 1,
            "meetings": 1,
        },
    ],
    "by_community": [
        {
            "community": "杜集社区",
            "meetings": 3,
            "people_reached": 66,
            "collected": 4,
            "closed": 4,
            "escalated": 1,
        },
        {
            "community": "高岳社区",
            "meetings": 1,
            "people_reached": 8,
            "collected": 3,
            "closed": 1,
            "escalated": 1,
        },
    ],
}


async def test_the_streets_figures_are_worked_out_by_hand(made: Street17) -> None:
    answer = await made.client.get(
        f"/api/v1/streets/{made.street}/figures",
        params={"year": 2026},
        headers=made.headers["street"],
    )
    assert answer.status_code == 200, answer.text
    assert answer.json() == {**STREET_2026, "id": made.street}


async def test_a_communitys_figures_and_an_empty_year(made: Street17) -> None:
    """杜集 alone: days [0, 2, 10, 60] → median 6.0, p90 at 2.7 → 10 + 0.7 × 50 = 45.0.
    In 2025 the street held m7 (a visit) and collected r1, and closed nothing."""
    own = await made.client.get(
        f"/api/v1/communities/{made.dj}/figures?year=2026", headers=made.headers["facilitator"]
    )
    assert own.status_code == 200, own.text
    shown = own.json()
    assert (shown["scope"], shown["id"], shown["name"]) == ("community", made.dj, "杜集社区")
    assert shown["meetings"] == {"deliberation": 2, "briefing": 1, "visit": 0}
    assert shown["people_reached"] == 66
    assert shown["requests"] == {
        "collected": 4,
        "on_spot": 1,
        "meeting": 1,
        "escalated": 1,
        "closed": 4,
    }
    assert shown["days_to_close"] == {"median": 6.0, "p90": 45.0, "count": 4}
    assert shown["satisfaction"] == {"satisfied": 12, "fairly_satisfied": 4, "dissatisfied": 2}
    assert shown["by_community"] == [STREET_2026["by_community"][0]]
    assert shown["by_grid"] == STREET_2026["by_grid"][:2]
    before = await made.client.get(
        f"/api/v1/streets/{made.street}/figures?year=2025", headers=made.headers["admin"]
    )
    earlier = before.json()
    assert earlier["meetings"] == {"deliberation": 0, "briefing": 0, "visit": 1}
    assert earlier["requests"]["collected"] == 1
    assert earlier["by_month"][11] == {
        "month": "2025-12",
        **zeros(meetings=1, people_reached=5, collected=1),
    }
    assert earlier["days_to_close"] == {"median": None, "p90": None, "count": 0}
    assert earlier["satisfaction"] == {"satisfied": 50, "fairly_satisfied": 0, "dissatisfied": 0}
    now = await made.client.get(
        f"/api/v1/streets/{made.street}/figures", headers=made.headers["admin"]
    )
    assert now.json()["year"] == datetime.now(BEIJING).year
    wrong = await made.client.get(
        f"/api/v1/streets/{made.street}/figures?year=1999", headers=made.headers["admin"]
    )
    assert wrong.status_code == 422
    assert wrong.json()["field"] == "year"


@pytest.mark.parametrize(
    ("caller", "path", "status"),
    [
        ("facilitator", "/api/v1/streets/{street}/figures", 403),  # not a street account
        ("facilitator", "/api/v1/communities/{gy}/figures", 403),  # another community
        ("facilitator", "/api/v1/communities/{dj}/figures.xlsx", 200),
        ("street", "/api/v1/communities/{gy}/figures", 200),  # a community of its street
        ("street", "/api/v1/communities/{wj}/figures", 403),  # of another street
        ("other-street", "/api/v1/streets/{street}/figures", 403),
        ("other-street", "/api/v1/streets/{street}/figures.xlsx", 403),
        ("other-street", "/api/v1/communities/{dj}/figures", 403),
        ("other-street", "/street/{street}/dashboard", 403),
        ("admin", "/api/v1/communities/{wj}/figures", 200),
        ("street", "/api/v1/streets/999/figures", 403),  # not its street, whatever it is
        ("admin", "/api/v1/streets/999/figures", 404),
    ],
)
async def test_figures_are_scoped(made: Street17, caller: str, path: str, status: int) -> None:
    url = path.format(street=made.street, dj=made.dj, gy=made.gy, wj=made.wj) + "?year=2026"
    answer = await made.client.get(url, headers=made.headers[caller])
    assert answer.status_code == status, answer.text[:300]


async def test_the_workbook_reads_back(made: Street17) -> None:
    answer = await made.client.get(
        f"/api/v1/streets/{made.street}/figures.xlsx?year=2026", headers=made.headers["street"]
    )
    assert answer.status_code == 200, answer.text
    assert "filename*=UTF-8''" in answer.headers["content-disposition"]
    book = load_workbook(io.BytesIO(answer.content))
    assert book.sheetnames == ["总览", "按月", "按网格", "按社区"]
    summary = {row[0]: row[1] for row in book["总览"].iter_rows(min_row=2, values_only=True)}
    assert summary["街道"] == "矿山集街道"
    assert summary["议事会"] == 2
    assert summary["覆盖人次"] == 74
    assert summary["收集诉求"] == 7
    assert summary["已销号"] == 5
    assert summary["上报街道"] == 2
    assert summary["销号天数中位数"] == 6.0
    assert summary["满意"] == 12
    months = list(book["按月"].iter_rows(values_only=True))
    assert months[0] == ("月份", "会议场次", "覆盖人次", "收集诉求", "已销号")
    assert months[3] == ("2026-03", 2, 57, 1, 1)
    grids = list(book["按网格"].iter_rows(min_row=2, values_only=True))
    assert grids == [tuple(g.values()) for g in STREET_2026["by_grid"]]
    communities = list(book["按社区"].iter_rows(min_row=2, values_only=True))
    assert communities == [tuple(c.values()) for c in STREET_2026["by_community"]]


async def test_the_charts_hold_the_numbers(made: Street17) -> None:
    made_now = await counted(made.db, await street_area(made.db, made.street), 2026)
    assert made_now.kind_months[0][:3] == [1, 0, 1]  # 议事: January (m4), March (m1)
    charts = dashboard_charts(made_now.figures, made_now.kind_months, "zh")
    for name, svg in charts.items():
        assert svg.startswith("<svg"), name
        assert 'role="img"' in svg, name
        assert f'aria-labelledby="chart-{name}-title chart-{name}-desc"' in svg
    funnel = charts["funnel"]
    for label, number in (
        ("收集诉求", 7),
        ("现场解决", 3),
        ("上会议事", 2),
        ("上报街道", 2),
        ("已销号", 5),
    ):
        assert f"<title>{label} 数量 {number}</title>" in funnel
    assert ">6天<" in charts["days"]
    assert ">40天<" in charts["days"]
    assert "<title>3月 议事会 1</title>" in charts["meetings"]  # m1; m2 is a briefing
    assert "<title>3月 政策宣讲 1</title>" in charts["meetings"]
    assert "<title>杜集社区 第二网格 上报街道" not in charts["grids"]  # collected, closed only
    assert "<title>杜集社区 第二网格 收集诉求 2</title>" in charts["grids"]
    page = await made.client.get(
        f"/street/{made.street}/dashboard?year=2026", headers=made.headers["street"]
    )
    assert page.status_code == 200, page.text[:500]
    assert 'data-figure="requests.collected">7<' in page.text
    assert 'data-figure="days.p90">40.0 天<' in page.text
    assert f"/api/v1/streets/{made.street}/figures.xlsx?year=2026" in page.text
    assert page.text.count("<svg") == 6


async def test_the_team_and_its_consent(made: Street17) -> None:
    """A phone is on the board only with consent; without it, not even hidden in the HTML."""
    keeper, reader = made.headers["secretary"], made.headers["grid_worker"]
    path = f"/api/v1/communities/{made.dj}/team"
    a1, a2 = made.grids["A1"], made.grids["A2"]
    refused = await made.client.post(
        path,
        json={"name": "钱多", "role": "elder", "phone": "13700000003", "phone_public": True},
        headers=keeper,
    )
    assert refused.status_code == 422, refused.text
    assert (refused.json()["field"], refused.json()["message_zh"]) == (
        "consent_on",
        "在公示栏公布电话须本人同意：请填写同意日期",
    )
    elsewhere = await made.client.post(
        path, json={"name": "钱多", "role": "elder", "grid_id": made.grids["B1"]}, headers=keeper
    )
    assert elsewhere.status_code == 422
    assert elsewhere.json()["field"] == "grid_id"
    members = [
        {
            "name": "王建国",
            "role": "party_member",
            "grid_id": a1,
            "phone": "13800000001",
            "phone_public": True,
            "consent_on": "2026-03-01",
        },
        {"name": "李芳", "role": "grid_worker", "grid_id": a1, "phone": "13900000002"},
        {
            "name": "赵六",
            "role": "building_head",
            "grid_id": a2,
            "phone": "13600000006",
            "phone_public": True,
            "consent_on": "2026-03-02",
        },
    ]
    ids = []
    for body in members:
        answer = await made.client.post(path, json=body, headers=keeper)
        assert answer.status_code == 201, answer.text
        ids.append(answer.json()["id"])
    assert (await made.client.post(path, json=members[1], headers=reader)).status_code == 403
    off = await made.client.patch(f"/api/v1/team/{ids[2]}", json={"active": False}, headers=keeper)
    assert off.status_code == 200
    assert off.json()["active"] is False
    unpublish = await made.client.patch(
        f"/api/v1/team/{ids[0]}", json={"consent_on": None}, headers=keeper
    )
    assert unpublish.status_code == 422  # still shown: the consent cannot go alone
    listed = await made.client.get(path, headers=reader)
    assert [m["name"] for m in listed.json()] == ["李芳", "王建国", "赵六"]  # active first
    assert listed.json()[0]["phone"] == "13900000002"  # staff see every number
    other = await made.client.get(
        f"/api/v1/communities/{made.gy}/team", headers=made.headers["facilitator"]
    )
    assert other.status_code == 403

    board = await made.client.get(f"/board/communities/{made.dj}")
    assert board.status_code == 200
    html = board.text
    assert "有事请找我" in html
    assert "杜集社区第一网格党支部" in html
    assert "王建国" in html
    assert "13800000001" in html
    assert "李芳" in html
    assert "13900000002" not in html
    assert "赵六" not in html
    assert "13600000006" not in html
    assert 'data-figure="requests.collected">' in html  # the community's figures, counts only
    details = await made.db.scalars(
        select(models.AuditEvent.detail).where(models.AuditEvent.entity == "team_member")
    )
    said = repr(list(details))
    assert "13800000001" not in said
    assert "王建国" not in said
    assert "phone_public" in said


async def test_the_team_page(made: Street17) -> None:
    use_session(made.client, made.headers["facilitator"])
    try:
        page = await made.client.get(f"/console/communities/{made.dj}/team")
        assert page.status_code == 200, page.text[:300]
        assert "杜集社区红板凳队伍" in page.text
        assert "添加队伍成员" in page.text
    finally:
        made.client.cookies.clear()
