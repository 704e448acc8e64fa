"""One time zone per community, on every database: times are shown in it and labelled, the
same on the pages, in the PDF record, the XLSX workbook and the CSV files; an admin sets it
(Asia/Shanghai by default, any zone of the IANA database); "today" for overdue tasks is the
community's; the JSON keeps ISO 8601 with an offset."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, text, update

from service.db.migrate import upgrade
from service.db.models import AuditEvent, TaskNote
from service.db.session import create_engine
from service.zones import UnknownZone, day, moment, today, zone_label
from tests.support.app import ok
from tests.support.databases import fresh_database
from tests.support.documents import pdf_text
from tests.support.pages import post_form, use_session
from tests.support.records_demo import build_demo
from tests.support.rounds import ensure_phone_window

NOTE_AT = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)
"""The progress note of the report: 15:00 UTC, 23:00 in Beijing, 21:00 in Ürümqi."""


def test_a_time_is_shown_in_the_zone_and_labelled():
    assert moment(NOTE_AT, "Asia/Shanghai", "zh") == "2026-12-04 23:00（北京时间）"
    assert moment(NOTE_AT, "Asia/Shanghai", "en") == "2026-12-04 23:00 (China Standard Time)"
    assert moment(NOTE_AT, "Asia/Urumqi", "zh") == "2026-12-04 21:00（Asia/Urumqi）"
    assert moment(None, "Asia/Shanghai", "zh") == "—"
    assert day(datetime(2026, 12, 4, 17, 0, tzinfo=UTC), "Asia/Shanghai") == "2026-12-05"
    assert zone_label("Asia/Shanghai", "zh") == "北京时间"
    with pytest.raises(UnknownZone):
        moment(NOTE_AT, "Mars/Olympus", "zh")


def test_today_is_the_zones():
    east, west = today("Pacific/Kiritimati"), today("Pacific/Pago_Pago")  # UTC+14, UTC-11
    assert (east - west).days in (1, 2)


async def test_an_admin_sets_a_communitys_zone(client, staff, db):
    admin = staff["admin"]
    made = await ok(
        await client.post("/api/v1/communities", json={"name": "杜集社区"}, headers=admin), 201
    )
    assert made["time_zone"] == "Asia/Shanghai"
    west = await ok(
        await client.post(
            "/api/v1/communities",
            json={"name": "天山社区", "time_zone": "Asia/Urumqi"},
            headers=admin,
        ),
        201,
    )
    assert west["time_zone"] == "Asia/Urumqi"

    wrong = await client.post(
        "/api/v1/communities", json={"name": "火星社区", "time_zone": "Mars/Olympus"}, headers=admin
    )
    assert wrong.status_code == 422
    body = wrong.json()
    assert (body["code"], body["field"]) == ("unknown-time-zone", "time_zone")
    assert body["message_zh"].startswith("“Mars/Olympus”不是时区数据库中的时区")

    path = f"/api/v1/communities/{made['id']}"
    changed = await ok(await client.patch(path, json={"time_zone": "Asia/Urumqi"}, headers=admin))
    assert (changed["name"], changed["time_zone"]) == ("杜集社区", "Asia/Urumqi")
    assert (await ok(await client.get(path, headers=admin)))["time_zone"] == "Asia/Urumqi"
    refused = await client.patch(path, json={"time_zone": "UTC"}, headers=staff["facilitator"])
    assert refused.status_code == 403
    clash = await client.patch(path, json={"name": "天山社区"}, headers=admin)
    assert clash.status_code == 409
    bad = await client.patch(path, json={"time_zone": "北京"}, headers=admin)
    assert bad.status_code == 422
    details = (
        await db.scalars(select(AuditEvent.detail).where(AuditEvent.action == "community.updated"))
    ).all()
    assert details == [{"time_zone": "Asia/Urumqi"}]


async def test_the_admin_sets_the_zone_on_the_console(client, staff, db):
    made = await ok(
        await client.post("/api/v1/communities", json={"name": "杜集社区"}, headers=staff["admin"]),
        201,
    )
    path = f"/console/communities/{made['id']}/time-zone"
    use_session(client, staff["facilitator"])
    home = await client.get("/console")
    assert "本社区的页面和记录按北京时间显示时间" in home.text
    assert 'name="time_zone"' not in home.text  # the form is the admin's
    assert (await post_form(client, path, {"time_zone": "Asia/Urumqi"})).status_code == 403
    use_session(client, staff["admin"])
    wrong = await post_form(client, path, {"time_zone": "北京"})
    assert wrong.status_code == 422
    assert "“北京”不是时区数据库中的时区" in wrong.text
    moved = await post_form(client, path, {"time_zone": "Asia/Urumqi"}, follow_redirects=False)
    assert moved.status_code == 303
    home = await client.get("/console")
    assert "本社区的页面和记录按Asia/Urumqi显示时间" in home.text
    assert 'value="Asia/Urumqi"' in home.text


async def shown_everywhere(client: Any, staff: Any, demo: Any, folder: Path) -> dict[str, str]:
    """The texts a reader sees: the secretary's and the public pages, the process PDF, the
    comments sheet of the workbook and the comments CSV."""
    secretary = staff["secretary"]
    use_session(client, secretary)
    desk = (await client.get(f"/secretary/processes/{demo.process_id}")).text
    board = (await client.get(f"/board/communities/{demo.community_id}")).text
    english = (await client.get(f"/board/communities/{demo.community_id}?lang=en")).text
    client.cookies.delete("redbench_lang")
    pdf = await client.get(f"/api/v1/processes/{demo.process_id}/exports/pdf", headers=secretary)
    xlsx = await client.get(f"/api/v1/processes/{demo.process_id}/exports/xlsx", headers=secretary)
    book = load_workbook(io.BytesIO(xlsx.content))
    comments = next(s for s in book.worksheets if s.title.endswith("意见"))
    csv = await client.get(f"/api/v1/rounds/{demo.round1}/exports/comments-csv", headers=secretary)
    return {
        "desk": desk,
        "board": board,
        "english": english,
        "pdf": pdf_text(pdf.content, folder),
        "xlsx": str(comments.cell(row=2, column=8).value),
        "csv": csv.content.decode("utf-8-sig").splitlines()[1],
    }


async def test_one_time_everywhere_in_the_communitys_zone(client, staff, db, tmp_path):
    demo = await build_demo(client, staff, db)
    secretary = staff["secretary"]
    task = await ok(
        await client.post(
            f"/api/v1/processes/{demo.process_id}/tasks",
            json={"title": "安装滑梯", "owner": "居委会", "due_on": "2099-12-31"},
            headers=secretary,
        ),
        201,
    )
    note = await ok(
        await client.post(
            f"/api/v1/tasks/{task['id']}/notes",
            json={"body": "滑梯已到货", "progress": 60},
            headers=secretary,
        ),
        201,
    )
    await db.execute(update(TaskNote).where(TaskNote.id == note["id"]).values(created_at=NOTE_AT))
    await db.commit()

    seen = await shown_everywhere(client, staff, demo, tmp_path)
    assert "2026-12-04 23:00（北京时间）" in seen["desk"]
    assert "2026-12-04 23:00（北京时间）" in seen["board"]
    assert "2026-12-04 23:00 (China Standard Time)" in seen["english"]
    assert "2026-12-04 15:00" not in seen["desk"] + seen["board"]
    # the demo's comments were made at 01:20 UTC, 09:20 in Beijing; the process at 09:00
    assert "2026-05-09 09:00（北京时间）" in seen["pdf"]
    assert seen["xlsx"] == "2026-05-09 09:20（北京时间）"
    assert seen["csv"].endswith(",2026-05-09 09:20（北京时间）")
    assert "+08:00" not in seen["pdf"]

    # the JSON keeps the instant, in ISO 8601 with its offset, whatever the zone
    notes = (await ok(await client.get(f"/api/v1/tasks/{task['id']}", headers=secretary)))["notes"]
    assert datetime.fromisoformat(notes[0]["created_at"]) == NOTE_AT

    await ok(
        await client.patch(
            f"/api/v1/communities/{demo.community_id}",
            json={"time_zone": "Asia/Urumqi"},
            headers=staff["admin"],
        )
    )
    seen = await shown_everywhere(client, staff, demo, tmp_path)
    assert "2026-12-04 21:00（Asia/Urumqi）" in seen["desk"]
    assert "2026-12-04 21:00（Asia/Urumqi）" in seen["board"]
    assert "2026-05-09 07:00（Asia/Urumqi）" in seen["pdf"]
    assert seen["xlsx"] == "2026-05-09 07:20（Asia/Urumqi）"
    assert seen["csv"].endswith(",2026-05-09 07:20（Asia/Urumqi）")
    assert "北京时间" not in seen["pdf"]


async def test_a_frozen_round_says_when_voting_opened_in_the_zone(client, staff, db):
    demo = await build_demo(client, staff, db)
    refused = await client.patch(
        f"/api/v1/rounds/{demo.round1}", json={"title": "改名"}, headers=staff["facilitator"]
    )
    assert refused.status_code == 409
    body = refused.json()
    assert body["message_zh"].startswith("投票已于 2026-05-09 10:00（北京时间） 开始")
    assert body["message_en"].startswith("voting opened at 2026-05-09 10:00 (China Standard Time)")


async def test_a_task_is_overdue_by_its_communitys_calendar(client, staff, db):
    """The same due date, today on the far side of the date line and already past on the
    near side: overdue in one community only."""
    secretary = staff["secretary"]
    due = today("Pacific/Pago_Pago").isoformat()  # UTC-11: where today ends last
    tasks = {}
    for name, zone_name in (("西社区", "Pacific/Pago_Pago"), ("东社区", "Pacific/Kiritimati")):
        demo = await build_demo_in(client, staff, db, name, zone_name)
        task = await ok(
            await client.post(
                f"/api/v1/processes/{demo}/tasks",
                json={"title": "安装路灯", "owner": "物业", "due_on": due},
                headers=secretary,
            ),
            201,
        )
        tasks[zone_name] = task
    assert tasks["Pacific/Pago_Pago"]["overdue"] is False
    assert tasks["Pacific/Kiritimati"]["overdue"] is True
    overdue = await ok(await client.get("/api/v1/tasks/overdue", headers=secretary))
    assert [t["id"] for t in overdue] == [tasks["Pacific/Kiritimati"]["id"]]
    assert overdue[0]["days_overdue"] >= 1


async def build_demo_in(client: Any, staff: Any, db: Any, name: str, zone_name: str) -> int:
    """A decided process in a new community of ``zone_name``: the id of the process."""
    community = await ok(
        await client.post(
            "/api/v1/communities",
            json={"name": name, "time_zone": zone_name},
            headers=staff["admin"],
        ),
        201,
    )
    process = await ok(
        await client.post(
            f"/api/v1/communities/{community['id']}/processes",
            json={"title": "路灯改造"},
            headers=staff["facilitator"],
        ),
        201,
    )
    return await decided(client, staff, db, process["id"])


async def decided(client: Any, staff: Any, db: Any, process_id: int) -> int:
    """Carry a process to its decision with one published round of three ballots."""
    facilitator = staff["facilitator"]
    names = ("东门", "西门")
    for title in names:
        await ok(
            await client.post(
                f"/api/v1/processes/{process_id}/proposals",
                json={"title": title},
                headers=facilitator,
            ),
            201,
        )
    proposals = await ok(
        await client.get(f"/api/v1/processes/{process_id}/proposals", headers=facilitator)
    )
    made = await ok(
        await client.post(
            f"/api/v1/processes/{process_id}/rounds",
            json={
                "title": "排序",
                "ballot_kind": "ranked",
                "method": "irv",
                "proposal_ids": [p["id"] for p in proposals],
            },
            headers=facilitator,
        ),
        201,
    )
    rid = made["id"]
    path = f"/api/v1/rounds/{rid}/phase"
    await ok(await client.post(path, json={"to": "voting"}, headers=facilitator))
    await ensure_phone_window(client, facilitator, rid)  # the API casts from home
    codes = await ok(
        await client.post(f"/api/v1/rounds/{rid}/codes", json={"count": 1}, headers=facilitator),
        201,
    )
    await ok(
        await client.post(
            f"/api/v1/rounds/{rid}/ballots",
            json={
                "code": codes["codes"][0]["code"],
                "key": f"time-zone-test-{rid:04d}",
                "ballot": {"kind": "ranked", "ranking": [[names[0]], [names[1]]]},
            },
        ),
        201,
    )
    for phase in ("closed", "published"):
        await ok(await client.post(path, json={"to": phase}, headers=facilitator))
    await ok(
        await client.post(
            f"/api/v1/processes/{process_id}/phase", json={"to": "decided"}, headers=facilitator
        )
    )
    return process_id


async def test_communities_from_before_get_beijing_time(backend, request, tmp_path):
    url = fresh_database(backend, request, tmp_path)
    upgrade(url, "0005")
    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO communities (id, name, created_at) "
                "VALUES (1, '杜集社区', '2026-11-26 10:00:00')"
            )
        )
    await engine.dispose()
    upgrade(url)
    engine = create_engine(url)
    async with engine.connect() as conn:
        zone_name = (await conn.execute(text("SELECT time_zone FROM communities"))).scalar_one()
    await engine.dispose()
    assert zone_name == "Asia/Shanghai"
