"""The loop after the decision over HTTP, on every database: decision → tasks (notes and
photos) → feedback → close-out (销号) → the public board shows it closed; re-opening with a
reason; overdue tasks for the secretary; who may do what; the audit trail."""

from __future__ import annotations

import hashlib
import io
from datetime import date, timedelta

from PIL import Image
from sqlalchemy import select

from service.db.models import AuditEvent
from service.loop.photos import MAX_PHOTO_BYTES
from tests.support.app import ok
from tests.support.documents import png
from tests.support.records_demo import build_demo


async def test_decision_to_close_out_and_the_public_board(client, staff, db):
    demo = await build_demo(client, staff, db)
    secretary = staff["secretary"]
    pid = demo.process_id
    play, fitness = demo.proposal_ids[0], demo.proposal_ids[4]

    # 落实: the secretary sets the tasks; the process starts implementing
    soon = (date.today() + timedelta(days=30)).isoformat()
    first = await ok(
        await client.post(
            f"/api/v1/processes/{pid}/tasks",
            json={
                "title": "采购并安装滑梯和秋千",
                "owner": "社区居委会 王主任",
                "due_on": soon,
                "proposal_id": play,
                "description": "含防摔地面",
            },
            headers=secretary,
        ),
        201,
    )
    second = await ok(
        await client.post(
            f"/api/v1/processes/{pid}/tasks",
            json={
                "title": "安装健身器材",
                "owner": "物业公司",
                "due_on": "2020-01-31",
                "proposal_id": fitness,
            },
            headers=secretary,
        ),
        201,
    )
    assert (first["status"], first["progress"], first["overdue"]) == ("planned", 0, False)
    assert second["overdue"] is True  # due in 2020 and not done
    loop = await ok(await client.get(f"/api/v1/processes/{pid}/loop", headers=secretary))
    assert loop["phase"] == "implementing"
    assert (loop["open_tasks"], loop["overdue_tasks"]) == (2, 1)

    # overdue tasks are visible to the secretary
    overdue = await ok(
        await client.get(
            f"/api/v1/tasks/overdue?community_id={demo.community_id}", headers=secretary
        )
    )
    assert [t["id"] for t in overdue] == [second["id"]]
    assert overdue[0]["process_title"] == "口袋公园建设方案"
    assert overdue[0]["days_overdue"] > 300

    # progress notes, with a photo
    note = await ok(
        await client.post(
            f"/api/v1/tasks/{first['id']}/notes",
            json={"body": "滑梯已到货，正在安装", "progress": 60},
            headers=secretary,
        ),
        201,
    )
    assert (note["status"], note["progress"]) == ("in_progress", 60)
    image = png()
    photos = await ok(
        await client.post(
            f"/api/v1/task-notes/{note['id']}/photos",
            files=[("photos", ("\u202e滑梯\u200b.png", image, "application/octet-stream"))],
            headers=secretary,
        ),
        201,
    )
    assert photos[0]["content_type"] == "image/jpeg"  # stored as a JPEG, whatever was sent
    assert photos[0]["filename"] == "滑梯.jpg"  # invisible characters are not kept
    served = await client.get(photos[0]["url"])  # public: photos are on the board
    assert served.status_code == 200
    assert (len(served.content), photos[0]["sha256"]) == (
        photos[0]["size"],
        hashlib.sha256(served.content).hexdigest(),
    )
    assert served.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(served.content)).size == Image.open(io.BytesIO(image)).size

    # 反馈 before the work is done is refused, naming the open tasks
    early = await client.post(
        f"/api/v1/processes/{pid}/feedback",
        json={"channel": "bench", "held_on": "2026-07-01", "satisfied": 20},
        headers=secretary,
    )
    assert early.status_code == 409
    assert early.json()["code"] == "tasks-open"
    assert "采购并安装滑梯和秋千" in early.json()["message_en"]

    for task in (first, second):
        await ok(
            await client.post(
                f"/api/v1/tasks/{task['id']}/notes",
                json={"body": "已完工验收", "status": "done"},
                headers=secretary,
            ),
            201,
        )
    assert await ok(await client.get("/api/v1/tasks/overdue", headers=secretary)) == []

    closing = await client.post(
        f"/api/v1/processes/{pid}/close-out", json={"note": "已完成"}, headers=secretary
    )
    assert closing.status_code == 409  # no feedback yet (and still implementing)
    feedback = await ok(
        await client.post(
            f"/api/v1/processes/{pid}/feedback",
            json={
                "channel": "bench",
                "held_on": "2026-07-01",
                "satisfied": 31,
                "fairly_satisfied": 6,
                "dissatisfied": 3,
                "note": "希望晚上加装照明",
            },
            headers=secretary,
        ),
        201,
    )
    assert (feedback["total"], feedback["satisfaction"]) == (40, 0.925)
    board_feedback = {"channel": "board", "held_on": "2026-07-08", "satisfied": 5}
    await ok(
        await client.post(
            f"/api/v1/processes/{pid}/feedback", json=board_feedback, headers=secretary
        ),
        201,
    )

    # 销号 with the sign-off note
    closed = await ok(
        await client.post(
            f"/api/v1/processes/{pid}/close-out",
            json={"note": "口袋公园一期已建成，居民满意度92.5%，同意销号。"},
            headers=secretary,
        )
    )
    assert closed["action"] == "closed"
    assert closed["actor"] == "secretary 测试"

    # the public board (no sign-in) shows it closed, with everything that led there
    board = await ok(await client.get(f"/api/v1/communities/{demo.community_id}/board"))
    assert board["community"] == "杜集社区"
    shown = next(p for p in board["processes"] if p["id"] == pid)
    assert shown["phase"] == "closed"
    assert shown["closed"] is True
    assert shown["closed_at"] is not None
    assert shown["close_outs"][-1]["note"] == "口袋公园一期已建成，居民满意度92.5%，同意销号。"
    assert [d["winners"] for d in shown["decisions"]] == [
        ["儿童游乐设施"],
        ["健身器材", "儿童游乐设施"],
    ]
    assert shown["decisions"][0]["bundle_url"] == f"/api/v1/rounds/{demo.round1}/bundle"
    assert [t["status"] for t in shown["tasks"]] == ["done", "done"]
    assert shown["tasks"][0]["notes"][0]["photos"][0]["url"] == photos[0]["url"]
    assert [f["channel"] for f in shown["feedback"]] == ["bench", "board"]
    # no ballot, code or voter on the board
    text = str(board)
    assert "tracker" not in text
    assert "code_hash" not in text

    # nothing more can be added to a closed item
    late = await client.post(
        f"/api/v1/processes/{pid}/tasks",
        json={"title": "加装照明", "owner": "物业公司", "due_on": soon},
        headers=secretary,
    )
    assert late.status_code == 409
    assert late.json()["code"] == "process-not-implementing"

    # re-opened with a reason: back to implementing, and the board says so
    no_reason = await client.post(
        f"/api/v1/processes/{pid}/reopen", json={"reason": ""}, headers=secretary
    )
    assert no_reason.status_code == 400
    reopened = await ok(
        await client.post(
            f"/api/v1/processes/{pid}/reopen",
            json={"reason": "居民反映夜间照明不足，需加装路灯"},
            headers=secretary,
        )
    )
    assert reopened["action"] == "reopened"
    board = await ok(await client.get(f"/api/v1/communities/{demo.community_id}/board"))
    shown = next(p for p in board["processes"] if p["id"] == pid)
    assert (shown["phase"], shown["closed"]) == ("implementing", False)
    assert [c["action"] for c in shown["close_outs"]] == ["closed", "reopened"]
    await ok(
        await client.post(
            f"/api/v1/processes/{pid}/tasks",
            json={"title": "加装照明", "owner": "物业公司", "due_on": soon},
            headers=secretary,
        ),
        201,
    )

    # every step is in the audit log
    actions = set((await db.scalars(select(AuditEvent.action))).all())
    assert {
        "task.created",
        "task.noted",
        "task.photos",
        "feedback.recorded",
        "process.implementing",
        "process.feedback",
        "process.closed",
        "process.signed_off",
        "process.reopened_with_reason",
    } <= actions


