"""A ballot tablet that loses the network for the rest of the round, in a real browser on
every database: residents go on voting (codes taken unchecked, ballots kept on the tablet),
and when the network is back the kept ballots are delivered. A ballot whose code is still
unused is counted; one whose code was used meanwhile, or that arrives after voting closed,
is reported to the facilitator on the round page. None is lost, none is counted twice."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from playwright.sync_api import Browser, Page, Route, expect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from service.auth.guard import Actor
from service.db import models
from tests.e2e.helpers import (
    OPTIONS,
    Server,
    enrol_directly,
    set_up_meeting,
    shot,
    sign_in,
    stored_contents,
    voting_round,
)
from tests.support.phone import set_phone_window

NAMES = [name for name, _, _ in OPTIONS]
TABLET = {"width": 800, "height": 1280}
KEPT = "redbench.kiosk.kept."


def vote_offline(tablet: Page, code: str, *names: str) -> None:
    """One resident at the offline tablet: code, ballot, submit, leave it on the tablet."""
    tablet.fill("#code", code)
    tablet.click("#code-next")
    expect(tablet.locator("#step-ballot")).to_be_visible()
    expect(tablet.locator("#alert")).to_contain_text("投票码将在提交选票时核对")
    for name in names:
        tablet.click(f"button.option[data-name='{name}']")
    tablet.click("#review" if tablet.locator("#review").is_visible() else "#no-more")
    tablet.click("#submit")
    expect(tablet.locator("#keep-later")).to_be_visible()
    expect(tablet.locator("#sending-note")).to_contain_text("网络连接中断了")
    tablet.click("#keep-later")
    expect(tablet.locator("#step-kept")).to_be_visible()
    tablet.click("#kept-next")
    expect(tablet.locator("#step-code")).to_be_visible()
    assert tablet.input_value("#code") == ""
    assert tablet.locator("button.option[aria-pressed=true]").count() == 0


def kept_on_tablet(tablet: Page) -> list[dict[str, object]]:
    """The ballots the tablet keeps, oldest first (one storage entry each)."""
    kept: list[dict[str, object]] = tablet.evaluate(
        """(prefix) => Object.keys(localStorage)
            .filter((name) => name.startsWith(prefix))
            .map((name) => JSON.parse(localStorage.getItem(name)))
            .sort((a, b) => a.at - b.at)""",
        KEPT,
    )
    return kept


def cast_elsewhere(server: Server, round_id: int, code: str, name: str) -> None:
    """The code is used elsewhere while the tablet is offline: from home, through the public
    API, inside a phone window."""
    server.db(lambda db: set_phone_window(db, round_id, hours=1))
    answer = httpx.post(
        server.url(f"/api/v1/rounds/{round_id}/ballots"),
        json={
            "code": code,
            "key": f"other-tablet-{code}",
            "ballot": {"kind": "ranked", "ranking": [[name]]},
        },
    )
    assert answer.status_code == 201, answer.text


def late_reasons(server: Server, round_id: int) -> list[str]:
    async def work(db: AsyncSession) -> list[str]:
        rows = await db.scalars(
            select(models.LateBallot.reason)
            .where(models.LateBallot.round_id == round_id)
            .order_by(models.LateBallot.reason)
        )
        return list(rows.all())

    return server.db(work)


def close_round(server: Server, round_id: int) -> None:
    from engine.process import RoundPhase
    from service.phases import change_phase

    async def work(db: AsyncSession) -> None:
        admin = Actor(id=None, name="王主持", role="admin")
        await change_phase(db, round_id, RoundPhase.CLOSED, admin, server.settings.secret_key)
        await db.commit()

    server.db(work)


def test_a_tablet_offline_for_the_round_delivers_or_reports_every_ballot(
    browser: Browser, server: Server, backend: str, artefacts: Path
) -> None:
    meeting = set_up_meeting(server, f"{backend}-offline")
    round_id, codes = voting_round(
        server,
        meeting,
        {"title": "离线平板", "method": "irv", "ballot_kind": "ranked"},
        codes=6,
    )
    context = browser.new_context(viewport=TABLET, locale="zh-CN")
    tablet = context.new_page()
    enrol_directly(tablet, server, round_id)
    tablet.goto(server.url("/kiosk"))
    expect(tablet.locator("#step-code")).to_be_visible()
    context.set_offline(True)  # the network goes for the rest of the round

    vote_offline(tablet, codes[0], NAMES[2], NAMES[0])
    vote_offline(tablet, codes[1], NAMES[1])
    vote_offline(tablet, codes[2], NAMES[3], NAMES[1], NAMES[0])
    expect(tablet.locator("#queue-status")).to_contain_text("还有 3 张选票等待")
    shot(tablet, artefacts, "kiosk-offline-queue", backend)
    assert [item["code"] for item in kept_on_tablet(tablet)] == codes[:3]
    assert stored_contents(server, round_id) == {}

    # meanwhile the second resident's code is used on another tablet that was online
    cast_elsewhere(server, round_id, codes[1], NAMES[3])

    context.set_offline(False)  # back: the queue is delivered, oldest first
    expect(tablet.locator("#queue-status")).to_be_hidden(timeout=15_000)
    assert kept_on_tablet(tablet) == []
    stored = sorted(json.loads(c)["ranking"] for c in stored_contents(server, round_id).values())
    assert stored == sorted(
        [
            [[NAMES[2]], [NAMES[0]]],
            [[NAMES[3]]],
            [[NAMES[3]], [NAMES[1]], [NAMES[0]]],
        ]
    )
    assert late_reasons(server, round_id) == ["code-used"]

    # a resident submits as the network drops and walks away without keeping the ballot;
    # the code is used elsewhere meanwhile: when the network is back the ballot is reported
    tablet.fill("#code", codes[4])
    tablet.click("#code-next")
    tablet.click(f"button.option[data-name='{NAMES[2]}']")
    tablet.click("#no-more")
    context.set_offline(True)
    tablet.click("#submit")
    expect(tablet.locator("#keep-later")).to_be_visible()
    cast_elsewhere(server, round_id, codes[4], NAMES[1])
    context.set_offline(False)
    expect(tablet.locator("#alert")).to_contain_text("这个投票码已经用过了", timeout=15_000)
    expect(tablet.locator("#step-code")).to_be_visible()
    assert late_reasons(server, round_id) == ["code-used", "code-used"]

    # answers that are not the server's deliveries keep the ballot on the tablet
    context.set_offline(True)
    vote_offline(tablet, codes[5], NAMES[1], NAMES[2])

    def not_delivered(route: Route) -> None:
        route.fulfill(status=403, json={"status": 403, "code": "forbidden", "message": "x"})

    tablet.route("**/kiosk/queued", not_delivered)
    context.set_offline(False)
    expect(tablet.locator("#queue-status")).to_contain_text("1 张选票暂时无法提交")
    tablet.unroute("**/kiosk/queued")

    def captive_portal(route: Route) -> None:
        route.fulfill(status=200, content_type="text/html", body="<html>请登录 Wi-Fi</html>")

    tablet.route("**/kiosk/queued", captive_portal)
    tablet.evaluate("window.redbenchQueue.deliver()")
    tablet.wait_for_timeout(500)
    assert [item["code"] for item in kept_on_tablet(tablet)] == [codes[5]]
    tablet.unroute("**/kiosk/queued")
    expect(tablet.locator("#queue-status")).to_be_hidden(timeout=15_000)
    assert kept_on_tablet(tablet) == []
    assert len(stored_contents(server, round_id)) == 5

    # the last resident votes offline again; voting closes before the tablet is back, and
    # the tablet is reloaded: the closed-round page still delivers what it kept
    context.set_offline(True)
    vote_offline(tablet, codes[3], NAMES[0])

    def unreachable(route: Route) -> None:
        route.abort("internetdisconnected")

    tablet.route("**/kiosk/queued", unreachable)  # the server stays out of reach...
    context.set_offline(False)
    close_round(server, round_id)  # ...until voting has closed
    tablet.reload()
    expect(tablet.locator("#blocked-reason")).to_have_attribute("data-reason", "closed")
    expect(tablet.locator("#queue-status")).to_contain_text("还有 1 张选票等待")
    # the facilitator is looking at the closed round when the last kept ballot arrives
    console = browser.new_context(locale="zh-CN").new_page()
    sign_in(console, server, meeting.facilitator, f"/console/rounds/{round_id}")
    card = console.locator("#late-ballots")
    expect(card).to_have_attribute("data-total", "2")
    expect(console.locator("#late-news")).to_be_hidden()
    tablet.unroute("**/kiosk/queued")
    expect(tablet.locator("#queue-status")).to_be_hidden(timeout=15_000)
    assert kept_on_tablet(tablet) == []
    assert late_reasons(server, round_id) == ["code-used", "code-used", "round-not-open"]
    assert len(stored_contents(server, round_id)) == 5
    context.close()
    expect(console.locator("#late-news")).to_be_visible(timeout=10_000)  # told without a reload
    console.click("#late-news a")
    expect(card).to_have_attribute("data-total", "3")
    expect(card.locator("[data-reason='code-used']")).to_contain_text("投票码在送达前已被使用")
    expect(card.locator("[data-reason='round-not-open']")).to_contain_text("本轮投票已经结束")
    shot(console, artefacts, "console-late-ballots", backend)
    console.context.close()
