"""The phone ballot in a real browser at 390×844: the slip's link opens it with the code in
the field and off the address bar, the resident ranks, reviews and submits, and the receipt
stays; after the window the page says when phone voting ended."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Browser, expect

from tests.e2e.helpers import Server, axe_violations, set_up_meeting, shot, voting_round
from tests.support.phone import end_phone_window, set_phone_window

PHONE = {"width": 390, "height": 844}
FORM = {"title": "手机投票", "method": "irv", "ballot_kind": "ranked"}


def test_a_resident_votes_from_home_with_the_slips_link(
    browser: Browser, server: Server, backend: str, artefacts: Path
) -> None:
    meeting = set_up_meeting(server, f"{backend}-phone")
    round_id, codes = voting_round(server, meeting, FORM, 2)
    server.db(lambda db: set_phone_window(db, round_id, hours=30))
    context = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
    asked: list[str] = []
    context.on("request", lambda request: asked.append(request.url))
    phone = context.new_page()
    phone.clock.install()  # the page's timers run on the test's clock
    phone.goto(server.url(f"/vote/{round_id}#{codes[0]}"))
    expect(phone.locator("#code")).to_have_value(codes[0])
    assert codes[0] not in phone.url  # taken off the address bar at once
    assert phone.evaluate("window.location.hash") == ""
    expect(phone.locator("#phone-window")).to_contain_text("手机投票开放至")
    expect(phone.locator("#phone-window")).to_contain_text("（北京时间）")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(phone, artefacts, "phone-code", backend)
    phone.click("#code-next")
    expect(phone.locator("#step-ballot")).to_be_visible()
    for name in ("文化墙", "儿童游乐设施", "遮阳座椅", "健康监测站"):
        phone.click(f'button.option[data-name="{name}"]')
    phone.click("#review")
    expect(phone.locator("#review-list li")).to_have_count(4)
    phone.click("#submit")
    expect(phone.locator("#step-receipt")).to_be_visible()
    short = phone.inner_text("#tracker-short")
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}", short)
    expect(phone.locator("#next")).to_be_hidden()  # no hand-over on a phone
    assert axe_violations(phone) == []
    shot(phone, artefacts, "phone-receipt", backend)
    phone.clock.run_for(400_000)  # the tablet's countdowns are long over: still there
    expect(phone.locator("#step-receipt")).to_be_visible()
    assert phone.inner_text("#tracker-short") == short
    assert codes[0] not in phone.url
    assert all(codes[0] not in url for url in asked)  # the code never went in an address
    assert all(url.startswith(server.base) for url in asked)  # no third-party requests
    context.close()

    server.db(lambda db: end_phone_window(db, round_id))
    late = browser.new_context(viewport=PHONE, locale="zh-CN").new_page()
    late.goto(server.url(f"/vote/{round_id}#{codes[1]}"))
    expect(late.locator("#phone-shut")).to_contain_text("手机投票已经结束")
    expect(late.locator("#phone-shut")).to_contain_text("（北京时间）")
    assert codes[1] not in late.url
    late.context.close()
