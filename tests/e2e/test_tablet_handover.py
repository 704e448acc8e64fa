"""The tablet passed along the bench, in a real browser on every database: a second slip of
a household that has voted is refused at the code step, before any ranking; every hand-over
("我记好了", or the tablet left alone) returns to Chinese, normal text and normal contrast,
whatever the resident before chose; switching language mid-ballot keeps the code, the
ranking and the step, and the ballot is cast and counted as marked; a ballot left alone
before it is sent is cleared and the tablet handed over; the receipt is grouped
with dashes as on the board, stays until the resident taps "我记好了", and carries a QR code
that opens the board's check for that tracker. In a round with open receipts — where the
board shows what a ballot says to anyone with its number — the QR code shows only once the
resident taps "显示二维码", and the receipt screen clears itself after a minute."""

from __future__ import annotations

import re
from pathlib import Path

import msgspec
import segno
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from service.auth.guard import Actor
from service.db import models
from service.web.kiosk import IDLE_SECONDS, OPEN_RECEIPT_SECONDS, RECEIPT_SECONDS
from tests.e2e.helpers import (
    OPTIONS,
    Meeting,
    Server,
    axe_violations,
    enrol_directly,
    set_up_meeting,
    shot,
    stored_contents,
    tablet_leftovers,
    used_codes,
)
from tests.support.households import household_codes
from tests.support.receipts import inner, qr_modules

NAMES = [name for name, _, _ in OPTIONS]
PLAY, HEALTH, CULTURE, SHADE = NAMES
TABLET = {"width": 800, "height": 1280}
PHONE = {"width": 390, "height": 844}
HOUSEHOLD_VOTED = "您家在本轮已经投过票了（每户一票）。"


def household_round(
    server: Server, meeting: Meeting, labels: list[str], *, open_receipts: bool = False
) -> tuple[int, list[str]]:
    """A ranked round with a household roll, voting, and one code per label (a label given
    twice: two slips for one household); its receipts sealed unless ``open_receipts``."""
    from engine.process import RoundPhase
    from service.phases import change_phase
    from service.rounds.repository import create_round
    from service.rounds.schemas import RoundCreate

    async def work(db: AsyncSession) -> tuple[int, list[str]]:
        actor = Actor(id=None, name="王主持", role="facilitator")
        ids = (
            await db.scalars(
                select(models.Proposal.id)
                .where(models.Proposal.process_id == meeting.process_id)
                .order_by(models.Proposal.id)
            )
        ).all()
        form = {
            "title": "交接测试",
            "method": "irv",
            "ballot_kind": "ranked",
            "household_roll": True,
            "open_receipts": open_receipts,
            "proposal_ids": list(ids),
        }
        round_row = await create_round(
            db, meeting.process_id, msgspec.convert(form, RoundCreate), actor
        )
        await change_phase(db, round_row.id, RoundPhase.VOTING, actor, server.settings.secret_key)
        await db.commit()
        codes = await household_codes(db, server.settings.secret_key, round_row.id, labels)
        return round_row.id, codes

    return server.db(work)


def publish(server: Server, round_id: int) -> None:
    from engine.process import RoundPhase
    from service.phases import change_phase

    async def work(db: AsyncSession) -> None:
        admin = Actor(id=None, name="王主持", role="admin")
        key = server.settings.secret_key
        await change_phase(db, round_id, RoundPhase.CLOSED, admin, key)
        await db.commit()
        await change_phase(db, round_id, RoundPhase.PUBLISHED, admin, key)
        await db.commit()

    server.db(work)


def open_tablet(browser: Browser, server: Server, round_id: int) -> Page:
    tablet = browser.new_context(viewport=TABLET, locale="zh-CN").new_page()
    tablet.clock.install()
    enrol_directly(tablet, server, round_id)
    tablet.goto(server.url("/kiosk"))
    expect(tablet.locator("#code-title")).to_have_text("请输入投票码")
    return tablet


def enter(tablet: Page, code: str) -> None:
    tablet.fill("#code", code)
    tablet.click("#code-next")


def rank(tablet: Page, *names: str) -> None:
    for name in names:
        tablet.click(f"button.option[data-name='{name}']")


def switch_to(tablet: Page, lang: str) -> None:
    tablet.click(f"nav.lang a[href$='lang={lang}']")


