"""The branch secretary's pages and the implementation status on the public board, through
the test client on every database: tasks, a progress note with a photo, feedback, the
close-out (销号) and re-opening; overdue tasks; who may; the form token; every listed
download; stored text shown as text; nothing of a ballot but its tracker."""

from __future__ import annotations

import html
import io
import re
from datetime import date, timedelta
from typing import Any

from PIL import Image
from sqlalchemy import select

from service.db.models import AuditEvent, Process, Task, VoterCode
from tests.support.app import ok
from tests.support.box import cast_trackers
from tests.support.documents import png
from tests.support.pages import post_form, token_from, use_session
from tests.support.records_demo import build_demo

SOON = (date.today() + timedelta(days=30)).isoformat()
SIGN_OFF = "口袋公园一期已建成，居民满意度92.5%，同意销号。"
REASON = "居民反映夜间照明不足，需加装路灯"


async def add_task(client: Any, pid: int, title: str, due_on: str = SOON) -> int:
    made = await post_form(
        client,
        f"/secretary/processes/{pid}/tasks",
        {"title": title, "owner": "社区居委会 王主任", "due_on": due_on, "description": ""},
        follow_redirects=False,
    )
    assert made.status_code == 303, made.text
    return int(made.headers["location"].rsplit("#task-", 1)[1])


async def add_note(
    client: Any, task_id: int, body: str, files: list[Any] | None = None, **fields: str
) -> Any:
    """A progress note sent as the page's multipart form (an empty file input by default,
    as a browser sends it)."""
    token = await token_from(client)
    return await client.post(
        f"/secretary/tasks/{task_id}/notes",
        data={"body": body, "_csrf_token": token, **fields},
        files=files or [("photos", ("", b"", "application/octet-stream"))],
    )


async def test_the_loop_through_the_pages_and_on_the_board(client, staff, db):
    demo = await build_demo(client, staff, db)
    pid = demo.process_id
    use_session(client, staff["secretary"])
    first = await add_task(client, pid, "采购并安装滑梯和秋千")
    late = await add_task(client, pid, "安装健身器材", due_on="2020-01-31")
    assert (await db.get(Process, pid)).phase == "implementing"

    # the overdue task is listed first on the secretary's desk, the other is not
    desk = await client.get("/secretary")
    assert desk.status_code == 200
    overdue = desk.text.split('id="overdue"', 1)[1].split("</section>", 1)[0]
    assert f'data-task="{late}"' in overdue
    assert f'data-task="{first}"' not in overdue
    assert re.search(r"逾期 \d+ 天", overdue)

    # a progress note with a photo; the thumbnail is served by the photo endpoint
    image = png()
    noted = await add_note(
        client,
        first,
        "滑梯已到货，正在安装",
        [("photos", ("滑梯.png", image, "image/png"))],
        progress="60",
    )
    assert noted.status_code == 200, noted.text
    assert "进行中" in noted.text
    photo_url = re.search(r'<img class="thumb" src="(/api/v1/photos/\d+)"', noted.text).group(1)
    served = await client.get(photo_url)
    assert served.status_code == 200  # stored as a JPEG of the same size (it is small)
    assert served.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(served.content)).size == Image.open(io.BytesIO(image)).size

    # a refusal from the domain is a readable page, and nothing changes
    early = await post_form(client, f"/secretary/processes/{pid}/close-out", {"note": "完成"})
    assert early.status_code == 409
    assert "议题尚未进入反馈阶段" in early.text
    asked = await post_form(
        client,
        f"/secretary/processes/{pid}/feedback",
        {"channel": "bench", "held_on": "2026-07-01", "satisfied": "20"},
    )
    assert asked.status_code == 409
    assert "还有 2 项任务未完成" in asked.text
    assert (await db.get(Process, pid)).phase == "implementing"

    # the plan changes, then both tasks are done
    changed = await post_form(client, f"/secretary/tasks/{late}", {"owner": "物业公司"})
    assert changed.status_code == 200
    assert "物业公司" in changed.text
    for task in (first, late):
        done = await add_note(client, task, "已完工验收", status="done")
        assert done.status_code == 200, done.text
    assert (await client.get("/secretary")).text.count('class="overdue-task"') == 0

    # the satisfaction check, then the close-out with its note
    checked = await post_form(
        client,
        f"/secretary/processes/{pid}/feedback",
        {
            "channel": "bench",
            "held_on": "2026-07-01",
            "satisfied": "31",
            "fairly_satisfied": "6",
            "dissatisfied": "3",
            "note": "希望晚上加装照明",
        },
    )
    assert "满意率 92.5%（共 40 人）" in checked.text
    closed = await post_form(client, f"/secretary/processes/{pid}/close-out", {"note": SIGN_OFF})
    assert closed.status_code == 200
    assert f"销号意见：{SIGN_OFF}" in closed.text
    assert (await db.get(Process, pid)).phase == "closed"

    # the public board (no sign-in) shows the tasks, the photo, feedback and the close-out
    client.cookies.delete("redbench_session")
    board = await client.get(f"/board/communities/{demo.community_id}")
    assert board.status_code == 200
    shown = board.text.split(f'data-process="{pid}"', 1)[1]
    assert "采购并安装滑梯和秋千" in shown
    assert "已完成" in shown
    assert f'src="{photo_url}"' in shown
    assert "满意率 92.5%（共 40 人）" in shown
    assert f"销号意见：{SIGN_OFF}" in shown
    english = await client.get(f"/board/communities/{demo.community_id}?lang=en")
    assert f"sign-off note: {SIGN_OFF}" in english.text
    client.cookies.delete("redbench_lang")  # back to Chinese

    # re-opened with a reason: back to implementing, and the board says why
    use_session(client, staff["secretary"])
    empty = await post_form(client, f"/secretary/processes/{pid}/reopen", {"reason": " "})
    assert empty.status_code == 422
    assert "请说明重新打开的理由" in empty.text
    reopened = await post_form(client, f"/secretary/processes/{pid}/reopen", {"reason": REASON})
    assert reopened.status_code == 200
    assert (await db.get(Process, pid)).phase == "implementing"
    client.cookies.delete("redbench_session")
    board = await client.get(f"/board/communities/{demo.community_id}")
    assert f"重新打开的理由：{REASON}" in board.text

    actions = set((await db.scalars(select(AuditEvent.action))).all())
    assert {
        "task.created",
        "task.updated",
        "task.noted",
        "task.photos",
        "feedback.recorded",
        "process.signed_off",
        "process.reopened_with_reason",
    } <= actions


