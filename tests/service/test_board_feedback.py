"""Residents' feedback on the board, on every database: the form while the decision is
carried out (not before); stored as pending and shown nowhere public until the secretary
approves it; approved verdicts counted into the board channel's check — on the secretary's
page, through the API and in the decision record — a rejected one never shown; the
household for the secretary only; nothing stored about the resident beyond what they typed;
the throttle per client address with a 429 in words; refusals next to the form with what was
typed kept; every step audited."""

from __future__ import annotations

import html
import json

from sqlalchemy import select

from service.db.models import AuditEvent, Feedback, FeedbackThrottle, ResidentFeedback
from service.loop.board_throttle import PER_WINDOW, WINDOW, address_key
from tests.support.app import SECRET
from tests.support.feedback import give, implementing_park, moderate, pending_ids
from tests.support.pages import use_session
from tests.support.records_demo import build_demo

HOUSEHOLD = "7号楼3单元"
PRAISE = "滑梯装得很结实，孩子们天天去玩"
COMPLAINT = "晚上没有路灯，老人不敢去"
RUDE = "（广告：专业疏通下水道）"


async def test_feedback_is_pending_until_approved_and_then_counted_by_channel(client, staff, db):
    demo = await implementing_park(client, staff, db)
    pid, secretary = demo.process_id, staff["secretary"]

    # the form is on the board for the process being carried out
    client.cookies.clear()
    board_path = f"/board/communities/{demo.community_id}"
    board = await client.get(board_path)
    assert f'id="feedback-{pid}"' in board.text
    assert "说说您的看法" in board.text

    english = (await client.get(f"{board_path}?lang=en")).text
    assert "Tell us what you think" in english
    assert "fairly satisfied" in english
    client.cookies.clear()  # back to Chinese
    sent = await give(client, demo, verdict="satisfied", body=PRAISE, household=HOUSEHOLD)
    assert sent.status_code == 303
    assert sent.headers["location"] == f"{board_path}?sent={pid}#feedback-{pid}"
    thanks = await client.get(sent.headers["location"])
    assert "谢谢您！反馈已收到" in thanks.text
    await give(client, demo, verdict="dissatisfied", body=COMPLAINT)
    await give(client, demo, verdict="dissatisfied", body=RUDE)

    # pending: nowhere public, neither the page nor the API
    public = (await client.get(board_path)).text + (
        await client.get(f"/api/v1/communities/{demo.community_id}/board")
    ).text
    for said in (PRAISE, COMPLAINT, RUDE, HOUSEHOLD):
        assert said not in public
    assert await db.scalar(select(Feedback).where(Feedback.process_id == pid)) is None

    # the secretary sees them waiting, with the household, on the desk and the process page
    use_session(client, secretary)
    desk = await client.get("/secretary")
    assert "3 条居民反馈待审核" in desk.text
    page = (await client.get(f"/secretary/processes/{pid}")).text
    waiting = pending_ids(page)
    assert len(waiting) == 3
    assert PRAISE in page
    assert HOUSEHOLD in page
    assert "待审核（3 条）" in page

    praise, complaint, rude = waiting
    assert (await moderate(client, secretary, praise)).status_code == 303
    assert (await moderate(client, secretary, complaint)).status_code == 303
    assert (await moderate(client, secretary, rude, reason="广告，与议题无关")).status_code == 303
    again = await moderate(client, secretary, praise)
    assert again.status_code == 409
    assert "已经审核过了" in again.text

    # counted into one check of the board channel: 1 satisfied, 1 dissatisfied
    checks = (await client.get(f"/api/v1/processes/{pid}/feedback", headers=secretary)).json()
    assert [
        (
            c["channel"],
            c["satisfied"],
            c["fairly_satisfied"],
            c["dissatisfied"],
            c["from_residents"],
        )
        for c in checks
    ] == [("board", 1, 0, 1, True)]
    page = (await client.get(f"/secretary/processes/{pid}")).text
    summary = page.split('id="feedback"', 1)[1].split("</section>", 1)[0]
    assert "公示栏收集" in summary
    assert "满意率 50.0%（共 2 人）" in summary
    assert "不予公开：广告，与议题无关" in page
    assert pending_ids(page) == []

    # the board shows the approved texts, never the household, never the rejected one
    client.cookies.clear()
    board = (await client.get(board_path)).text
    assert PRAISE in board
    assert COMPLAINT in board
    assert RUDE not in board
    assert HOUSEHOLD not in board
    assert "广告，与议题无关" not in board
    assert "公示栏收集" in board

    # the decision record counts them by channel
    use_session(client, secretary)
    bundle = json.loads((await client.get(f"/secretary/processes/{pid}/exports/json")).content)
    loop = bundle["package"]["loop"] if "package" in bundle else bundle["loop"]
    assert [
        (f["channel"], f.get("satisfied", 0), f.get("dissatisfied", 0)) for f in loop["feedback"]
    ] == [("board", 1, 1)]

    # audited: given (by nobody known), approved, rejected — no text, household or address
    events = (
        await db.scalars(select(AuditEvent).where(AuditEvent.entity == "resident_feedback"))
    ).all()
    actions = sorted(e.action for e in events)
    assert actions == sorted(
        ["resident_feedback.given"] * 3
        + ["resident_feedback.approved"] * 2
        + ["resident_feedback.rejected"]
    )
    given = [e for e in events if e.action == "resident_feedback.given"]
    assert all(e.actor_id is None and set(e.detail) == {"process_id"} for e in given)


