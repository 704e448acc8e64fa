"""Paper ballots in the browser, on every database: the facilitator prints ballots from the
round page (a PDF with a Chinese file name), two clerks key the same ballot each on their
own and differ in one box, the second clerk sees only that it differs, and a third person
sees both entries side by side, the differing boxes marked, and decides with a reason; the
ballot is then in the box once, its code used on paper."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from service.accounts.repository import create_user
from service.accounts.schemas import UserCreate
from service.auth.hashing import PasswordHasher
from service.db import models
from tests.e2e.helpers import (
    PASSWORD,
    Server,
    axe_violations,
    set_up_meeting,
    shot,
    sign_in,
    stored_trackers,
    voting_round,
)

DESK = {"width": 1280, "height": 800}


def clerk(server: Server, username: str, name: str, role: str) -> str:
    async def work(db: AsyncSession) -> str:
        await create_user(
            db,
            UserCreate(username=username, display_name=name, role=role, password=PASSWORD),
            PasswordHasher(),
        )
        await db.commit()
        return username

    return server.db(work)


def code_row(server: Server, round_id: int) -> tuple[str, str | None]:
    async def work(db: AsyncSession) -> tuple[str, str | None]:
        row = (
            await db.execute(
                select(models.VoterCode.status, models.VoterCode.channel).where(
                    models.VoterCode.round_id == round_id
                )
            )
        ).one()
        return row[0], row[1]

    return server.db(work)


def key(page: Page, serial: str, code: str, marks: list[str]) -> None:
    page.fill("#serial", serial)
    page.fill("#code", code)
    for n, mark in enumerate(marks):
        page.fill(f"#mark-{n}", mark)
    page.click("#enter")
    page.wait_for_selector("#entry-outcome")


def test_two_clerks_key_a_paper_ballot_and_a_third_person_decides(
    browser: Browser, server: Server, backend: str, artefacts: Path
) -> None:
    meeting = set_up_meeting(server, f"{backend}-paper")
    round_id, [code] = voting_round(
        server, meeting, {"title": "纸质选票", "method": "irv", "ballot_kind": "ranked"}, codes=1
    )
    first_clerk = clerk(server, f"wangge-{backend}-paper", "李网格", "grid_worker")
    second_clerk = clerk(server, f"shuji-{backend}-paper", "张书记", "secretary")
    round_page = f"/console/rounds/{round_id}"
    entry_page = f"{round_page}/paper"

    chair = browser.new_context(viewport=DESK, locale="zh-CN", accept_downloads=True)
    page = chair.new_page()
    sign_in(page, server, meeting.facilitator, round_page)
    page.fill("#paper-count", "2")
    with page.expect_download() as downloading:
        page.click("#paper-print")
    assert downloading.value.suggested_filename == "第1轮纸质选票-第1至2号.pdf"

    one = browser.new_context(viewport=DESK, locale="zh-CN").new_page()
    sign_in(one, server, first_clerk, entry_page)
    key(one, "1", code, ["2", "", "1", ""])
    expect(one.locator("#entry-outcome")).to_have_attribute("data-state", "keying")
    shot(one, artefacts, "paper-entry", backend)

    two = browser.new_context(viewport=DESK, locale="zh-CN").new_page()
    sign_in(two, server, second_clerk, entry_page)
    key(two, "1", code.lower(), ["2", "", "1", "3"])  # one box keyed differently
    expect(two.locator("#entry-outcome")).to_have_attribute("data-state", "mismatch")
    assert code not in two.inner_text("body")  # never the other clerk's entry
    assert stored_trackers(server, round_id) == []

    page.goto(server.url(round_page))
    expect(page.locator("#paper-pending")).to_contain_text("待裁定 1 张")
    page.click("#paper-mismatches-link")
    mismatch = page.locator(".paper-mismatch[data-serial='1']")
    expect(mismatch.locator("tr.differs")).to_have_count(1)
    expect(mismatch.locator("tr.differs")).to_contain_text("遮阳座椅")
    expect(mismatch).to_contain_text("李网格")
    expect(mismatch).to_contain_text("张书记")
    shot(page, artefacts, "paper-mismatch", backend)
    assert axe_violations(page) == []
    mismatch.locator("input[name=choose][value='1']").check()
    page.fill("#reason-1", "核对原票：遮阳座椅的方框是空的")
    page.click("#decide-button-1")
    expect(page.locator("#decided")).to_have_attribute("data-state", "cast")
    expect(page.locator("#no-mismatches")).to_be_visible()

    assert len(stored_trackers(server, round_id)) == 1
    assert code_row(server, round_id) == ("used", "paper")
    one.goto(server.url(entry_page))
    expect(one.locator("tr.paper-serial[data-serial='1']")).to_have_attribute("data-state", "cast")
    assert axe_violations(one) == []
