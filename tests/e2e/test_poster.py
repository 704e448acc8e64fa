"""The result poster in a real browser, on every database: two residents vote on the
tablet, the facilitator closes the round (the reveal page offers no poster yet) and
publishes it; the reveal page and the board's round page then offer the A4 and A3 posters,
and a resident's click downloads a PDF with its Chinese file name whose text names the
winner and the ballots counted; axe finds nothing serious in the poster links."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Browser, expect

from tests.e2e.helpers import (
    OPTIONS,
    Server,
    axe_violations,
    enrol_directly,
    set_up_meeting,
    shot,
    sign_in,
    voting_round,
)
from tests.support.documents import pdf_text

NAMES = [name for name, _, _ in OPTIONS]
PLAY, HEALTH, CULTURE, SHADE = NAMES
TABLET = {"width": 800, "height": 1280}
SCREEN = {"width": 1280, "height": 800}


def test_the_poster_from_the_reveal_page_and_the_board(
    browser: Browser, server: Server, backend: str, artefacts: Path, tmp_path: Path
) -> None:
    meeting = set_up_meeting(server, f"{backend}-poster")
    round_id, codes = voting_round(
        server, meeting, {"title": "设施排序", "method": "irv", "ballot_kind": "ranked"}, codes=2
    )
    tablet_context = browser.new_context(viewport=TABLET, locale="zh-CN")
    tablet = tablet_context.new_page()
    enrol_directly(tablet, server, round_id)
    for code, first in zip(codes, (PLAY, PLAY), strict=True):
        tablet.goto(server.url("/kiosk"))
        tablet.fill("#code", code)
        tablet.click("#code-next")
        expect(tablet.locator("#step-ballot")).to_be_visible()
        tablet.click(f"button.option[data-name='{first}']")
        tablet.click("#no-more")
        tablet.click("#submit")
        expect(tablet.locator("#step-receipt")).to_be_visible()
    tablet_context.close()

    laptop = browser.new_context(viewport=SCREEN, locale="zh-CN", accept_downloads=True)
    console = laptop.new_page()
    sign_in(console, server, meeting.facilitator, f"/console/rounds/{round_id}")
    console.once("dialog", lambda dialog: dialog.accept())
    console.click("#to-closed")
    console.wait_for_url(re.compile(rf"/console/rounds/{round_id}/reveal$"))
    expect(console.locator(".poster-links")).to_have_count(0)  # closed, not published
    console.goto(server.url(f"/console/rounds/{round_id}"))
    console.once("dialog", lambda dialog: dialog.accept())
    console.click("#to-published")
    console.goto(server.url(f"/console/rounds/{round_id}/reveal"))
    expect(console.locator("#poster-a4")).to_have_text("A4 海报")
    expect(console.locator("#poster-a3")).to_have_text("A3 海报")
    with console.expect_download() as from_reveal:
        console.click("#poster-a3")
    assert from_reveal.value.suggested_filename == "口袋公园建设方案-第1轮结果海报-A3.pdf"
    laptop.close()

    resident_context = browser.new_context(viewport=TABLET, locale="zh-CN", accept_downloads=True)
    resident = resident_context.new_page()
    resident.goto(server.url(f"/board/rounds/{round_id}"))
    links = resident.locator(".poster-links")
    expect(links.locator("h2")).to_have_text("打印结果海报")
    assert axe_violations(resident) == []
    links.scroll_into_view_if_needed()
    shot(resident, artefacts, "board-poster-links", backend)
    with resident.expect_download() as from_board:
        resident.click("#poster-a4")
    download = from_board.value
    assert download.suggested_filename == "口袋公园建设方案-第1轮结果海报-A4.pdf"
    saved = tmp_path / "poster.pdf"
    download.save_as(saved)
    text = pdf_text(saved.read_bytes(), tmp_path)
    assert "议事结果公告" in text
    assert PLAY in text
    assert "有效选票：2 张" in text
    assert f"{server.base}/board/rounds/{round_id}" in text  # the QR's address, printed too
    resident_context.close()
