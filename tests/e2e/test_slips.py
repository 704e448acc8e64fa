"""Voter-code slips in the browser, on every database: issuing is a form's POST answered
with the batch's page, so reloading that page or going back and forth makes no code; the
round page lists the batch with its PDF (a Chinese file name) and voids slips by their
numbers; and for a household roll the facilitator is told of look-alikes, households that
voted and households holding a live code before any code is made, the typed list kept."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Browser, Page, expect
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from service.db import models
from tests.e2e.helpers import (
    Meeting,
    Server,
    axe_violations,
    set_up_meeting,
    shot,
    sign_in,
    voting_round,
)

DESK = {"width": 1280, "height": 800}


def codes_of(server: Server, round_id: int) -> int:
    async def work(db: AsyncSession) -> int:
        found = await db.scalar(
            select(func.count())
            .select_from(models.VoterCode)
            .where(models.VoterCode.round_id == round_id)
        )
        return int(found or 0)

    return server.db(work)


def household_round(server: Server, meeting: Meeting) -> int:
    """A round with a household roll, open for voting, no code issued yet."""
    import msgspec

    from engine.process import RoundPhase
    from service.auth.guard import Actor
    from service.phases import change_phase
    from service.rounds.repository import create_round
    from service.rounds.schemas import RoundCreate

    async def work(db: AsyncSession) -> int:
        actor = Actor(id=None, name="王主持", role="facilitator")
        ids = (
            await db.scalars(
                select(models.Proposal.id).where(models.Proposal.process_id == meeting.process_id)
            )
        ).all()
        form = {"title": "按户投票", "method": "irv", "ballot_kind": "ranked"}
        data = msgspec.convert(
            {**form, "household_roll": True, "proposal_ids": list(ids)}, RoundCreate
        )
        round_row = await create_round(db, meeting.process_id, data, actor)
        await change_phase(db, round_row.id, RoundPhase.VOTING, actor, server.settings.secret_key)
        await db.commit()
        return round_row.id

    return server.db(work)


def mark_voted(server: Server, round_id: int, label: str) -> None:
    async def work(db: AsyncSession) -> None:
        row = await db.scalar(
            select(models.Household).where(
                models.Household.round_id == round_id, models.Household.label == label
            )
        )
        assert row is not None
        row.voted = True
        await db.commit()

    server.db(work)


def issued_on(page: Page) -> str:
    return page.locator("#codes-issued").inner_text()


def test_a_reload_of_the_slip_page_issues_nothing(
    browser: Browser, server: Server, backend: str, artefacts: Path
) -> None:
    meeting = set_up_meeting(server, f"{backend}-slips")
    round_id, _ = voting_round(
        server, meeting, {"title": "发码", "method": "irv", "ballot_kind": "ranked"}, codes=1
    )
    context = browser.new_context(viewport=DESK, locale="zh-CN", accept_downloads=True)
    page = context.new_page()
    round_page = f"/console/rounds/{round_id}"
    sign_in(page, server, meeting.facilitator, round_page)
    assert issued_on(page) == "1"

    page.fill("#count", "3")
    page.click("#print-codes")
    page.wait_for_url(server.url(f"{round_page}/slips/2"))
    expect(page.locator(".slip")).to_have_count(3)
    codes = page.locator(".slip-code").all_inner_texts()
    expect(page.locator(".slip-number")).to_have_text(["第2号", "第3号", "第4号"])
    shot(page, artefacts, "slips-batch", backend)

    page.reload()  # the reload: the same slips, no new code
    expect(page.locator(".slip")).to_have_count(3)
    assert page.locator(".slip-code").all_inner_texts() == codes
    page.go_back()
    page.go_forward()
    expect(page.locator(".slip")).to_have_count(3)
    assert codes_of(server, round_id) == 4

    page.click("text=打印好了，返回")
    page.wait_for_url(server.url(round_page))
    assert issued_on(page) == "4"  # "已发投票码": one before, three now, none for the reloads
    page.reload()
    assert issued_on(page) == "4"
    batch = page.locator("tr.batch[data-batch='2']")
    expect(batch).to_contain_text("第2批：第2至4号")
    expect(batch).to_contain_text("未用 3，已用 0，作废 0")
    batch.locator(".batch-view").click()  # the issuer, in the printing window: the same codes
    page.wait_for_url(server.url(f"{round_page}/slips/2"))
    assert page.locator(".slip-code").all_inner_texts() == codes
    with page.expect_download() as downloading:
        page.click("#slips-pdf")
    assert downloading.value.suggested_filename == "第1轮投票码-第2至4号.pdf"
    page.click("text=打印好了，返回")
    page.wait_for_url(server.url(round_page))
    assert issued_on(page) == "4"
    shot(page, artefacts, "round-codes", backend)
    assert axe_violations(page) == []

    batch.locator(".batch-void").click()  # the whole batch's numbers, ready to void
    expect(page.locator("#void-numbers")).to_have_value("2-4")
    page.fill("#void-numbers", "3-4")
    page.fill("#void-numbers-reason", "这两张没打印出来")
    page.click("#void-numbers-button")
    expect(page.locator("#slips-voided")).to_have_text("已作废：第3至4号。原因已记录。")
    page.reload()  # a reload of the report voids nothing more, and makes nothing
    expect(page.locator("#slips-voided")).to_be_visible()
    assert codes_of(server, round_id) == 4
    page.goto(server.url(round_page))
    expect(page.locator("tr.batch[data-batch='2']")).to_contain_text("未用 1，已用 0，作废 2")
    context.close()


def test_the_household_warning_at_issue(
    browser: Browser, server: Server, backend: str, artefacts: Path
) -> None:
    meeting = set_up_meeting(server, f"{backend}-households")
    round_id = household_round(server, meeting)
    context = browser.new_context(viewport=DESK, locale="zh-CN")
    page = context.new_page()
    round_page = f"/console/rounds/{round_id}"
    sign_in(page, server, meeting.facilitator, round_page)

    typed = "3号楼2单元101\n3-2-101\n5-1-202\n5－1－202"
    page.fill("#households", typed)
    page.click("#print-codes")
    expect(page.locator("h1")).to_have_text("发放前请核对户名单")
    expect(page.locator(".household-warning[data-kind=duplicate]")).to_contain_text("第 3、4 行")
    expect(page.locator(".household-warning[data-kind=look-alike]")).to_contain_text(
        "3号楼2单元101、3-2-101"
    )
    expect(page.locator("#households")).to_have_value(typed)  # the list kept
    assert codes_of(server, round_id) == 0  # nothing made yet
    shot(page, artefacts, "slips-household-check", backend)
    assert axe_violations(page) == []
    page.click("#issue-anyway")
    page.wait_for_url(re.compile(rf"{round_page}/slips/1$"))
    expect(page.locator(".slip-household")).to_have_text(["3号楼2单元101", "3-2-101", "5-1-202"])

    mark_voted(server, round_id, "5-1-202")
    page.goto(server.url(round_page))
    page.fill("#households", "5-1-202\n3-2-101")
    page.click("#print-codes")
    expect(page.locator(".household-warning[data-kind=voted]")).to_contain_text(
        "5-1-202已经投过票，不会再发投票码"
    )
    expect(page.locator(".household-warning[data-kind=live]")).to_contain_text(
        "3-2-101已经领过一张还没用的投票码"
    )
    # the facilitator corrects the list: 3-2-101 still holds a live code, a new one is added
    page.fill("#households", "3-2-101\n8-8-808")
    page.click("#check-again")
    expect(page.locator(".household-warning")).to_have_count(1)
    expect(page.locator(".household-warning[data-kind=live]")).to_be_visible()
    assert codes_of(server, round_id) == 3
    page.click("#issue-anyway")
    page.wait_for_url(re.compile(rf"{round_page}/slips/2$"))
    expect(page.locator(".slip-household")).to_have_text(["3-2-101", "8-8-808"])
    expect(page.locator(".slip-number")).to_have_text(["第4号", "第5号"])
    assert codes_of(server, round_id) == 5
    context.close()


def close_window(server: Server, round_id: int) -> None:
    """Make the round's batches older than the printing window."""
    from datetime import timedelta

    from sqlalchemy import update

    from service.db.base import utcnow
    from service.voting.batches import PRINTING_WINDOW

    async def work(db: AsyncSession) -> None:
        long_ago = utcnow() - PRINTING_WINDOW - timedelta(minutes=1)
        await db.execute(
            update(models.SlipBatch)
            .where(models.SlipBatch.round_id == round_id)
            .values(issued_at=long_ago)
        )
        await db.commit()

    server.db(work)


