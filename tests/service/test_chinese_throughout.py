"""Chinese throughout, on every database: every page (public, console, secretary, kiosk,
board, result pages of the pocket-park demo), every document (round and process PDF, the
XLSX workbook, every CSV, the code slips), refusals' ``message_zh`` and the command line
with ``--lang zh`` hold no English word and no internal identifier, save what
:mod:`tests.support.chinese` allows (codes, digests, trackers, numbers, a few named file
types, what people typed).

When this fails, the message lists each page or document and its offending words::

    English or internal words in Chinese text (2 places; allowed: tests/support/chinese.py):
      GET /console/rounds/3: irv, batch
      PDF process 1: sha256
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import delete, select, update

from ballots.formats import read_ballots
from service.cli import main
from service.db.models import Community, Process, User
from service.demo.loader import BALLOTS
from service.records.exports import FORMATS
from tests.support.app import ok
from tests.support.chinese import foreign_words, report, visible_text
from tests.support.documents import pdf_text
from tests.support.pages import enrol, post_form, use_session
from tests.support.paths import ELECTIONS
from tests.support.phone import open_phone_window
from tests.support.records_demo import Demo, build_demo
from tests.support.roll import community_of, import_roll, record_proxy, roll_csv
from tests.support.rounds import ensure_phone_window, make_round

SOON = "2099-12-31"


@dataclass(frozen=True)
class World:
    """The demo carried on through its tasks (a progress note, two done), feedback, the
    close-out and a re-opening with a task now overdue; and a second process with a round
    voting on a tablet and a draft round."""

    demo: Demo
    tasks: list[int]
    voting: int
    draft: int
    second: int
    tracker: str


async def build_world(client: Any, staff: dict[str, dict[str, str]], db: Any) -> World:
    demo = await build_demo(client, staff, db)
    secretary, facilitator = staff["secretary"], staff["facilitator"]
    pid = demo.process_id
    tasks = []
    for title, due in (("采购并安装滑梯和秋千", SOON), ("安装健身器材", "2020-01-31")):
        made = await ok(
            await client.post(
                f"/api/v1/processes/{pid}/tasks",
                json={"title": title, "owner": "社区居委会", "due_on": due},
                headers=secretary,
            ),
            201,
        )
        tasks.append(made["id"])
    notes = [
        (tasks[0], {"body": "滑梯已到货，正在安装", "progress": 60}),
        (tasks[0], {"body": "已完工验收", "status": "done"}),
        (tasks[1], {"body": "器材已安装", "status": "done"}),
    ]
    for task, note in notes:
        await ok(
            await client.post(f"/api/v1/tasks/{task}/notes", json=note, headers=secretary), 201
        )
    loop = [
        ("feedback", {"channel": "bench", "held_on": "2026-07-01", "satisfied": 31, "note": "好"}),
        ("close-out", {"note": "口袋公园一期已建成，同意销号。"}),
        ("reopen", {"reason": "居民反映夜间照明不足"}),
    ]
    for step, body in loop:
        response = await client.post(
            f"/api/v1/processes/{pid}/{step}", json=body, headers=secretary
        )
        assert response.status_code in (200, 201), response.text
    late = await ok(
        await client.post(
            f"/api/v1/processes/{pid}/tasks",
            json={"title": "加装路灯", "owner": "物业公司", "due_on": "2020-01-31"},
            headers=secretary,
        ),
        201,
    )
    tasks.append(late["id"])

    process = await ok(
        await client.post(
            f"/api/v1/communities/{demo.community_id}/processes",
            json={"title": "路灯改造", "question": "先改造哪一段路的路灯？"},
            headers=facilitator,
        ),
        201,
    )
    second = process["id"]
    ids, names = [], ("东门到菜场", "三号楼后巷", "幼儿园门口")
    for title in names:
        proposal = await ok(
            await client.post(
                f"/api/v1/processes/{second}/proposals",
                json={"title": title, "description": f"{title}一段", "author": "居民代表"},
                headers=facilitator,
            ),
            201,
        )
        ids.append(proposal["id"])
    rounds = []
    for title in ("路段排序", "补充排序"):
        made = await ok(
            await client.post(
                f"/api/v1/processes/{second}/rounds",
                json={
                    "title": title,
                    "ballot_kind": "ranked",
                    "method": "irv",
                    "proposal_ids": ids,
                },
                headers=facilitator,
            ),
            201,
        )
        rounds.append(made["id"])
    voting, draft = rounds
    await ok(
        await client.post(
            f"/api/v1/rounds/{voting}/phase", json={"to": "voting"}, headers=facilitator
        )
    )
    issued = await ok(
        await client.post(f"/api/v1/rounds/{voting}/codes", json={"count": 3}, headers=facilitator),
        201,
    )
    await ensure_phone_window(client, facilitator, voting)  # the API casts from home
    await ok(
        await client.post(
            f"/api/v1/rounds/{voting}/ballots",
            json={
                "code": issued["codes"][0]["code"],
                "key": "tablet-key-000001",
                "ballot": {"kind": "ranked", "ranking": [[names[0]], [names[1]]]},
            },
        ),
        201,
    )
    board = await ok(await client.get(f"/api/v1/rounds/{demo.round1}/ballots", headers=secretary))
    return World(demo, tasks, voting, draft, second, board["ballots"][0]["tracker"])


async def typed_names(db: Any) -> list[str]:
    """Staff members' names as they were typed (the tests' staff have English ones)."""
    return list((await db.scalars(select(User.display_name))).all())


def page_routes(app: Any) -> set[str]:
    """Every page a browser may GET (not the API, the static files or the redirect at /)."""
    paths = set()
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            if "GET" in getattr(handler, "http_methods", ()):
                paths.add(route.path)
    return {p for p in paths if not p.startswith(("/api/", "/static")) and p != "/"}


async def plan_meeting(client: Any, staff: dict[str, dict[str, str]], world: World) -> int:
    """A meeting of the demo's community with its first round and a note on the agenda,
    attendance counted and a photo; its id (the meeting pages and papers are scanned)."""
    facilitator = staff["facilitator"]
    made = await ok(
        await client.post(
            f"/api/v1/communities/{world.demo.community_id}/meetings",
            json={
                "kind": "deliberation",
                "title": "口袋公园议事会",
                "place": "3号楼前小广场",
                "starts_at": "2026-12-05T19:00:00+08:00",
            },
            headers=facilitator,
        ),
        201,
    )
    base = f"/api/v1/meetings/{made['id']}"
    for item in ({"round_id": world.demo.round1}, {"note": "通报上月诉求办理情况"}):
        await ok(await client.post(f"{base}/items", json=item, headers=facilitator), 201)
    counts = {"party_member": 5, "representative": 8, "resident": 12}
    await ok(await client.put(f"{base}/attendance", json={"counts": counts}, headers=facilitator))
    return int(made["id"])


async def test_every_page_is_chinese(client, staff, db):
    world = await build_world(client, staff, db)
    demo = world.demo
    hits: dict[str, list[str]] = {}
    seen: set[str] = set()
    typed = await typed_names(db)

    async def scan(route: str, path: str, status: int = 200) -> str:
        response = await client.get(path)
        assert response.status_code == status, (path, response.status_code, response.text[:500])
        seen.add(route)
        hits[f"GET {path}"] = foreign_words(visible_text(response.text), typed)
        return response.text

    public = [
        ("/board", "/board"),
        ("/board/communities/{community_id:int}", f"/board/communities/{demo.community_id}"),
        ("/board/rounds/{round_id:int}", f"/board/rounds/{demo.round1}"),
        ("/board/rounds/{round_id:int}", f"/board/rounds/{demo.round2}"),
        ("/board/rounds/{round_id:int}", f"/board/rounds/{demo.round1}?tracker={world.tracker}"),
        ("/board/rounds/{round_id:int}", f"/board/rounds/{demo.round1}?tracker=0000-0000"),
        ("/console/login", "/console/login"),
    ]
    for route, path in public:
        await scan(route, path)
    await scan("/kiosk", "/kiosk", 403)
    await scan("/vote/{round_id:int}", f"/vote/{world.voting}")  # no phone window: says so
    await open_phone_window(client, staff["facilitator"], world.voting, hours=24)
    await scan("/vote/{round_id:int}", f"/vote/{world.voting}")  # the phone ballot
    await scan("/board/rounds/{round_id:int}", "/board/rounds/99999", 404)

    use_session(client, staff["facilitator"])
    console = [
        ("/console", "/console"),
        ("/console/processes/{process_id:int}", f"/console/processes/{demo.process_id}"),
        ("/console/processes/{process_id:int}", f"/console/processes/{world.second}"),
        *(
            ("/console/rounds/{round_id:int}", f"/console/rounds/{r}")
            for r in (demo.round1, demo.round2, world.voting, world.draft)
        ),
        ("/console/rounds/{round_id:int}/reveal", f"/console/rounds/{demo.round1}/reveal"),
        ("/console/rounds/{round_id:int}/reveal", f"/console/rounds/{demo.round2}/reveal"),
        ("/kiosk/enrol", "/kiosk/enrol"),
    ]
    for route, path in console:
        await scan(route, path)
    meeting = await plan_meeting(client, staff, world)
    await scan("/console/meetings", "/console/meetings")
    await scan("/console/meetings/{meeting_id:int}", f"/console/meetings/{meeting}")
    seen.add("/console/rounds/{round_id:int}/turnout")  # JSON for the round page's script
    slips = await post_form(
        client, f"/console/rounds/{world.voting}/codes", {"count": "2"}, follow_redirects=False
    )
    assert slips.status_code == 303, slips.text[:500]
    await scan("/console/rounds/{round_id:int}/slips/{batch:int}", slips.headers["location"])
    voided = await post_form(
        client,
        f"/console/rounds/{world.voting}/slips/void",
        {"numbers": "1", "reason": "没打印出来"},
        follow_redirects=False,
    )
    assert voided.status_code == 303, voided.text[:500]
    await scan("/console/rounds/{round_id:int}/slips/voided", voided.headers["location"])
    seen.add("/console/rounds/{round_id:int}/slips/{batch:int}/pdf")  # tests/service/test_slips.py
    await scan("/console/rounds/{round_id:int}/paper", f"/console/rounds/{world.voting}/paper")
    await scan(
        "/console/rounds/{round_id:int}/paper/mismatches",
        f"/console/rounds/{world.voting}/paper/mismatches",
    )
    seen.add("/console/rounds/{round_id:int}/paper-ballots.pdf")  # the documents' test

    # the community's household roll, and a household round with a proxy on its pages
    data = roll_csv("3,2,101,王建国,", "3,2,101,重复,", "5,1,,缺户号,")
    imported = await import_roll(client, staff["admin"], demo.community_id, data, dry_run=False)
    assert imported.status_code == 200, imported.text
    roll_page = f"/console/communities/{demo.community_id}/households"
    await scan("/console/communities/{community_id:int}/households", roll_page)
    by_household = await make_round(db, household_roll=True)
    made_in = await community_of(db, by_household)  # the demo community's, and no other
    await db.execute(
        update(Process)
        .where(Process.community_id == made_in)
        .values(community_id=demo.community_id)
    )
    await db.execute(delete(Community).where(Community.id == made_in))
    await db.commit()
    issued = await client.post(
        f"/api/v1/rounds/{by_household}/codes",
        json={"households": ["3号楼2单元101", "3号楼2单元102"]},
        headers=staff["facilitator"],
    )
    assert issued.status_code == 201, issued.text
    proxy = await record_proxy(
        client,
        staff["facilitator"],
        by_household,
        "3号楼2单元101",
        holder_name="王芳",
        serial="第017号",
    )
    assert proxy.status_code == 201, proxy.text
    await scan("/console/rounds/{round_id:int}", f"/console/rounds/{by_household}")
    await scan("/console/rounds/{round_id:int}/proxies", f"/console/rounds/{by_household}/proxies")

    # the red-bench team on its console page and on the board's grid cards (issue 17)
    grid = await ok(
        await client.post(
            f"/api/v1/communities/{demo.community_id}/grids",
            json={"name": "第三网格"},
            headers=staff["admin"],
        ),
        201,
    )
    member = {"name": "王建国", "role": "party_member", "grid_id": grid["id"]}
    public = {"phone": "13800000001", "phone_public": True, "consent_on": "2026-03-01"}
    await ok(
        await client.post(
            f"/api/v1/communities/{demo.community_id}/team",
            json={**member, **public},
            headers=staff["facilitator"],
        ),
        201,
    )
    team_page = f"/console/communities/{demo.community_id}/team"
    await scan("/console/communities/{community_id:int}/team", team_page)
    hits["GET /board (grid cards)"] = foreign_words(
        visible_text((await client.get(f"/board/communities/{demo.community_id}")).text), typed
    )

    use_session(client, staff["secretary"])
    desk = await scan("/secretary", "/secretary")
    assert "逾期" in desk  # the late task is listed first
    loop = await scan(
        "/secretary/processes/{process_id:int}", f"/secretary/processes/{demo.process_id}"
    )
    for shown in ("满意率", "重新打开的理由", "（北京时间）"):  # feedback, close-outs, notes
        assert shown in loop, shown
    await scan("/secretary/processes/{process_id:int}", f"/secretary/processes/{world.second}")
    seen |= {  # files, scanned by test_every_document_is_chinese
        "/secretary/rounds/{round_id:int}/exports/{fmt:str}",
        "/secretary/processes/{process_id:int}/exports/{fmt:str}",
        "/board/rounds/{round_id:int}/poster",  # the result poster's PDF
    }

    use_session(client, staff["admin"])  # the admin also sees the form for the time zone
    home = await client.get("/console")
    assert 'name="time_zone"' in home.text
    hits["GET /console (admin)"] = foreign_words(visible_text(home.text), typed)
    # requests from the field and the street office (issue 17): a request logged with a
    # photo's worth of facts, escalated to the street the demo community is put under
    admin = staff["admin"]
    street = await ok(
        await client.post("/api/v1/streets", json={"name": "矿山集街道"}, headers=admin), 201
    )
    await ok(
        await client.put(
            f"/api/v1/communities/{demo.community_id}/street",
            json={"street_id": street["id"]},
            headers=admin,
        )
    )
    await scan("/street/{street_id:int}/dashboard", f"/street/{street['id']}/dashboard")
    logged = await ok(
        await client.post(
            f"/api/v1/communities/{demo.community_id}/requests",
            json={
                "body": "路口积水",
                "place": "3号楼东侧",
                "category": "drainage",
                "raised_by": "张阿姨",
            },
            headers=staff["grid_worker"],
        ),
        201,
    )
    await ok(
        await client.post(
            f"/api/v1/requests/{logged['id']}/escalate", json={"note": "需街道协调"}, headers=admin
        )
    )
    await scan("/console/requests", f"/console/requests?community={demo.community_id}")
    await scan("/console/requests/new", f"/console/requests/new?community={demo.community_id}")
    await scan("/console/requests/{request_id:int}", f"/console/requests/{logged['id']}")
    await scan("/street", "/street")
    await scan("/street/requests/{request_id:int}", f"/street/requests/{logged['id']}")

    await enrol(client, staff["facilitator"], world.voting)
    await scan("/kiosk", "/kiosk")

    missing = page_routes(client.app) - seen
    assert not missing, f"pages the scan does not visit: {sorted(missing)}"
    if any(hits.values()):
        pytest.fail(report(hits), pytrace=False)


def workbook_text(xlsx: bytes) -> str:
    book = load_workbook(io.BytesIO(xlsx))
    lines = []
    for sheet in book.worksheets:
        lines.append(sheet.title)
        lines += [str(v) for row in sheet.iter_rows(values_only=True) for v in row if v]
    return "\n".join(lines)


def document_text(name: str, content: bytes, folder: Path) -> str:
    if name == "pdf":
        return pdf_text(content, folder)
    if name == "xlsx":
        return workbook_text(content)
    text = content.decode("utf-8-sig")
    # the ballots CSV opens with ``#redbench_…,value,label`` rows for ``redbench tally``:
    # the key and the value are the file format's tokens, only the label is for people
    rows = list(csv.reader(io.StringIO(text)))
    return "\n".join(
        ",".join(row[2:] if row and row[0].startswith("#redbench_") else row) for row in rows
    )


async def test_every_document_is_chinese(client, staff, db, tmp_path):
    world = await build_world(client, staff, db)
    demo = world.demo
    secretary = staff["secretary"]
    typed = await typed_names(db)
    hits: dict[str, list[str]] = {}
    shown = [name for name, f in FORMATS.items() if f.media_type != "text/plain"]
    assert shown == [
        "json",
        "pdf",
        "xlsx",
        "ballots-csv",
        "rounds-csv",
        "decisions-csv",
        "comments-csv",
    ]
    for round_id in (demo.round1, demo.round2):
        for name in shown[1:]:
            response = await client.get(
                f"/api/v1/rounds/{round_id}/exports/{name}", headers=secretary
            )
            if response.status_code == 422:  # a format that does not fit this round's ballots
                continue
            assert response.status_code == 200, response.text
            text = document_text(name, response.content, tmp_path)
            hits[f"{name} round {round_id}"] = foreign_words(text, typed)
    for name in ("pdf", "xlsx"):
        response = await client.get(
            f"/api/v1/processes/{demo.process_id}/exports/{name}", headers=secretary
        )
        assert response.status_code == 200, response.text
        text = document_text(name, response.content, tmp_path)
        hits[f"{name} process {demo.process_id}"] = foreign_words(text, typed)

    for round_id in (demo.round1, demo.round2):  # the result poster, from the board page
        poster = await client.get(f"/board/rounds/{round_id}/poster", params={"size": "A3"})
        assert poster.status_code == 200, poster.text
        hits[f"poster round {round_id}"] = foreign_words(pdf_text(poster.content, tmp_path), typed)

    meeting = await plan_meeting(client, staff, world)  # the sign-in sheet and the record
    for paper in ("sign-in-sheet", "record"):
        response = await client.get(f"/api/v1/meetings/{meeting}/{paper}", headers=secretary)
        assert response.status_code == 200, response.text
        hits[f"meeting {paper}"] = foreign_words(pdf_text(response.content, tmp_path), typed)

    use_session(client, staff["admin"])
    slips = await post_form(client, f"/secretary/rounds/{world.voting}/code-slips", {"count": "2"})
    assert slips.status_code == 200, slips.text[:300]
    hits["code slips"] = foreign_words(pdf_text(slips.content, tmp_path), typed)
    paper = await client.get(
        f"/console/rounds/{world.voting}/paper-ballots.pdf", params={"count": "1", "size": "A4"}
    )
    assert paper.status_code == 200, paper.text[:300]
    hits["paper ballots"] = foreign_words(pdf_text(paper.content, tmp_path), typed)
    if any(hits.values()):
        pytest.fail(report(hits), pytrace=False)


async def test_refusals_are_chinese(client, staff, db):
    """The refusals people meet most, and one of each kind the framework and the counting
    engine give: ``message_zh`` of the API, the error page of a form."""
    world = await build_world(client, staff, db)
    demo = world.demo
    admin, facilitator, secretary = staff["admin"], staff["facilitator"], staff["secretary"]
    typed = [*await typed_names(db), "colour"]
    hits: dict[str, list[str]] = {}
    api = [
        (
            "wrong type",
            "POST",
            f"/api/v1/rounds/{world.voting}/codes",
            {"count": "三"},
            facilitator,
        ),
        (
            "below the least",
            "POST",
            f"/api/v1/rounds/{world.voting}/codes",
            {"count": 0},
            facilitator,
        ),
        ("missing field", "POST", f"/api/v1/processes/{world.second}/proposals", {}, facilitator),
        (
            "unknown field",
            "POST",
            f"/api/v1/processes/{world.second}/proposals",
            {"title": "甲", "colour": "红"},
            facilitator,
        ),
        (
            "too short",
            "POST",
            f"/api/v1/rounds/{world.voting}/ballots",
            {"code": "0000000000", "key": "short", "ballot": {"kind": "ranked", "ranking": []}},
            None,
        ),
        (
            "not a choice",
            "POST",
            f"/api/v1/processes/{world.second}/rounds",
            {"title": "甲", "ballot_kind": "secret", "method": "irv"},
            facilitator,
        ),
        (
            "not a date",
            "POST",
            f"/api/v1/processes/{demo.process_id}/tasks",
            {"title": "甲", "owner": "乙", "due_on": "明天"},
            secretary,
        ),
        (
            "no residents counted",
            "POST",
            f"/api/v1/processes/{demo.process_id}/feedback",
            {"channel": "bench", "held_on": "2026-07-01"},
            secretary,
        ),
        (
            "unknown ballot kind",
            "POST",
            f"/api/v1/rounds/{world.voting}/ballots",
            {"code": "0000000000", "key": "tablet-key-000002", "ballot": {"kind": "secret"}},
            None,
        ),
        (
            "unknown candidate",
            "POST",
            f"/api/v1/rounds/{world.voting}/ballots",
            {
                "code": "0000000000",
                "key": "tablet-key-000003",
                "ballot": {"kind": "ranked", "ranking": [["不存在的方案"]]},
            },
            None,
        ),
        (
            "unknown method",
            "POST",
            f"/api/v1/processes/{world.second}/rounds",
            {"title": "甲", "ballot_kind": "ranked", "method": "魔法投票"},
            facilitator,
        ),
        (
            "unknown option",
            "POST",
            f"/api/v1/processes/{world.second}/rounds",
            {"title": "甲", "ballot_kind": "ranked", "method": "irv", "options": {"colour": 1}},
            facilitator,
        ),
        (
            "bad option value",
            "POST",
            f"/api/v1/processes/{world.second}/rounds",
            {
                "title": "甲",
                "ballot_kind": "ranked",
                "method": "schulze",
                "options": {"strength": "strong"},
            },
            facilitator,
        ),
        (
            "bad tie policy",
            "POST",
            f"/api/v1/processes/{world.second}/rounds",
            {
                "title": "甲",
                "ballot_kind": "ranked",
                "method": "irv",
                "options": {"tie_policy": "coin"},
            },
            facilitator,
        ),
        ("frozen round", "PATCH", f"/api/v1/rounds/{world.voting}", {"title": "乙"}, facilitator),
        (
            "phase refused",
            "POST",
            f"/api/v1/rounds/{world.draft}/phase",
            {"to": "published"},
            facilitator,
        ),
        (
            "process phase refused",
            "POST",
            f"/api/v1/processes/{demo.process_id}/phase",
            {"to": "deliberating"},
            facilitator,
        ),
        ("wrong role", "POST", "/api/v1/communities", {"name": "新社区"}, facilitator),
        ("not signed in", "POST", "/api/v1/communities", {"name": "新社区"}, None),
        ("no such thing", "GET", "/api/v1/rounds/99999", None, facilitator),
        ("no such route", "GET", "/api/v1/nothing-here", None, facilitator),
        ("method not allowed", "DELETE", "/api/v1/communities", None, admin),
        (
            "bad time zone",
            "POST",
            "/api/v1/communities",
            {"name": "新社区", "time_zone": "火星/奥林匹斯"},
            admin,
        ),
    ]
    for name, verb, path, body, headers in api:
        response = await client.request(verb, path, json=body, headers=headers or {})
        assert response.status_code >= 400, (name, response.text)
        said = response.json()
        hits[f"{name}: {said['code']}"] = foreign_words(said["message_zh"], typed)
    malformed = await client.post(
        "/api/v1/communities",
        content=b"{not json",
        headers={**admin, "Content-Type": "application/json"},
    )
    hits["malformed JSON"] = foreign_words(malformed.json()["message_zh"], typed)

    use_session(client, facilitator)
    forms = [
        (
            "amount",
            f"/console/processes/{world.second}/proposals",
            {"title": "路灯", "cost": "很多"},
        ),
        (
            "whole number",
            f"/console/processes/{world.second}/rounds",
            {"title": "甲", "method": "stv", "seats": "两个", "proposal_ids": []},
        ),
        ("codes", f"/console/rounds/{world.voting}/codes", {"count": "很多"}),
    ]
    for name, path, data in forms:
        response = await post_form(client, path, data)
        assert response.status_code >= 400, (name, response.text[:300])
        hits[f"form {name}"] = foreign_words(visible_text(response.text), typed)
    # a budget round without its budget: the round page lists what to fix before voting
    budget = await post_form(
        client,
        f"/console/processes/{world.second}/rounds",
        {"title": "甲", "method": "equal-shares", "proposal_ids": []},
    )
    assert "总预算" in budget.text
    hits["form budget missing"] = foreign_words(visible_text(budget.text), typed)
    use_session(client, secretary)
    for name, path, data in (
        (
            "progress",
            f"/secretary/tasks/{world.tasks[2]}/notes",
            {"body": "甲", "progress": "过半"},
        ),
        (
            "due date",
            f"/secretary/processes/{demo.process_id}/tasks",
            {"title": "甲", "owner": "乙", "due_on": "明天"},
        ),
        (
            "feedback",
            f"/secretary/processes/{demo.process_id}/feedback",
            {"channel": "bench", "held_on": "2026-07-01"},
        ),
    ):
        response = await post_form(client, path, data)
        assert response.status_code >= 400, (name, response.text[:300])
        hits[f"form {name}"] = foreign_words(visible_text(response.text), typed)
    if any(hits.values()):
        pytest.fail(report(hits), pytrace=False)


async def command(capsys: Any, *argv: str) -> tuple[int, str]:
    """Run the command line in Chinese (``--lang zh`` where the command has it, the locale
    for the others; in a thread: it runs its own event loop); its exit status and
    everything it wrote."""
    lang = ["--lang", "zh"] if argv[0] in ("tally", "compare", "seal", "export", "verify") else []
    code = await asyncio.to_thread(main, [*argv, *lang])
    out, err = capsys.readouterr()
    return code, out + err


def tampered(bundle: Path, folder: Path) -> Path:
    """The bundle with a winner, a tally, a ballot's hash, the turnout and a comment count
    changed: every kind of difference the verifier names."""
    data = json.loads(bundle.read_bytes())
    record = data["rounds"][0]
    record["result"]["winners"] = ["文化墙"]
    record["result"]["rounds"][0]["tallies"]["文化墙"] = 9
    if isinstance(record["ballots"], dict):  # sealed receipts: the two lists
        record["ballots"]["contents_digest"] = "0" * 64
    else:
        record["ballots"][3]["hash"] = "0" * 64
    record["turnout"]["ballots_cast"] -= 1
    record["deliberation"]["per_option"][0]["counts"]["support"] += 1
    record["comparison"]["agree"] = not record["comparison"]["agree"]
    path = folder / "改过的决定包.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


async def test_the_command_line_is_chinese(
    client, staff, db, settings, capsys, tmp_path, monkeypatch
):
    monkeypatch.setenv("LC_ALL", "zh_CN.UTF-8")
    demo = await build_demo(client, staff, db)
    database = ["--database", settings.database_url]
    budget = ELECTIONS / "pabulib" / "Poland_Wieliczka_2023_Green_Budget.pb"
    bundle = tmp_path / "决定包.json"
    runs: list[tuple[str, list[str], int]] = [
        ("tally", ["tally", str(BALLOTS), "--method", "irv"], 0),
        ("tally stv", ["tally", str(BALLOTS), "--method", "stv", "--seats", "2"], 0),
        ("compare", ["compare", str(BALLOTS)], 0),
        (
            "seal",
            ["seal", str(BALLOTS), "--method", "schulze", "-o", str(tmp_path / "封存.json")],
            0,
        ),
        (
            "export",
            ["export", str(demo.round1), "--format", "json", "-o", str(bundle), *database],
            0,
        ),
        ("verify", ["verify", str(bundle)], 0),
        ("export refused", ["export", "99", "--format", "pdf", "-o", str(bundle), *database], 1),
        (
            "user add",
            [
                "user",
                "add",
                "laowang",
                "--role",
                "facilitator",
                "--name",
                "老王",
                "--password",
                "long enough",
                *database,
            ],
            0,
        ),
        (
            "short password",
            ["user", "add", "laoli", "--role", "admin", "--password", "short", *database],
            1,
        ),
        ("db upgrade", ["db", "upgrade", *database], 0),
        ("missing file", ["tally", str(tmp_path / "没有的文件.blt"), "--method", "irv"], 1),
        ("budget on ranked", ["tally", str(BALLOTS), "--method", "irv", "--budget", "10"], 2),
        ("seats", ["tally", str(BALLOTS), "--method", "irv", "--seats", "0"], 2),
    ]
    hits: dict[str, list[str]] = {}
    typed = [str(tmp_path), settings.database_url, "laowang", "redbench-demo"]
    for name, argv, status in runs:
        code, said = await command(capsys, *argv)
        assert code == status, (name, said)
        hits[f"redbench {name}"] = foreign_words(said, typed)
    code, said = await command(capsys, "tally", str(budget), "--method", "equal-shares")
    assert code == 0, said
    hits["redbench tally budget"] = foreign_words(said, [str(ELECTIONS), *read_names(budget)])
    code, said = await command(capsys, "verify", str(tampered(bundle, tmp_path)))
    assert code == 1
    assert "计票结果不同：包内的当选为 文化墙，重新计票为 儿童游乐设施" in said
    assert "选票内容清单摘要不符" in said  # the sealed list tampered with
    hits["redbench verify (tampered)"] = foreign_words(said, typed)
    if any(hits.values()):
        pytest.fail(report(hits), pytrace=False)


def read_names(path: Path) -> list[str]:
    """The project names of a pabulib file (typed by the city that ran the vote): its
    numbers and the titles of its ``name`` column, which the command line prints."""
    box = read_ballots(path)
    titles = [name for key, name in box.meta.items() if re.fullmatch(r"project\..+\.name", key)]
    return [*box.profile.candidates, *titles, box.title]