async def test_a_refused_photo_stores_neither_it_nor_the_note(client, staff, db):
    demo = await build_demo(client, staff, db)
    use_session(client, staff["secretary"])
    task = await add_task(client, demo.process_id, "安装遮阳棚")
    fake = await add_note(
        client, task, "开工", [("photos", ("photo.jpg", b"<html>not a photo</html>", "image/jpeg"))]
    )
    assert fake.status_code == 415
    assert "“photo.jpg”不是能打开的照片" in fake.text
    stored = await ok(await client.get(f"/api/v1/tasks/{task}", headers=staff["secretary"]))
    assert stored["notes"] == []


async def test_who_may_use_the_secretary_pages(client, staff, db):
    demo = await build_demo(client, staff, db)
    pages = ["/secretary", f"/secretary/processes/{demo.process_id}"]
    for path in pages:
        anonymous = await client.get(path, follow_redirects=False)
        assert anonymous.status_code == 303
        assert anonymous.headers["location"].startswith("/console/login?next=")
    for role in ("facilitator", "grid_worker"):
        use_session(client, staff[role])
        for path in pages:
            assert (await client.get(path)).status_code == 403
        refused = await post_form(
            client,
            f"/secretary/processes/{demo.process_id}/tasks",
            {"title": "x", "owner": "y", "due_on": SOON},
        )
        assert refused.status_code == 403
        export = await client.get(f"/secretary/rounds/{demo.round1}/exports/pdf")
        assert export.status_code == 403
    assert await db.scalar(select(Task.id)) is None

    # the secretary signs in on the console's sign-in page and lands on the desk
    client.cookies.delete("redbench_session")
    signed = await post_form(
        client,
        "/console/login",
        {"username": "secretary-user", "password": "correct horse battery", "next": "/secretary"},
        follow_redirects=False,
    )
    assert (signed.status_code, signed.headers["location"]) == (303, "/secretary")
    desk = await client.get("/secretary")
    assert desk.status_code == 200
    assert "口袋公园建设方案" in desk.text
    assert 'href="/secretary"' in desk.text  # in the navigation

    # a form without its token is refused
    bare = await client.post(
        f"/secretary/processes/{demo.process_id}/tasks",
        data={"title": "x", "owner": "y", "due_on": SOON},
    )
    assert bare.status_code == 403
    assert "表单已过期" in bare.text
    assert await db.scalar(select(Task.id)) is None


async def test_every_listed_download(client, staff, db):
    demo = await build_demo(client, staff, db)
    use_session(client, staff["secretary"])
    page = await client.get(f"/secretary/processes/{demo.process_id}")
    links = re.findall(r'class="download" href="([^"]+)" data-media="([^"]+)"', page.text)
    names = {href.rsplit("/", 1)[1] for href, _ in links}
    for fmt in ("json", "pdf", "xlsx"):
        assert f"/secretary/processes/{demo.process_id}/exports/{fmt}" in page.text
    for fmt in ("json", "pdf", "xlsx", "ballots-csv", "rounds-csv", "comments-csv"):
        assert f"/secretary/rounds/{demo.round1}/exports/{fmt}" in page.text
    assert f"/secretary/rounds/{demo.round1}/exports/blt" in page.text  # ranked
    assert f"/secretary/rounds/{demo.round1}/exports/pabulib" not in page.text
    assert f"/secretary/rounds/{demo.round2}/exports/pabulib" in page.text  # budget
    assert f"/secretary/rounds/{demo.round2}/exports/preflib" not in page.text
    assert names >= {"json", "pdf", "xlsx", "preflib", "decisions-csv"}
    assert "/code-slips" not in page.text  # a secretary prints no codes
    for href, media in links:
        got = await client.get(html.unescape(href))
        assert got.status_code == 200, (href, got.text[:200])
        assert got.headers["content-type"].startswith(media), href
        assert got.content
        assert "attachment" in got.headers["content-disposition"]
    english = await client.get(f"/secretary/processes/{demo.process_id}/exports/pdf?lang=en")
    assert english.headers["content-type"] == "application/pdf"
    exported = (
        await db.scalars(select(AuditEvent.id).where(AuditEvent.action == "record.exported"))
    ).all()
    assert len(exported) == len(links) + 1
    for fmt in ("json", "ballots-csv", "blt", "preflib"):  # streamed, as through the API
        page_file = await client.get(f"/secretary/rounds/{demo.round1}/exports/{fmt}")
        api_file = await client.get(
            f"/api/v1/rounds/{demo.round1}/exports/{fmt}", headers=staff["secretary"]
        )
        assert "content-length" not in page_file.headers, fmt
        assert page_file.content == api_file.content, fmt