async def test_nothing_about_the_resident_is_stored_beyond_what_they_typed(client, staff, db):
    demo = await implementing_park(client, staff, db)
    await give(client, demo, verdict="fairly_satisfied", body="还行", household="")
    row = (await db.scalars(select(ResidentFeedback))).one()
    assert (row.verdict, row.body, row.household, row.status) == (
        "fairly_satisfied",
        "还行",
        "",
        "pending",
    )
    columns = {c.name for c in ResidentFeedback.__table__.columns}
    assert columns == {
        "id", "process_id", "verdict", "body", "household", "given_on", "status", "reason",
        "moderated_by", "moderated_at", "feedback_id",
    }  # fmt: skip
    # the throttle keeps a keyed digest of the address, not the address
    kept = (await db.scalars(select(FeedbackThrottle))).one()
    assert kept.key == address_key(SECRET, "testclient") != "testclient"
    assert len(kept.key) == 64
    assert "testclient" not in repr(kept.__dict__)


async def test_the_throttle_per_address_says_the_wait_and_keeps_the_words(client, staff, db, clock):
    demo = await implementing_park(client, staff, db)
    for n in range(PER_WINDOW):
        sent = await give(client, demo, verdict="satisfied", body=f"第{n + 1}条")
        assert sent.status_code == 303, sent.text
    clock.advance(minutes=20)
    refused = await give(client, demo, verdict="dissatisfied", body="又来一条", household="1号楼")
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == str(int(WINDOW.total_seconds() - 20 * 60))
    shown = html.unescape(refused.text)
    assert "这个网络提交的反馈太多了，请 40 分钟后再试" in shown
    assert ">又来一条</textarea>" in shown
    assert 'value="1号楼"' in shown
    assert 'value="dissatisfied" required checked' in shown
    stored = (await db.scalars(select(ResidentFeedback))).all()
    assert len(stored) == PER_WINDOW
    # once the window is over, the address may send again
    clock.advance(minutes=41)
    assert (await give(client, demo, verdict="satisfied")).status_code == 303


async def test_refusals_name_the_field_and_keep_the_input(client, staff, db):
    demo = await implementing_park(client, staff, db)
    missing = await give(client, demo, verdict="", body="忘了选评价", household="2号楼")
    assert missing.status_code == 422
    shown = html.unescape(missing.text)
    assert "请选择满意、基本满意或不满意" in shown
    assert ">忘了选评价</textarea>" in shown
    assert 'value="2号楼"' in shown
    long = await give(client, demo, verdict="satisfied", body="长" * 501)
    assert long.status_code == 422
    assert "太长：整理后有 501 个字，最多 500 个" in html.unescape(long.text)
    assert (await db.scalars(select(ResidentFeedback))).all() == []


