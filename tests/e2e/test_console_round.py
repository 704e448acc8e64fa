"""The console's round page in a real browser, on every database: on a laptop (1280×800)
and a tablet (768×1024) the section the phase needs starts on the first screen — the
comment form while commenting, the turnout while voting — the set-up changed through its
form is what the page shows afterwards, and axe finds nothing serious on either page."""

from __future__ import annotations

from pathlib import Path

import msgspec
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from engine.process import RoundPhase
from service.auth.guard import Actor
from service.db import models
from service.phases import change_phase
from service.rounds.repository import create_round
from service.rounds.schemas import RoundCreate
from tests.e2e.helpers import (
    OPTIONS,
    Meeting,
    Server,
    axe_violations,
    set_up_meeting,
    shot,
    sign_in,
    voting_round,
)

SCREENS = {"laptop": {"width": 1280, "height": 800}, "tablet": {"width": 768, "height": 1024}}
NAMES = [name for name, _, _ in OPTIONS]


def commenting_round(server: Server, meeting: Meeting) -> int:
    """Round of all four options, in its comment phase (as the console would set it up)."""

    async def work(db: AsyncSession) -> int:
        actor = Actor(id=None, name="王主持", role="facilitator")
        ids = (
            await db.scalars(
                select(models.Proposal.id)
                .where(models.Proposal.process_id == meeting.process_id)
                .order_by(models.Proposal.id)
            )
        ).all()
        fields = {"title": "设施排续", "method": "irv", "proposal_ids": ids}
        data = msgspec.convert(fields, RoundCreate)
        round_row = await create_round(db, meeting.process_id, data, actor)
        secret = server.settings.secret_key
        await change_phase(db, round_row.id, RoundPhase.COMMENTING, actor, secret)
        await db.commit()
        return round_row.id

    return server.db(work)


def starts_on_first_screen(page: Page, selector: str) -> bool:
    top = page.evaluate("(s) => document.querySelector(s).getBoundingClientRect().top", selector)
    size = page.viewport_size
    assert size is not None
    return float(top) < size["height"] - 80


def test_the_section_of_the_moment_is_on_the_first_screen(
    browser: Browser, server: Server, backend: str, artefacts: Path
) -> None:
    meeting = set_up_meeting(server, f"round-page-{backend}")
    talking = commenting_round(server, meeting)
    voting, _ = voting_round(server, meeting, {"title": "投票", "method": "irv"}, 3)
    for screen, size in SCREENS.items():
        page = browser.new_page(viewport=size)
        sign_in(page, server, meeting.facilitator, f"/console/rounds/{talking}")
        assert starts_on_first_screen(page, "#comment-form"), screen
        assert axe_violations(page) == [], screen
        shot(page, artefacts, f"console-round-commenting-{screen}", backend)
        page.goto(server.url(f"/console/rounds/{voting}"))
        assert starts_on_first_screen(page, "#turnout"), screen
        assert not page.locator("#comments .prompts").is_visible()  # folded once voting opened
        assert axe_violations(page) == [], screen
        page.close()


def test_the_set_up_is_changed_through_its_form(
    browser: Browser, server: Server, backend: str
) -> None:
    meeting = set_up_meeting(server, f"round-edit-{backend}")
    talking = commenting_round(server, meeting)
    page = browser.new_page(viewport=SCREENS["laptop"])
    sign_in(page, server, meeting.facilitator, f"/console/rounds/{talking}")
    page.click("#edit-round summary")
    expect(page.locator("#e-title")).to_have_value("设施排续")
    page.fill("#e-title", "设施排序")
    page.check("#round-settings input[name=method][value=schulze]")
    boxes = page.locator("#round-settings input[name=proposal_ids]")
    boxes.nth(1).uncheck()  # 健康监测站 off the slate
    places = page.locator("#round-settings select[name=places]")
    places.nth(3).select_option(index=0)  # 遮阳座椅 first, then 儿童游乐设施
    places.nth(0).select_option(index=1)
    assert axe_violations(page) == []
    page.click("#save-settings")
    expect(page.locator("#changed")).to_be_visible()
    expect(page.locator("h1")).to_contain_text("设施排序")
    expect(page.locator("#setup .slate li")).to_have_count(3)
    expect(page.locator("#setup .slate li")).to_contain_text([NAMES[3], NAMES[0], NAMES[2]])
    expect(page.locator("#setup")).to_contain_text("舒尔茨法")
    page.close()
