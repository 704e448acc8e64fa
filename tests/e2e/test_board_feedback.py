"""A resident's feedback on the board reaching the secretary's count after moderation, in a
real browser on every database: the secretary's desk starts from the pocket park's decision
and sets a task for a decided option (the card names it); a resident, on the board without
an account, says they are satisfied and why; the text shows nowhere public while pending;
the secretary approves it on the desk, and the board channel's check counts it; the board
then shows the text, never the household. Screenshots of the desk at 1280×800 and 768×1024
go to artefacts/ (copied to docs/images/ by hand when the pages change)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from service.db.models import User
from service.loop.decision import Decision, decision_of
from tests.e2e.helpers import Server, axe_violations
from tests.support.app import PASSWORD, make_staff
from tests.support.records_demo import Demo, build_demo

LAPTOP = {"width": 1280, "height": 800}
TABLET = {"width": 768, "height": 1024}
PHONE = {"width": 390, "height": 844}
PRAISE = "滑梯很结实，孩子们天天去玩，谢谢大家！"
WISH = "希望晚上加一盏路灯"
HOUSEHOLD = "7号楼3单元"
PEOPLE = {"admin": "管理员", "facilitator": "王主持", "secretary": "李书记"}


@pytest.fixture(scope="module")
def park(server: Server) -> tuple[Demo, Decision]:
    """The pocket park decided (two published rounds), with its staff, made through the
    served API as ``redbench demo`` would; and what its decision names."""

    async def work(db: AsyncSession) -> tuple[Demo, Decision]:
        staff = {role: await make_staff(db, role, f"desk-{role}") for role in PEOPLE}
        for role, name in PEOPLE.items():  # names as the demo's people are called
            await db.execute(
                update(User).where(User.username == f"desk-{role}").values(display_name=name)
            )
        await db.commit()
        async with httpx.AsyncClient(base_url=server.base, timeout=60) as client:
            demo = await build_demo(client, staff, db)
        return demo, await decision_of(db, demo.process_id)

    return server.db(work)


def sign_in(page: Page, server: Server, then: str) -> None:
    page.goto(server.url(f"/console/login?next={then}"))
    page.fill("#username", "desk-secretary")
    page.fill("#password", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(server.url(then))


def screenshot(page: Page, artefacts: Path, name: str, backend: str) -> None:
    """What one sees on the screen (the viewport), for the docs."""
    suffix = "" if backend == "sqlite" else f"-{backend}"
    page.screenshot(path=str(artefacts / f"{name}{suffix}.png"))


def test_a_residents_feedback_reaches_the_secretarys_count(
    browser: Browser, server: Server, park: tuple[Demo, Decision], artefacts: Path, backend: str
) -> None:
    demo, decision = park
    pid = demo.process_id
    desk = browser.new_context(viewport=LAPTOP, locale="zh-CN").new_page()
    sign_in(desk, server, f"/secretary/processes/{pid}")

    # the desk starts from the decision: the funded projects, none with a task yet
    section = desk.locator("#decision")
    expect(section).to_contain_text("平等份额法")
    for option in decision.options:
        expect(section.locator(f'[data-option="{option.proposal_id}"]')).to_contain_text(
            "还没有任务"
        )
    # the task form offers only the decided options and the item as a whole
    offered = desk.locator("#t-proposal option").evaluate_all("os => os.map(o => o.value)")
    assert sorted(offered) == sorted([str(o.proposal_id) for o in decision.options] + [""])
    first = decision.options[0]
    desk.fill("#t-title", "采购并安装" + first.name)
    desk.fill("#t-owner", "社区居委会 王主任")
    desk.fill("#t-due", "2027-03-31")
    expect(desk.locator("#t-proposal")).to_have_value(str(first.proposal_id))
    desk.click("#new-task button[type=submit]")
    desk.wait_for_url(f"**/secretary/processes/{pid}#task-*")
    task_card = desk.locator("article.task").first
    expect(task_card.locator(".task-option")).to_contain_text(first.name)

    # a resident on the board (a phone, no account): satisfied, with words and a household
    resident = browser.new_context(viewport=PHONE, locale="zh-CN").new_page()
    board = server.url(f"/board/communities/{demo.community_id}")
    resident.goto(board)
    form = resident.locator(f"#feedback-{pid}")
    expect(form).to_contain_text("说说您的看法")
    form.get_by_label("满意", exact=True).check()
    form.locator("textarea[name=body]").fill(PRAISE)
    form.locator("input[name=household]").fill(HOUSEHOLD)
    form.locator("button[type=submit]").click()
    expect(resident.locator(f"#feedback-{pid} .thanks")).to_contain_text("谢谢您")
    suffix = "" if backend == "sqlite" else f"-{backend}"
    form.screenshot(path=str(artefacts / f"board-feedback-form{suffix}.png"))
    assert PRAISE not in resident.content()  # pending: not on the board
    assert axe_violations(resident) == []
    # a second resident, a wish that will wait
    resident.locator(f"#feedback-{pid}").get_by_label("基本满意").check()
    resident.locator(f"#feedback-{pid} textarea[name=body]").fill(WISH)
    resident.locator(f"#feedback-{pid} button[type=submit]").click()
    expect(resident.locator(f"#feedback-{pid} .thanks")).to_be_visible()

    # the secretary reads both, with the household, and approves the first
    desk.goto(server.url(f"/secretary/processes/{pid}"))
    waiting = desk.locator("#residents article.resident-feedback.pending")
    expect(waiting).to_have_count(2)
    praise = waiting.filter(has_text=PRAISE)
    expect(praise.locator(".resident-household")).to_have_text(HOUSEHOLD)
    expect(desk.locator("#feedback")).to_contain_text("还没有满意度测评")
    praise.get_by_role("button", name="同意公开并计入测评").click()
    desk.wait_for_url(f"**/secretary/processes/{pid}#residents")

    # counted into the board channel's check: the secretary's count says so
    check = desk.locator("#feedback li.feedback-check")
    expect(check).to_have_count(1)
    expect(check).to_contain_text("公示栏收集")
    expect(check).to_contain_text("满意 1")
    expect(check).to_contain_text("满意率 100.0%（共 1 人）")
    expect(desk.locator("#residents article.resident-feedback.pending")).to_have_count(1)
    assert axe_violations(desk) == []

    # the board shows the approved words, never the household, and not the pending wish
    resident.goto(board)
    expect(resident.locator(".remarks")).to_contain_text(PRAISE)
    page_text = resident.content()
    assert HOUSEHOLD not in page_text
    assert WISH not in page_text

    # the desk, as the docs show it: the process page and the overview, laptop and tablet
    desk.goto(server.url(f"/secretary/processes/{pid}"))
    screenshot(desk, artefacts, "secretary-desk-process-1280x800", backend)
    desk.goto(server.url("/secretary"))
    expect(desk.locator("#residents-waiting")).to_contain_text("1 条居民反馈待审核")
    screenshot(desk, artefacts, "secretary-desk-home-1280x800", backend)
    desk.set_viewport_size(TABLET)
    desk.goto(server.url(f"/secretary/processes/{pid}"))
    screenshot(desk, artefacts, "secretary-desk-process-768x1024", backend)
    desk.goto(server.url(f"/secretary/processes/{pid}#residents"))
    screenshot(desk, artefacts, "secretary-desk-residents-768x1024", backend)
    desk.goto(server.url("/secretary"))
    screenshot(desk, artefacts, "secretary-desk-home-768x1024", backend)
    # nothing overflows sideways on the tablet
    wide = desk.evaluate("document.documentElement.scrollWidth")
    assert wide <= TABLET["width"], f"the desk is {wide}px wide on a 768px tablet"
