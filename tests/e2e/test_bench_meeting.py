"""The bench meeting in a real browser, on every database: a facilitator opens a round,
records a comment, issues codes; three residents vote one after another on the same
enrolled tablet (the third by keyboard only, and losing the network mid-submit); the
facilitator watches turnout live, is warned when someone guesses codes on another tablet,
closes and reveals; a resident finds their ballot on the
public board. Screenshots of the main screens (in Chinese, tablet size) go to artefacts/.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import msgspec
from playwright.sync_api import Browser, Page, Request, Route, expect

from ballots.digest import (
    content_list_digest,
    lot_seed,
    sealed_box_digest,
    tracker_list_digest,
)
from ballots.kinds import Ballot, RankedBallot
from engine import RankedProfile, tally
from engine.result import Result
from service.results.explain import explain
from tests.e2e.helpers import (
    OPTIONS,
    Meeting,
    Server,
    axe_violations,
    set_up_meeting,
    shot,
    sign_in,
    stored_contents,
    stored_trackers,
    tab_to,
    tablet_leftovers,
    used_codes,
)

NAMES = [name for name, _, _ in OPTIONS]
PLAY, HEALTH, CULTURE, SHADE = NAMES
TABLET = {"width": 800, "height": 1280}
LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
PENDING = "redbench.kiosk.pending"


def open_round(page: Page, server: Server, meeting: Meeting) -> int:
    """The facilitator sets up round 1 (instant runoff, all four options) and opens the
    comment phase, records a comment for a resident, opens voting."""
    page.goto(server.url(f"/console/processes/{meeting.process_id}"))
    page.fill("#r-title", "设施排序")
    expect(page.locator("input[name=method][value=irv]")).to_be_checked()
    irv = page.locator("label.choice", has=page.locator("input[name=method][value=irv]"))
    expect(irv).to_contain_text("逐轮淘汰")
    page.click("#new-round button[type=submit]")
    page.wait_for_url(re.compile(r"/console/rounds/\d+$"))
    round_id = int(page.url.rsplit("/", 1)[1])
    page.click("#to-commenting")
    page.fill("#c-speaker", "赵阿姨")
    page.select_option("#c-option", label=PLAY)
    page.check("input[name=stance][value=support]")
    page.fill("#c-body", "孩子们放学没地方玩，这个最需要。")
    page.click("#comments form button[type=submit]")
    expect(page.locator(".comments")).to_contain_text("孩子们放学没地方玩")
    expect(page.locator(".comments .stance-support")).to_have_text("支持")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#to-voting")
    expect(page.locator("h1 .phase")).to_have_text("投票中")
    return round_id


def print_codes(page: Page, round_id: int, artefacts: Path, backend: str) -> list[str]:
    page.fill("#count", "4")
    page.click("#print-codes")
    expect(page.locator(".slip")).to_have_count(4)
    expect(page.locator(".slip svg[role=img]")).to_have_count(4)
    shot(page, artefacts, "code-slips", backend)
    codes = page.locator(".slip-code").all_inner_texts()
    assert all(re.fullmatch(r"[0-9A-Z]{5}-[0-9A-Z]{5}", code) for code in codes), codes
    page.click("text=打印好了，返回")
    page.wait_for_url(re.compile(rf"/console/rounds/{round_id}$"))
    expect(page.locator("#codes-issued")).to_have_text("4")
    expect(page.locator("#ballots-cast")).to_have_text("0")
    return codes


def enrol_tablet(tablet: Page, server: Server, meeting: Meeting, round_id: int) -> None:
    """An unenrolled browser gets no ballot; the facilitator enrols it and is signed out."""
    tablet.goto(server.url("/kiosk"))
    expect(tablet.locator("#blocked-reason")).to_have_attribute("data-reason", "not-enrolled")
    expect(tablet.locator("button.option")).to_have_count(0)
    sign_in(tablet, server, meeting.facilitator, "/kiosk/enrol")
    tablet.click(f"#enrol-{round_id}")
    tablet.wait_for_url(server.url("/kiosk"))
    expect(tablet.locator("#code-title")).to_have_text("请输入投票码")
    names = {cookie["name"] for cookie in tablet.context.cookies()}
    assert "redbench_session" not in names  # the facilitator is signed out on the tablet
    assert "redbench_tablet" in names


def rank(tablet: Page, *names: str) -> None:
    for name in names:
        tablet.click(f"button.option[data-name='{name}']")


def first_resident(tablet: Page, code: str, artefacts: Path, backend: str) -> tuple[str, str]:
    """Ranks three of four, checks the review, is told the ballot was recorded. The axe
    check runs on every screen of the flow."""
    violations = {"code": axe_violations(tablet)}
    shot(tablet, artefacts, "kiosk-code", backend)
    tablet.fill("#code", code.lower().replace("-", " "))  # typed as people type it
    tablet.click("#code-next")
    expect(tablet.locator("#step-ballot")).to_be_visible()
    expect(tablet.locator("button.option")).to_have_count(4)
    expect(tablet.locator("button.option").first).to_contain_text("滑梯、秋千和沙池")
    rank(tablet, PLAY, HEALTH, SHADE)
    rank(tablet, SHADE)  # tapping again undoes
    rank(tablet, CULTURE)
    expect(tablet.locator(f"button.option[data-name='{CULTURE}'] .state")).to_have_text("第3位")
    expect(tablet.locator("#order li .who")).to_have_text([PLAY, HEALTH, CULTURE])
    expect(tablet.locator("#review")).to_be_hidden()
    violations["ballot"] = axe_violations(tablet)
    assert small_targets(tablet) == []
    shot(tablet, artefacts, "kiosk-ballot", backend)
    tablet.click("#no-more")  # "I rank no more": a truncated ballot
    expect(tablet.locator("#review-list li")).to_have_text(
        [f"第1位：{PLAY}", f"第2位：{HEALTH}", f"第3位：{CULTURE}"]
    )
    violations["review"] = axe_violations(tablet)
    shot(tablet, artefacts, "kiosk-review", backend)
    tablet.click("#submit")
    expect(tablet.locator("#step-receipt")).to_be_visible()
    expect(tablet.locator("#receipt-title")).to_have_text("您的选票已记录")
    expect(tablet.locator("#tracker-short")).to_have_text(re.compile(r"^[0-9A-Z]{4}-[0-9A-Z]{4}$"))
    short = tablet.inner_text("#tracker-short")
    full = tablet.inner_text("#tracker-full")
    violations["receipt"] = axe_violations(tablet)
    shot(tablet, artefacts, "kiosk-receipt", backend)
    assert not any(violations.values()), json.dumps(violations, ensure_ascii=False, indent=1)
    return short, full


def drag(tablet: Page, name: str, to_place: int) -> None:
    """Drag a ranked option by its handle onto place ``to_place`` (0 = first)."""
    handle = tablet.locator(f"#order li[data-name='{name}'] .handle").bounding_box()
    target = tablet.locator("#order li").nth(to_place).bounding_box()
    assert handle is not None
    assert target is not None
    tablet.mouse.move(handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2)
    tablet.mouse.down()
    tablet.mouse.move(handle["x"] + 4, target["y"] + target["height"] / 2 + 2, steps=6)
    tablet.mouse.up()


def small_targets(tablet: Page) -> list[str]:
    """Visible controls smaller than 48 × 48 px."""
    found: list[str] = tablet.evaluate(
        """() => [...document.querySelectorAll('button, a, input, select, textarea')]
            .filter((e) => e.offsetParent !== null)
            .map((e) => [e.id || e.textContent.trim().slice(0, 12), e.getBoundingClientRect()])
            .filter(([_, box]) => box.height < 48 || box.width < 48)
            .map(([name, box]) => `${name} ${box.width}x${box.height}`)"""
    )
    return found


def second_resident(tablet: Page, used: str, code: str, artefacts: Path, backend: str) -> str:
    """Tries a used code first, then ranks all four; checks the layout at phone size and
    in landscape; the tablet clears itself after the pause."""
    tablet.fill("#code", used)
    tablet.click("#code-next")
    expect(tablet.locator("#alert")).to_have_text("这个投票码已经用过了，每个投票码只能投一次。")
    tablet.fill("#code", code)
    tablet.click("#code-next")
    expect(tablet.locator("#step-ballot")).to_be_visible()
    expect(tablet.locator("#alert")).to_be_hidden()
    rank(tablet, HEALTH, PLAY, SHADE, CULTURE)
    tablet.click(f"#order li[data-name='{SHADE}'] button[data-move=up]")
    expect(tablet.locator("#order li .who")).to_have_text([HEALTH, SHADE, PLAY, CULTURE])
    drag(tablet, PLAY, to_place=1)  # and back again by dragging
    expect(tablet.locator("#order li .who")).to_have_text([HEALTH, PLAY, SHADE, CULTURE])
    tablet.click("#larger")
    tablet.click("#contrast")
    expect(tablet.locator("html")).to_have_class(re.compile(r"\blarger\b.*\bcontrast\b"))
    assert axe_violations(tablet) == []  # high contrast and large text stay accessible
    for size, name in ((PHONE, "kiosk-phone"), (LAPTOP, "kiosk-landscape")):
        tablet.set_viewport_size(size)
        overflow = tablet.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name}: the page is {overflow}px wider than the screen"
        shot(tablet, artefacts, name, backend)
    tablet.set_viewport_size(TABLET)
    tablet.click("#review")
    tablet.click("#submit")
    expect(tablet.locator("#step-receipt")).to_be_visible()
    expect(tablet.locator("#tracker-full")).not_to_be_empty()
    full = tablet.inner_text("#tracker-full")
    tablet.clock.run_for(181_000)  # nobody taps "我记好了": the tablet resets by itself
    expect(tablet.locator("#code-title")).to_be_visible()
    return full


def third_resident_offline(tablet: Page, code: str) -> tuple[str, str]:
    """By keyboard only. The ballot reaches the server but the answer is lost with the
    network; the tablet keeps it, says so, and resends it with the same key once the
    network is back (as a kept ballot, so that a refusal would reach the facilitator): one
    ballot stored, and the receipt of that ballot shown."""
    sent: list[dict[str, object]] = []
    answers: list[str] = []

    def lose_answer(route: Route) -> None:
        body = json.loads(route.request.post_data or "{}")
        sent.append(body)
        if len(sent) > 1:
            route.continue_()
            return
        response = route.fetch()  # the server stores the ballot...
        answers.append(response.json()["tracker"])
        tablet.context.set_offline(True)  # ...and the network drops before the answer
        route.abort("internetdisconnected")

    def resent(route: Route) -> None:
        sent.append(json.loads(route.request.post_data or "{}"))
        route.continue_()

    tablet.route("**/kiosk/ballots", lose_answer)
    tablet.route("**/kiosk/queued", resent)  # after a failed send, the way of kept ballots
    tab_to(tablet, "#code")
    tablet.keyboard.type(code)
    tablet.keyboard.press("Enter")
    expect(tablet.locator("#step-ballot")).to_be_visible()
    for name in (CULTURE, PLAY):
        tab_to(tablet, f"button.option[data-name='{name}']")
        tablet.keyboard.press("Enter")
    tab_to(tablet, "#no-more")
    tablet.keyboard.press("Enter")
    tab_to(tablet, "#submit")
    tablet.keyboard.press("Enter")
    expect(tablet.locator("#sending-note")).to_contain_text("您的选票已保存在这台平板上")
    kept = json.loads(tablet.evaluate(f"localStorage.getItem('{PENDING}')"))
    assert kept["key"] == sent[0]["key"]
    assert kept["ballot"] == sent[0]["ballot"]
    tablet.context.set_offline(False)
    tablet.clock.run_for(3_500)  # the retry timer, should the "online" event be missed
    expect(tablet.locator("#step-receipt")).to_be_visible()
    expect(tablet.locator("#tracker-full")).not_to_be_empty()
    assert [body["key"] for body in sent] == [sent[0]["key"]] * 2, "resent with the same key"
    assert tablet.evaluate(f"localStorage.getItem('{PENDING}')") is None
    tablet.unroute("**/kiosk/ballots")
    tablet.unroute("**/kiosk/queued")
    full = tablet.inner_text("#tracker-full")
    assert full.replace("-", "") == answers[0], "the receipt of the ballot the server stored"
    return tablet.inner_text("#tracker-short"), full


def guesser_at_another_tablet(
    browser: Browser, console: Page, server: Server, meeting: Meeting, round_id: int
) -> None:
    """Someone types code after code on a second tablet: after 10 that tablet must wait,
    and the facilitator's round page, open on the laptop, warns at once (no reload)."""
    expect(console.locator("#guessing")).to_be_hidden()
    guesser = browser.new_context(viewport=TABLET, locale="zh-CN").new_page()
    enrol_tablet(guesser, server, meeting, round_id)
    for n in range(10):
        guesser.fill("#code", f"ZZZZZ-ZZZ{n:02}")
        guesser.click("#code-next")
        expect(guesser.locator("#alert")).to_have_text(
            "投票码无效：请核对纸条上的10位字符，或询问主持人。"
        )
    guesser.fill("#code", "ZZZZZ-ZZZ10")
    guesser.click("#code-next")
    expect(guesser.locator("#alert")).to_have_text(
        "这台平板输错投票码的次数太多了，要等一会儿才能再输入；请告诉主持人。"
    )
    expect(console.locator("#guessing")).to_be_visible()
    expect(console.locator("#guessing-news")).to_contain_text("刚刚出现了异常的输入")
    console.click("#guessing-news a")  # reloads the page with the figures
    expect(console.locator("#guessing-locked")).to_contain_text("有 1 台设备")
    guesser.context.close()