def vote(tablet: Page, code: str, *names: str) -> tuple[str, str]:
    """Code, ranking, review, submit: the receipt's short and full forms."""
    enter(tablet, code)
    expect(tablet.locator("#step-ballot")).to_be_visible()
    rank(tablet, *names)
    tablet.click("#review" if len(names) == len(NAMES) else "#no-more")
    tablet.click("#submit")
    expect(tablet.locator("#step-receipt")).to_be_visible()
    expect(tablet.locator("#tracker-full")).not_to_be_empty()
    return tablet.inner_text("#tracker-short"), tablet.inner_text("#tracker-full")


def test_a_household_that_voted_is_told_at_the_code_step(
    browser: Browser, server: Server, backend: str, artefacts: Path
) -> None:
    meeting = set_up_meeting(server, f"{backend}-household")
    round_id, codes = household_round(server, meeting, ["3栋2单元501", "3栋2单元501", "5栋101"])
    tablet = open_tablet(browser, server, round_id)
    vote(tablet, codes[0], PLAY, HEALTH)
    tablet.click("#next")

    enter(tablet, codes[1])  # the household's second slip: refused before any ranking
    expect(tablet.locator("#alert")).to_have_text(HOUSEHOLD_VOTED)
    expect(tablet.locator("#step-code")).to_be_visible()
    expect(tablet.locator("#step-ballot")).to_be_hidden()
    assert "3栋2单元501" not in tablet.inner_text("body")
    shot(tablet, artefacts, "kiosk-household-voted", backend)
    switch_to(tablet, "en")  # said again in the resident's language
    expect(tablet.locator("#alert")).to_have_text(
        "Your household has already voted in this round (one vote per household)."
    )
    switch_to(tablet, "zh")

    enter(tablet, codes[2])  # the neighbours' slip goes on to the ballot
    expect(tablet.locator("#step-ballot")).to_be_visible()
    expect(tablet.locator("#alert")).to_be_hidden()
    assert used_codes(server, round_id) == 1
    tablet.context.close()


def test_every_hand_over_returns_to_chinese_normal_size_and_contrast(
    browser: Browser, server: Server, backend: str
) -> None:
    meeting = set_up_meeting(server, f"{backend}-reset")
    round_id, codes = household_round(server, meeting, ["1号楼101", "1号楼102", "1号楼103"])
    tablet = open_tablet(browser, server, round_id)

    switch_to(tablet, "en")
    expect(tablet.locator("#code-title")).to_have_text("Enter your voter code")
    expect(tablet.locator("html")).to_have_attribute("lang", "en")
    tablet.click("#larger")
    tablet.click("#contrast")
    expect(tablet.locator("html")).to_have_class(re.compile(r"\blarger\b.*\bcontrast\b"))
    short, full = vote(tablet, codes[0], CULTURE, SHADE)
    expect(tablet.locator("#receipt-title")).to_have_text("Your ballot was recorded")
    expect(tablet.locator("#next")).to_have_text("I have noted it — next resident")
    tablet.click("#next")  # the hand-over

    expect(tablet.locator("#code-title")).to_have_text("请输入投票码")
    expect(tablet.locator("html")).to_have_attribute("lang", "zh-CN")
    assert tablet.title() == "第1轮：交接测试 · 红板凳议事会", tablet.title()
    expect(tablet.locator("#larger")).to_have_attribute("aria-pressed", "false")
    expect(tablet.locator("#contrast")).to_have_attribute("aria-pressed", "false")
    assert tablet_leftovers(tablet, [short, full]) == []
    assert "lang=" not in tablet.url
    assert all(c["value"] != "en" for c in tablet.context.cookies() if c["name"] == "redbench_lang")

    # the next resident chooses English too and walks away from the receipt
    switch_to(tablet, "en")
    tablet.click("#larger")
    short, full = vote(tablet, codes[1], HEALTH)
    tablet.clock.run_for(60_000)
    expect(tablet.locator("#step-receipt")).to_be_visible()  # time to note it down
    expect(tablet.locator("#countdown")).to_be_empty()  # and nobody hurried
    tablet.clock.run_for((RECEIPT_SECONDS - 60 - 20) * 1000)
    expect(tablet.locator("#countdown")).to_contain_text("Clearing for the next resident in")
    tablet.clock.run_for(21_000)  # the tablet hands itself over
    expect(tablet.locator("#code-title")).to_have_text("请输入投票码")
    expect(tablet.locator("html")).not_to_have_class(re.compile("larger"))
    assert tablet_leftovers(tablet, [short, full]) == []
    tablet.reload()  # nothing of the English resident's choice was kept for the next page
    expect(tablet.locator("#code-title")).to_have_text("请输入投票码")

    # a third resident starts in English with high contrast, ranks slowly, then walks away
    tablet.clock.install()
    switch_to(tablet, "en")
    tablet.click("#contrast")
    enter(tablet, codes[2])
    expect(tablet.locator("#step-ballot")).to_be_visible()
    tablet.clock.run_for((IDLE_SECONDS - 60) * 1000)
    rank(tablet, PLAY)  # still here: the pause starts again
    tablet.clock.run_for((IDLE_SECONDS - 60) * 1000)
    expect(tablet.locator("#order li .who")).to_have_text([PLAY])
    tablet.clock.run_for(61_000)  # gone: the tablet hands itself over
    expect(tablet.locator("#code-title")).to_have_text("请输入投票码")
    expect(tablet.locator("html")).not_to_have_class(re.compile("contrast"))
    assert tablet_leftovers(tablet, [codes[2]]) == []
    assert used_codes(server, round_id) == 2  # the walked-away code is still unused
    tablet.context.close()


