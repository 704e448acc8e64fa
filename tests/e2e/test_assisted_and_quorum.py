"""Issue 16 in a real browser, on every database: the tablet's assisted mode (extra-large
targets of at least 64 px, a "朗读" button that speaks each option, heading and the review in
the page's language, never the code; ended by the hand-over), and the console's line of
turnout against the quorum, ballots by channel and the reconciliation line changing,
without a reload, when a ballot arrives."""

from __future__ import annotations

import json
import uuid

import httpx
from playwright.sync_api import Browser, Page, expect

from tests.e2e.helpers import (
    OPTIONS,
    Server,
    enrol_directly,
    set_up_meeting,
    sign_in,
    voting_round,
)
from tests.support.phone import set_phone_window

NAMES = [name for name, _, _ in OPTIONS]
DESCRIPTIONS = {name: description for name, description, _ in OPTIONS}
TABLET = {"width": 800, "height": 1280}
VOICES = [
    {"name": "Google 普通话（中国大陆）", "lang": "zh-CN", "localService": False, "default": True},
    {"name": "Ting-Ting", "lang": "zh-CN", "localService": True, "default": False},
    {"name": "Samantha", "lang": "en-US", "localService": True, "default": False},
]
"""A browser's voices as Chrome lists them: its default zh-CN voice is a network one."""

SPEECH_STUB = """
window.__spoken = [];
window.SpeechSynthesisUtterance = function (text) { this.text = text; this.lang = ""; };
Object.defineProperty(window, "speechSynthesis", {
  configurable: true,
  value: {
    speak: function (u) { window.__spoken.push([u.text, u.lang, u.voice ? u.voice.name : ""]); },
    cancel: function () {},
    getVoices: function () { return VOICES; },
    addEventListener: function () {},
  },
});
"""


def speech_stub(voices: list[dict[str, object]]) -> str:
    """The speech stub with ``voices`` as ``speechSynthesis.getVoices()`` lists them."""
    return SPEECH_STUB.replace("VOICES", json.dumps(voices))


def spoken(page: Page) -> list[list[str]]:
    return page.evaluate("window.__spoken")


def test_assisted_mode_reads_aloud_with_large_targets_and_ends_at_hand_over(
    browser: Browser, server: Server, backend: str
) -> None:
    meeting = set_up_meeting(server, f"{backend}-assisted")
    form = {"title": "协助模式", "method": "irv", "ballot_kind": "ranked"}
    round_id, codes = voting_round(server, meeting, form, 2)
    tablet = browser.new_context(viewport=TABLET, locale="zh-CN").new_page()
    tablet.add_init_script(speech_stub(VOICES))
    enrol_directly(tablet, server, round_id)
    tablet.goto(server.url("/kiosk"))
    toggle = tablet.locator("#assisted")
    expect(toggle).to_have_text("协助模式（朗读、大按钮）")
    expect(tablet.locator(".read-aloud")).to_have_count(0)
    toggle.click()
    expect(tablet.locator("body")).to_have_class("assisted")
    expect(toggle).to_have_attribute("aria-pressed", "true")

    tablet.fill("#code", codes[0])
    tablet.locator("#step-code .read-aloud").click()  # the heading, never the code typed
    said = spoken(tablet)
    assert said[-1][1] == "zh-CN"
    assert said[-1][2] == "Ting-Ting"  # the local voice, never the network default
    assert "请输入投票码" in said[-1][0]
    tablet.click("#code-next")
    expect(tablet.locator("#step-ballot")).to_be_visible()
    first = NAMES[0]
    option = tablet.locator(f"button.option[data-name='{first}']")
    reader = tablet.locator(f"li:has(button.option[data-name='{first}']) .read-aloud")
    for target in (option, reader):
        box = target.bounding_box()
        assert box is not None
        assert box["height"] >= 64, box
        assert box["width"] >= 64, box
    reader.click()
    text, lang, _ = spoken(tablet)[-1]
    assert text.startswith(first)
    assert DESCRIPTIONS[first][:6] in text
    assert lang == "zh-CN"
    for name in NAMES:
        tablet.click(f"button.option[data-name='{name}']")
    tablet.click("#review")
    expect(tablet.locator("#step-review")).to_be_visible()
    tablet.locator("#step-review .read-aloud").click()
    assert NAMES[-1] in spoken(tablet)[-1][0]
    assert all(codes[0] not in words for words, _, _ in spoken(tablet))
    assert all(codes[0].replace("-", "") not in words for words, _, _ in spoken(tablet))

    tablet.click("#submit")
    expect(tablet.locator("#step-receipt")).to_be_visible()
    tablet.click("#next")  # the hand-over ends assisted mode
    expect(tablet.locator("#step-code")).to_be_visible()
    expect(tablet.locator("body")).not_to_have_class("assisted")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    expect(tablet.locator(".read-aloud")).to_have_count(0)
    tablet.context.close()