MULTIPART_X = "multipart/form-data; boundary=x"


async def test_photos_are_checked_by_content_and_size(client, staff, db):
    demo = await build_demo(client, staff, db)
    secretary = staff["secretary"]
    task = await ok(
        await client.post(
            f"/api/v1/processes/{demo.process_id}/tasks",
            json={"title": "安装遮阳棚", "owner": "物业公司", "due_on": "2030-01-01"},
            headers=secretary,
        ),
        201,
    )
    note = await ok(
        await client.post(
            f"/api/v1/tasks/{task['id']}/notes", json={"body": "开工"}, headers=secretary
        ),
        201,
    )
    url = f"/api/v1/task-notes/{note['id']}/photos"
    fake = await client.post(
        url,
        files=[("photos", ("photo.jpg", b"<html>not a photo</html>", "image/jpeg"))],
        headers=secretary,
    )
    assert fake.status_code == 415
    assert "not a photo that can be opened" in fake.json()["message_en"]
    huge = b"\xff\xd8\xff\xe0" + b"\0" * MAX_PHOTO_BYTES
    big = await client.post(
        url, files=[("photos", ("big.jpg", huge, "image/jpeg"))], headers=secretary
    )
    assert big.status_code == 413
    assert big.json()["code"] == "too-large"
    assert big.json()["message_zh"] == "照片“big.jpg”太大（20.1 兆），每张最大 20 兆"
    # no file at all: an empty body, a form without files (these were 500s)
    for empty in (
        {"content": b"", "headers": {**secretary, "content-type": "multipart/form-data"}},
        {"data": {"caption": "无照片"}, "files": [], "headers": secretary},
        {"content": b"--x--\r\n", "headers": {**secretary, "content-type": MULTIPART_X}},
    ):
        nothing = await client.post(url, **empty)
        assert nothing.status_code in (400, 422), nothing.text
        assert nothing.json()["status"] == nothing.status_code
    # a refused upload stores nothing
    stored = await ok(await client.get(f"/api/v1/tasks/{task['id']}", headers=secretary))
    assert stored["notes"][0]["photos"] == []
    assert (await client.get("/api/v1/photos/999")).status_code == 404