def test_a_language_switch_keeps_the_ballot_in_progress(
    browser: Browser, server: Server, backend: str
) -> None:
    meeting = set_up_meeting(server, f"{backend}-switch")
    round_id, codes = household_round(server, meeting, ["2号楼301"])
    tablet = open_tablet(browser, server, round_id)
    enter(tablet, codes[0])
    expect(tablet.locator("#step-ballot")).to_be_visible()
    rank(tablet, PLAY, CULTURE)

    switch_to(tablet, "en")  # mid-ballot
    expect(tablet.locator("#ballot-title")).to_have_text("Rank the options")
    expect(tablet.locator("#step-ballot")).to_be_visible()
    expect(tablet.locator("#order li .who")).to_have_text([PLAY, CULTURE])
    expect(tablet.locator(f"button.option[data-name='{CULTURE}'] .state")).to_have_text("No. 2")
    storage = tablet.evaluate("() => [localStorage.length, sessionStorage.length]")
    assert storage == [0, 0], "nothing of the ballot goes to storage"
    rank(tablet, SHADE)
    tablet.click("#no-more")
    expect(tablet.locator("#review-list li")).to_have_text(
        [f"No. 1：{PLAY}", f"No. 2：{CULTURE}", f"No. 3：{SHADE}"]
    )
    switch_to(tablet, "zh")  # and back, on the review
    expect(tablet.locator("#review-title")).to_have_text("请核对您的选票")
    expect(tablet.locator("#review-list li")).to_have_text(
        [f"第1位：{PLAY}", f"第2位：{CULTURE}", f"第3位：{SHADE}"]
    )
    tablet.click("#submit")  # the code typed before the switches casts the ballot
    expect(tablet.locator("#step-receipt")).to_be_visible()
    expect(tablet.locator("#tracker-full")).not_to_be_empty()
    full = tablet.inner_text("#tracker-full")
    ballots = stored_contents(server, round_id)
    assert list(ballots) == [full.replace("-", "")]
    assert msgspec.json.decode(ballots[full.replace("-", "")])["ranking"] == [
        [PLAY],
        [CULTURE],
        [SHADE],
    ]
    assert used_codes(server, round_id) == 1
    tablet.context.close()