def test_assisted_mode_without_a_local_voice_has_no_read_buttons_and_says_so(
    browser: Browser, server: Server, backend: str
) -> None:
    meeting = set_up_meeting(server, f"{backend}-novoice")
    form = {"title": "没有本机声音", "method": "irv", "ballot_kind": "ranked"}
    round_id, codes = voting_round(server, meeting, form, 1)
    tablet = browser.new_context(viewport=TABLET, locale="zh-CN").new_page()
    tablet.add_init_script(speech_stub([v for v in VOICES if not v["localService"]]))
    enrol_directly(tablet, server, round_id)
    tablet.goto(server.url("/kiosk"))
    notice = tablet.locator("#assisted-no-voice")
    expect(notice).to_be_hidden()
    tablet.locator("#assisted").click()
    expect(tablet.locator("body")).to_have_class("assisted")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("没有能在本机朗读中文的声音")
    tablet.fill("#code", codes[0])
    tablet.click("#code-next")
    expect(tablet.locator("#step-ballot")).to_be_visible()
    expect(tablet.locator(".read-aloud")).to_have_count(0)
    assert spoken(tablet) == []
    tablet.context.close()


def test_console_quorum_line_changes_when_a_ballot_arrives(
    browser: Browser, server: Server, backend: str
) -> None:
    meeting = set_up_meeting(server, f"{backend}-quorum")
    form = {
        "title": "法定人数",
        "method": "irv",
        "ballot_kind": "ranked",
        "validity": {"quorum": "codes", "quorum_share": {"numerator": 1, "denominator": 2}},
    }
    round_id, codes = voting_round(server, meeting, form, 2)
    console = browser.new_context(locale="zh-CN").new_page()
    sign_in(console, server, meeting.facilitator, f"/console/rounds/{round_id}")
    line = console.locator("#quorum-line")
    expect(line).to_have_text(
        "已参与 0 张选票码 / 共 2 张选票码，法定人数 1 张选票码，还差 1 张选票码"
    )
    server.db(lambda db: set_phone_window(db, round_id, hours=1))  # a ballot from home
    answer = httpx.post(
        server.url(f"/api/v1/rounds/{round_id}/ballots"),
        json={
            "code": codes[0],
            "key": uuid.uuid4().hex,
            "ballot": {"kind": "ranked", "ranking": [[NAMES[0]]]},
        },
    )
    assert answer.status_code == 201, answer.text
    expect(line).to_have_text(
        "已参与 1 张选票码 / 共 2 张选票码，法定人数 1 张选票码，已达到", timeout=10_000
    )
    expect(line).to_have_class("quorum-line reached")
    expect(console.locator("#channels-line")).to_have_text("平板 0 张、纸质 0 张、手机 1 张")
    expect(console.locator("#reconciliation-line")).to_have_text(
        "发出选票码 2 = 平板 0 + 纸质 0 + 手机 1 + 废票 0 + 空白票 0 + 未使用 1 + 作废 0（相符）"
    )
    console.context.close()
