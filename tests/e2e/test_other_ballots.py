"""The tablet's budget and score ballots in a real browser, on every database: money left
shown and kept within the budget, scores given with large buttons; the stored ballots are
what the resident marked, and axe finds nothing serious on either screen."""

from __future__ import annotations

import json
from pathlib import Path

import msgspec
from playwright.sync_api import Browser, Page, expect

from tests.e2e.helpers import (
    OPTIONS,
    Server,
    axe_violations,
    enrol_directly,
    set_up_meeting,
    shot,
    stored_contents,
    voting_round,
)

NAMES = [name for name, _, _ in OPTIONS]
PLAY, HEALTH, CULTURE, SHADE = NAMES
TABLET = {"width": 800, "height": 1280}


def start(tablet: Page, server: Server, round_id: int, code: str) -> None:
    enrol_directly(tablet, server, round_id)
    tablet.goto(server.url("/kiosk"))
    tablet.fill("#code", code)
    tablet.click("#code-next")
    expect(tablet.locator("#step-ballot")).to_be_visible()


def submit(tablet: Page) -> None:
    tablet.click("#review")
    tablet.click("#submit")
    expect(tablet.locator("#step-receipt")).to_be_visible()
    expect(tablet.locator("#tracker-full")).not_to_be_empty()


def test_budget_and_score_ballots(
    browser: Browser, server: Server, backend: str, artefacts: Path
) -> None:
    meeting = set_up_meeting(server, f"{backend}-kinds")
    budget_round, [budget_code] = voting_round(
        server,
        meeting,
        {
            "title": "预算分配",
            "method": "equal-shares",
            "ballot_kind": "budget",
            "options": {"budget": 1500},
        },
        codes=1,
    )
    score_round, [score_code] = voting_round(
        server,
        meeting,
        {"title": "打分", "method": "score", "ballot_kind": "score", "rules": {"max_score": 5}},
        codes=1,
    )
    context = browser.new_context(viewport=TABLET, locale="zh-CN")
    tablet = context.new_page()

    start(tablet, server, budget_round, budget_code)
    expect(tablet.locator("#money-left")).to_have_text("剩余预算：1,500 元")
    tablet.click(f"button.option[data-name='{PLAY}']")  # 1,200
    expect(tablet.locator("#money-left")).to_have_text("剩余预算：300 元")
    expect(tablet.locator(f"button.option[data-name='{HEALTH}'] .state")).to_have_text(
        "剩余预算不够"
    )
    tablet.click(f"button.option[data-name='{HEALTH}']")  # 800 no longer fits
    expect(tablet.locator("#alert")).to_have_text("剩余预算不够这个项目，请先取消别的项目。")
    expect(tablet.locator(f"button.option[data-name='{HEALTH}']")).to_have_attribute(
        "aria-pressed", "false"
    )
    tablet.click(f"button.option[data-name='{SHADE}']")  # 250 fits
    expect(tablet.locator("#money-left")).to_have_text("剩余预算：50 元")
    assert axe_violations(tablet) == []
    shot(tablet, artefacts, "kiosk-budget", backend)
    tablet.click("#review")
    expect(tablet.locator("#review-list li")).to_have_text([PLAY, SHADE, "合计造价：1,450 元"])
    tablet.click("#submit")
    expect(tablet.locator("#step-receipt")).to_be_visible()
    [content] = stored_contents(server, budget_round).values()
    assert json.loads(content) == {"kind": "budget", "approved": [PLAY, SHADE]}

    start(tablet, server, score_round, score_code)
    tablet.click(f"fieldset[data-name='{PLAY}'] .score-choice:has(input[value='5'])")
    culture = tablet.locator(f"fieldset[data-name='{CULTURE}'] input[value='0']")
    culture.focus()
    for _ in range(3):  # by keyboard: arrow keys move along the radio buttons
        tablet.keyboard.press("ArrowRight")
    assert axe_violations(tablet) == []
    shot(tablet, artefacts, "kiosk-score", backend)
    submit(tablet)
    [content] = stored_contents(server, score_round).values()
    assert msgspec.json.decode(content) == {"kind": "score", "scores": {PLAY: 5, CULTURE: 3}}
    context.close()