async def test_who_may_run_the_loop(client, staff, db):
    demo = await build_demo(client, staff, db)
    body = {"title": "安装路灯", "owner": "物业公司", "due_on": "2030-01-01"}
    url = f"/api/v1/processes/{demo.process_id}/tasks"
    assert (await client.post(url, json=body)).status_code == 401
    assert (await client.post(url, json=body, headers=staff["facilitator"])).status_code == 403
    assert (await client.post(url, json=body, headers=staff["grid_worker"])).status_code == 403
    made = await ok(await client.post(url, json=body, headers=staff["admin"]), 201)
    # the plan can change: a new owner and an earlier due date make it overdue
    changed = await ok(
        await client.patch(
            f"/api/v1/tasks/{made['id']}",
            json={"owner": "社区居委会", "due_on": "2021-06-30"},
            headers=staff["secretary"],
        )
    )
    assert (changed["owner"], changed["due_on"], changed["overdue"]) == (
        "社区居委会",
        "2021-06-30",
        True,
    )
    patched = (
        await db.execute(select(AuditEvent.detail).where(AuditEvent.action == "task.updated"))
    ).scalar_one()
    assert patched == {"changed": {"owner": "社区居委会", "due_on": "2021-06-30"}}
    # staff read the loop; the overdue list is the secretary's
    assert (await client.get(url, headers=staff["facilitator"])).status_code == 200
    overdue = await client.get("/api/v1/tasks/overdue", headers=staff["facilitator"])
    assert overdue.status_code == 403

    # a process that has not been decided takes no task
    process = await ok(
        await client.post(
            f"/api/v1/communities/{demo.community_id}/processes",
            json={"title": "垃圾分类驿站"},
            headers=staff["facilitator"],
        ),
        201,
    )
    early = await client.post(
        f"/api/v1/processes/{process['id']}/tasks", json=body, headers=staff["secretary"]
    )
    assert early.status_code == 409
    assert early.json()["code"] == "process-not-decided"
    closing = await client.post(
        f"/api/v1/processes/{process['id']}/close-out",
        json={"note": "x"},
        headers=staff["secretary"],
    )
    assert closing.status_code == 409
    assert closing.json()["code"] == "not-in-feedback"
    bad = await client.post(
        f"/api/v1/processes/{demo.process_id}/feedback",
        json={"channel": "bench", "held_on": "2026-07-01"},
        headers=staff["secretary"],
    )
    assert bad.status_code == 400  # nobody counted
    assert "count at least one resident" in bad.json()["message_en"]