def test_the_receipt_is_grouped_and_its_qr_code_opens_the_boards_check(
    browser: Browser, server: Server, backend: str, artefacts: Path
) -> None:
    meeting = set_up_meeting(server, f"{backend}-receipt")
    round_id, codes = household_round(server, meeting, ["4号楼201", "4号楼202"])
    tablet = open_tablet(browser, server, round_id)
    short, full = vote(tablet, codes[0], SHADE, PLAY, HEALTH, CULTURE)
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}", short)
    assert re.fullmatch(r"(?:[0-9A-Z]{4}-){3}[0-9A-Z]{4}", full)
    assert full.startswith(short)
    assert tablet.locator("#show-qr").count() == 0  # sealed receipts: the QR code at once
    figure = tablet.locator("#receipt-qr")
    expect(figure).to_be_visible()
    link = server.url(f"/board/rounds/{round_id}?tracker={full}")
    expect(figure).to_have_attribute("data-link", link)
    svg = tablet.locator("#receipt-qr-code")
    size = int(svg.get_attribute("viewBox").split()[-1])
    drawn = qr_modules(size, tablet.locator("#receipt-qr-code path").get_attribute("d"))
    assert inner(drawn, 4) == [list(row) for row in segno.make(link, error="m").matrix]
    assert codes[0] not in link
    assert codes[0].replace("-", "") not in link
    box = svg.bounding_box()
    assert box is not None
    assert box["width"] >= 150  # large enough for a phone camera at arm's length
    assert axe_violations(tablet) == []
    shot(tablet, artefacts, "kiosk-receipt-qr", backend)
    tablet.clock.run_for(25_000)  # the old 20 seconds are long gone: still there
    expect(tablet.locator("#step-receipt")).to_be_visible()
    tablet.click("#next")
    expect(figure).to_be_hidden()
    assert tablet.locator("#receipt-qr-code path").get_attribute("d") == ""
    assert figure.get_attribute("data-link") is None
    assert tablet_leftovers(tablet, [short, full]) == []
    tablet.context.close()

    phone = browser.new_context(viewport=PHONE, locale="zh-CN").new_page()
    phone.goto(link)  # scanned at once: the board says the result is not out yet
    expect(phone.locator("main")).to_contain_text("结果暂不公开")
    publish(server, round_id)
    phone.goto(link)  # what the resident's phone opens from the photo of the QR code
    expect(phone.locator("#lookup-answer")).to_contain_text(
        f"回执 {full}——您的选票在票箱中，已计入"
    )
    expect(phone.locator("#tracker")).to_have_value(full)
    phone.fill("#tracker", short)  # the short form written down finds it, shown the same way
    phone.click(".lookup button[type=submit]")
    expect(phone.locator("#lookup-answer")).to_contain_text(f"回执 {full}")
    phone.context.close()


def test_an_open_receipt_shows_its_qr_code_on_request_and_for_a_minute_at_most(
    browser: Browser, server: Server, backend: str, artefacts: Path
) -> None:
    meeting = set_up_meeting(server, f"{backend}-open-receipt")
    round_id, codes = household_round(
        server, meeting, ["6号楼101", "6号楼102", "6号楼103"], open_receipts=True
    )
    tablet = open_tablet(browser, server, round_id)
    short, full = vote(tablet, codes[0], HEALTH, SHADE)
    figure, button = tablet.locator("#receipt-qr"), tablet.locator("#show-qr")
    expect(button).to_have_text("显示二维码")
    expect(tablet.locator("#step-receipt")).to_contain_text("一分钟后平板会自动清空")
    tablet.clock.run_for(5_000)  # the request would have been answered long ago: no QR yet
    expect(figure).to_be_hidden()
    assert tablet.locator("#receipt-qr-code path").get_attribute("d") == ""
    button.click()
    expect(figure).to_be_visible()
    expect(button).to_be_hidden()
    link = server.url(f"/board/rounds/{round_id}?tracker={full}")
    expect(figure).to_have_attribute("data-link", link)
    assert axe_violations(tablet) == []
    shot(tablet, artefacts, "kiosk-open-receipt-qr", backend)
    tablet.clock.run_for((OPEN_RECEIPT_SECONDS - 5 - 2) * 1000)
    expect(tablet.locator("#step-receipt")).to_be_visible()  # still there just before a minute
    expect(tablet.locator("#countdown")).not_to_be_empty()
    tablet.clock.run_for(3_000)  # a minute in all: the tablet hands itself over
    expect(tablet.locator("#code-title")).to_have_text("请输入投票码")
    expect(figure).to_be_hidden()
    assert figure.get_attribute("data-link") is None
    assert tablet_leftovers(tablet, [short, full]) == []

    # the next resident's receipt starts again without the QR code, in English too
    switch_to(tablet, "en")
    short, full = vote(tablet, codes[1], PLAY)
    expect(button).to_be_visible()
    expect(button).to_have_text("Show the QR code")
    expect(figure).to_be_hidden()
    tablet.click("#next")  # noted at once: nothing of it stays
    expect(tablet.locator("#code-title")).to_have_text("请输入投票码")
    assert tablet_leftovers(tablet, [short, full]) == []
    tablet.context.close()