async def test_no_feedback_before_the_decision_is_carried_out(client, staff, db):
    demo = await build_demo(client, staff, db)  # decided, no task yet
    client.cookies.clear()
    board = await client.get(f"/board/communities/{demo.community_id}")
    assert f'id="feedback-{demo.process_id}"' not in board.text
    refused = await give(client, demo, verdict="satisfied", body="提前说")
    assert refused.status_code == 409
    assert "决定开始落实后才能留言" in refused.text
    assert (await db.scalars(select(ResidentFeedback))).all() == []
    assert (await db.scalars(select(FeedbackThrottle))).all() == []  # not counted either


async def test_a_close_out_starts_a_new_running_check(client, staff, db):
    """Satisfaction after a close-out (or a re-opening) is not added to the one before."""
    demo = await implementing_park(client, staff, db)
    pid, secretary = demo.process_id, staff["secretary"]
    await give(client, demo, verdict="satisfied")
    await give(client, demo, verdict="satisfied")
    use_session(client, secretary)
    first, second = pending_ids((await client.get(f"/secretary/processes/{pid}")).text)
    await moderate(client, secretary, first)
    task = (await client.get(f"/api/v1/processes/{pid}/tasks", headers=secretary)).json()[0]
    await client.post(
        f"/api/v1/tasks/{task['id']}/notes",
        json={"body": "完工", "status": "done"},
        headers=secretary,
    )
    check = {"channel": "bench", "held_on": "2026-12-01", "satisfied": 9, "dissatisfied": 1}
    made = await client.post(f"/api/v1/processes/{pid}/feedback", json=check, headers=secretary)
    assert made.status_code == 201, made.text
    closed = await client.post(
        f"/api/v1/processes/{pid}/close-out", json={"note": "同意销号"}, headers=secretary
    )
    assert closed.status_code == 200, closed.text
    # residents may still speak after the close-out; the approval starts a new board check
    await moderate(client, secretary, second)
    checks = (await client.get(f"/api/v1/processes/{pid}/feedback", headers=secretary)).json()
    board = sorted(
        (c["id"], c["satisfied"]) for c in checks if c["channel"] == "board" and c["from_residents"]
    )
    assert [n for _, n in board] == [1, 1]
    assert (await client.get(f"/api/v1/processes/{pid}", headers=secretary)).json()["phase"] == (
        "closed"
    )


async def test_moderation_through_the_api(client, staff, db):
    demo = await implementing_park(client, staff, db)
    secretary = staff["secretary"]
    await give(client, demo, verdict="dissatisfied", body="噪音太大", household="5号楼")
    listed = await client.get(
        f"/api/v1/processes/{demo.process_id}/resident-feedback?status=pending", headers=secretary
    )
    assert listed.status_code == 200
    (item,) = listed.json()
    assert (item["body"], item["household"], item["status"]) == ("噪音太大", "5号楼", "pending")
    blank = await client.post(
        f"/api/v1/resident-feedback/{item['id']}/reject", json={"reason": " "}, headers=secretary
    )
    assert blank.status_code == 422
    rejected = await client.post(
        f"/api/v1/resident-feedback/{item['id']}/reject",
        json={"reason": "涉及邻里纠纷，电话回访"},
        headers=secretary,
    )
    assert rejected.status_code == 200
    assert (rejected.json()["status"], rejected.json()["feedback_id"]) == ("rejected", None)
    late = await client.post(f"/api/v1/resident-feedback/{item['id']}/approve", headers=secretary)
    assert (late.status_code, late.json()["code"]) == (409, "already-moderated")
    missing = await client.post("/api/v1/resident-feedback/999/approve", headers=secretary)
    assert missing.status_code == 404
    checks = await client.get(f"/api/v1/processes/{demo.process_id}/feedback", headers=secretary)
    assert checks.json() == []