def expected_result(server: Server, round_id: int) -> tuple[Result, str]:
    """The count as anyone would redo it from the stored ballots (same digest, same lot):
    the round's receipts are sealed, so the digest is made of the tracker list's and the
    content list's."""
    contents = stored_contents(server, round_id)
    ballots = [msgspec.json.decode(content, type=Ballot) for content in contents.values()]
    digest = sealed_box_digest(
        tracker_list_digest(contents), content_list_digest((b, 1) for b in ballots)
    )
    orders = []
    for ballot in ballots:
        assert isinstance(ballot, RankedBallot)
        orders.append([list(group) for group in ballot.ranking])
    profile = RankedProfile.from_orders(NAMES, orders)
    return tally("irv", profile, seed=lot_seed(digest)), digest


def test_bench_meeting_in_the_browser(
    browser: Browser, server: Server, backend: str, artefacts: Path
) -> None:
    meeting = set_up_meeting(server, backend)
    laptop = browser.new_context(viewport=LAPTOP, locale="zh-CN")
    console = laptop.new_page()
    sign_in(console, server, meeting.facilitator, "/console")
    round_id = open_round(console, server, meeting)
    codes = print_codes(console, round_id, artefacts, backend)

    tablet_context = browser.new_context(viewport=TABLET, locale="zh-CN")
    tablet = tablet_context.new_page()
    tablet.clock.install()
    sent: list[int] = []  # the length of every ballot the tablet sends

    def ballot_sent(request: Request) -> None:
        if request.method == "POST" and request.url.endswith(("/kiosk/ballots", "/kiosk/queued")):
            sent.append(len(request.post_data_buffer or b""))

    tablet.on("request", ballot_sent)
    enrol_tablet(tablet, server, meeting, round_id)
    history = tablet.evaluate("history.length")

    short1, full1 = first_resident(tablet, codes[0], artefacts, backend)
    expect(console.locator("#ballots-cast")).to_have_text("1")  # live, no reload
    tablet.click("#next")  # the resident taps "done"
    expect(tablet.locator("#code-title")).to_be_focused()
    assert tablet_leftovers(tablet, [short1, full1]) == []
    assert tablet.evaluate("history.length") == history
    tablet.go_back()  # Back leads away from the kiosk, never to a ballot or a receipt
    assert short1 not in tablet.content()

    tablet.goto(server.url("/kiosk"))
    full2 = second_resident(tablet, codes[0], codes[1], artefacts, backend)
    assert tablet_leftovers(tablet, [short1, full1, full2]) == []
    short3, full3 = third_resident_offline(tablet, codes[2])
    expect(console.locator("#ballots-cast")).to_have_text("3")
    tab_to(tablet, "#next")
    tablet.keyboard.press("Enter")
    expect(tablet.locator("#code-title")).to_be_visible()
    assert tablet_leftovers(tablet, [short3, full3]) == []

    # ballots of 3, 4 and 2 options went over the network at one length
    assert len(sent) >= 3
    assert len(set(sent)) == 1, sent
    receipts = sorted(r.replace("-", "") for r in (full1, full2, full3))
    assert stored_trackers(server, round_id) == receipts  # exactly three, none doubled
    assert used_codes(server, round_id) == 3
    ballots = {
        tracker: msgspec.json.decode(content)
        for tracker, content in stored_contents(server, round_id).items()
    }
    assert ballots[full1.replace("-", "")]["ranking"] == [[PLAY], [HEALTH], [CULTURE]]
    assert ballots[full2.replace("-", "")]["ranking"] == [[HEALTH], [PLAY], [SHADE], [CULTURE]]
    assert ballots[full3.replace("-", "")]["ranking"] == [[CULTURE], [PLAY]]

    guesser_at_another_tablet(browser, console, server, meeting, round_id)
    console.once("dialog", lambda dialog: dialog.accept())
    console.click("#to-closed")
    console.wait_for_url(re.compile(rf"/console/rounds/{round_id}/reveal$"))
    tablet.fill("#code", codes[3])  # a resident comes late: the tablet says it is over
    tablet.click("#code-next")
    expect(tablet.locator("#step-closed")).to_be_visible()
    expect(tablet.locator("#alert")).to_have_text("本轮投票已经结束，不能再投票了。")
    result, digest = expected_result(server, round_id)
    winners = console.locator(".winners li").all_inner_texts()
    assert winners == list(result.winners)
    expect(console.locator("svg.chart[role=img]")).to_have_count(1)
    expect(console.locator("table.rounds tbody tr").first).to_contain_text(NAMES[0])
    for sentence in explain(result, "zh").ties or ("没有遇到平局。",):
        expect(console.locator(".ties")).to_contain_text(sentence)
    expect(console.locator(".verdict")).not_to_be_empty()
    expect(console.locator(".digest code")).to_have_text(digest)
    shot(console, artefacts, "reveal-tv", backend)

    console.goto(server.url(f"/console/rounds/{round_id}"))
    console.once("dialog", lambda dialog: dialog.accept())
    console.click("#to-published")
    console.goto(server.url(f"/board/communities/{meeting.community_id}"))
    expect(console.locator(".decision").first).to_contain_text("、".join(result.winners))
    expect(console.locator(".implementation").first).to_be_visible()
    resident = browser.new_context(viewport=TABLET, locale="zh-CN").new_page()
    resident.goto(server.url(f"/board/rounds/{round_id}"))
    resident.fill("#tracker", short3)
    resident.click(".lookup button[type=submit]")
    expect(resident.locator("#lookup-answer")).to_contain_text("您的选票在票箱中，已计入")
    expect(resident.locator("#lookup-answer li")).to_have_count(0)  # sealed: no content
    for name in NAMES:
        expect(resident.locator("#lookup-answer")).not_to_contain_text(name)
    shot(resident, artefacts, "board-lookup", backend)
    laptop.close()
    tablet_context.close()
    resident.context.close()