def test_a_double_click_issues_one_batch_and_a_reprint_shows_to_all(
    browser: Browser, server: Server, backend: str, artefacts: Path
) -> None:
    meeting = set_up_meeting(server, f"{backend}-reprint")
    round_id, _ = voting_round(
        server, meeting, {"title": "重印", "method": "irv", "ballot_kind": "ranked"}, codes=0
    )
    context = browser.new_context(viewport=DESK, locale="zh-CN")
    page = context.new_page()
    round_page = f"/console/rounds/{round_id}"
    sign_in(page, server, meeting.facilitator, round_page)
    page.fill("#count", "3")
    page.dblclick("#print-codes")  # sent once: one batch of three
    page.wait_for_url(re.compile(rf"{round_page}/slips/1$"))
    codes = page.locator(".slip-code").all_inner_texts()
    assert len(codes) == 3
    assert codes_of(server, round_id) == 3

    close_window(server, round_id)
    page.reload()  # after the window: numbers and statuses, no code
    expect(page.locator(".slip-code")).to_have_count(0)
    expect(page.locator("tr.slip-state[data-status=issued]")).to_have_count(3)
    expect(page.locator("#reprint-numbers")).to_have_value("1-3")
    page.fill("#reprint-numbers", "2")
    page.fill("#reprint-reason", "打印机卡纸")
    page.click("#reprint-page")
    expect(page.locator(".slip-code")).to_have_text([codes[1]])
    expect(page.locator("#slips-reprinted-now")).to_contain_text("已重印 1 张")
    page.goto(server.url(round_page))
    expect(page.locator("#slips-reprinted")).to_have_text("重印 1 张")
    expect(page.locator("tr.batch[data-batch='1'] .batch-reprints")).to_have_text("（重印 1 张）")
    shot(page, artefacts, "round-codes-reprinted", backend)
    context.close()