async def test_code_slips_for_a_round_in_voting_are_the_admins(client, staff, db):
    demo = await build_demo(client, staff, db)
    facilitator = staff["facilitator"]
    process = await ok(
        await client.post(
            f"/api/v1/communities/{demo.community_id}/processes",
            json={"title": "垃圾分类驿站"},
            headers=facilitator,
        ),
        201,
    )
    ids = []
    for title in ("东门", "西门"):
        made = await client.post(
            f"/api/v1/processes/{process['id']}/proposals",
            json={"title": title},
            headers=facilitator,
        )
        ids.append((await ok(made, 201))["id"])
    round_ = await ok(
        await client.post(
            f"/api/v1/processes/{process['id']}/rounds",
            json={"title": "选址", "ballot_kind": "ranked", "method": "irv", "proposal_ids": ids},
            headers=facilitator,
        ),
        201,
    )
    rid = round_["id"]
    for to in ("commenting", "voting"):
        await ok(
            await client.post(f"/api/v1/rounds/{rid}/phase", json={"to": to}, headers=facilitator)
        )
    use_session(client, staff["secretary"])
    seen = await client.get(f"/secretary/processes/{process['id']}")
    assert "/code-slips" not in seen.text
    assert "投票结束并计票后才能下载" in seen.text
    refused = await post_form(client, f"/secretary/rounds/{rid}/code-slips", {"count": "2"})
    assert refused.status_code == 403
    use_session(client, staff["admin"])
    seen = await client.get(f"/secretary/processes/{process['id']}")
    assert f'action="/secretary/rounds/{rid}/code-slips"' in seen.text
    slips = await post_form(client, f"/secretary/rounds/{rid}/code-slips", {"count": "2"})
    assert slips.status_code == 200
    assert slips.headers["content-type"] == "application/pdf"
    assert slips.content.startswith(b"%PDF")
    codes = (await db.scalars(select(VoterCode.id).where(VoterCode.round_id == rid))).all()
    assert len(codes) == 2


async def test_stored_text_is_shown_as_text(client, staff, db):
    demo = await build_demo(client, staff, db)
    use_session(client, staff["secretary"])
    title = '<script>alert("task")</script>'
    body = "<script>alert('note')</script><img src=x onerror=alert(1)>"
    task = await add_task(client, demo.process_id, title)
    assert (await add_note(client, task, body)).status_code == 200
    secretary = await client.get(f"/secretary/processes/{demo.process_id}")
    desk = await client.get("/secretary")
    client.cookies.delete("redbench_session")
    board = await client.get(f"/board/communities/{demo.community_id}")
    for shown in (secretary, desk, board):
        assert shown.status_code == 200
        assert "<script>alert" not in shown.text
        assert "onerror=alert(1)>" not in shown.text
        assert "&lt;script&gt;alert(" in shown.text
    assert "&lt;script&gt;alert(&#39;note&#39;)&lt;/script&gt;" in board.text


async def test_no_page_shows_anything_of_a_ballot_but_its_tracker(client, staff, db):
    demo = await build_demo(client, staff, db)
    use_session(client, staff["secretary"])
    task = await add_task(client, demo.process_id, "安装路灯")
    await add_note(client, task, "开工")
    secret = (await db.scalars(select(VoterCode.code_hash))).all()
    trackers = await cast_trackers(db)
    assert secret
    assert trackers
    pages = [
        await client.get("/secretary"),
        await client.get(f"/secretary/processes/{demo.process_id}"),
        await client.get(f"/board/communities/{demo.community_id}"),
    ]
    for shown in pages:
        assert shown.status_code == 200
        assert not any(h in shown.text for h in secret)
        assert not any(t in shown.text for t in trackers)  # no ballot listed at all
        assert "voter_code" not in shown.text
    client.cookies.delete("redbench_session")
    tracker = trackers[0]
    lookup = await client.get(f"/board/rounds/{demo.round1}?tracker={tracker}")
    assert tracker in lookup.text
    assert not any(h in lookup.text for h in secret)
