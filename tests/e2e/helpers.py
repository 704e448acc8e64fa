"""What the browser tests share: the served app and its database (:class:`Server`), the
pocket-park meeting set up through the domain
functions, an axe-core accessibility check run in the page, moving by keyboard, and
looking at what a tablet still holds after it reset."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import msgspec
from axe_playwright_python.base import AXE_SCRIPT
from playwright.sync_api import Page
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ballots.digest import canonical_ballot
from ballots.marks import ballot_of
from service.accounts.repository import create_user
from service.accounts.schemas import UserCreate
from service.auth.guard import Actor
from service.auth.hashing import PasswordHasher
from service.db import models
from service.db.session import create_engine, sessionmaker
from service.processes.repository import create_process
from service.proposals.repository import create_proposal
from service.proposals.schemas import ProposalCreate
from service.results import ballot_box
from service.results.purge import purged
from service.rounds.settings import ballot_rules
from service.settings import Settings
from service.voting.sealing import RoundSeal
from service.web.tablets import TABLET_COOKIE, enrolment_token

PASSWORD = "bench-meeting-2026"
OPTIONS = (
    ("儿童游乐设施", "滑梯、秋千和沙池，适合3到10岁的孩子", 1_200),
    ("健康监测站", "自助测血压、血糖，每周有社区医生值守", 800),
    ("文化墙", "展示社区的老照片和发展历史", 300),
    ("遮阳座椅", "带遮阳棚的长椅，方便老人和带娃家长休息", 250),
)
"""The options with a short description and a cost in yuan (small, to keep the budget
counts quick)."""
SERIOUS = ("serious", "critical")


T = TypeVar("T")


def in_thread(work: Callable[[AsyncSession], Awaitable[T]], url: str) -> T:
    """Run ``work`` with a session on ``url`` in a worker thread's own event loop."""

    async def main() -> T:
        engine = create_engine(url)
        try:
            async with sessionmaker(engine)() as session:
                return await work(session)
        finally:
            await purged()  # a round closed here is purged before the engine goes
            await engine.dispose()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, main()).result()


@dataclass
class Server:
    """The app served over real HTTP on a local port."""

    base: str
    settings: Settings

    def url(self, path: str) -> str:
        return self.base + path

    def db(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        return in_thread(work, self.settings.database_url)


@dataclass(frozen=True)
class Meeting:
    """A community with a process and four options, and a facilitator to run it."""

    community_id: int
    process_id: int
    facilitator: str


def set_up_meeting(server: Server, tag: str) -> Meeting:
    """Facilitator account, community, process and options, written as the API would."""

    async def work(db: AsyncSession) -> Meeting:
        username = f"zhuchi-{tag}"
        user = await create_user(
            db,
            UserCreate(
                username=username, display_name="王主持", role="facilitator", password=PASSWORD
            ),
            PasswordHasher(),
        )
        actor = Actor(id=user.id, name=user.display_name, role=user.role)
        community = models.Community(name=f"杜集社区{tag}")
        db.add(community)
        await db.flush()
        process = await create_process(
            db,
            actor,
            community.id,
            "口袋公园建设方案",
            "社区东南角的闲置空地建口袋公园，先建哪些设施？",
        )
        for title, description, cost in OPTIONS:
            await create_proposal(
                db,
                actor,
                process.id,
                ProposalCreate(title=title, description=description, cost=Decimal(cost)),
            )
        await db.commit()
        return Meeting(community.id, process.id, username)

    return server.db(work)


def stored_trackers(server: Server, round_id: int) -> list[str]:
    """The trackers of the round's ballots (sealed while voting, counted after), sorted."""
    return sorted(stored_contents(server, round_id))


def stored_contents(server: Server, round_id: int) -> dict[str, str]:
    """Tracker → canonical JSON of each ballot in the round's box: while it votes, its
    envelopes opened with the server's secret; once closed, the counted ballots (with sealed
    receipts the box keeps trackers and marks apart, so then only the trackers and the
    ballots as two lists mean anything, not which tracker stands beside which ballot)."""

    async def work(db: AsyncSession) -> dict[str, str]:
        round_row = await db.get(models.Round, round_id)
        assert round_row is not None
        rules = ballot_rules(round_row)
        found = dict(ballot_box.contents(rules, await ballot_box.read_all(db, round_id)))
        seal = RoundSeal(server.settings.secret_key, round_id)
        envelopes = await db.execute(
            select(models.Envelope.nonce, models.Envelope.sealed).where(
                models.Envelope.round_id == round_id
            )
        )
        for nonce, sealed in envelopes:
            tracker, marks = seal.open(nonce, sealed)
            ballot = ballot_of(marks, rules.kind, rules.candidates)
            found[tracker] = canonical_ballot(ballot).decode()
        return found

    return server.db(work)


def used_codes(server: Server, round_id: int) -> int:
    async def work(db: AsyncSession) -> int:
        count = await db.scalar(
            select(func.count())
            .select_from(models.VoterCode)
            .where(models.VoterCode.round_id == round_id, models.VoterCode.status == "used")
        )
        return int(count or 0)

    return server.db(work)


def sign_in(page: Page, server: Server, username: str, then: str) -> None:
    page.goto(server.url(f"/console/login?next={then}"))
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(server.url(then))


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """The serious and critical accessibility violations axe-core finds in the page."""
    page.evaluate(AXE_SCRIPT)
    found = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["html"] for n in v["nodes"]][:3]}
        for v in found["violations"]
        if v["impact"] in SERIOUS
    ]


def tab_to(page: Page, selector: str, most: int = 60) -> None:
    """Press Tab until ``selector`` has the focus (it must be reachable by keyboard)."""
    for _ in range(most):
        if page.evaluate(
            "(s) => document.activeElement && document.activeElement.matches(s)", selector
        ):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} cannot be reached with the Tab key")


def shot(page: Page, artefacts: Path, name: str, backend: str) -> Path:
    """A full-page screenshot ``<name>.png`` (SQLite run) or ``<name>-<backend>.png``."""
    path = artefacts / (f"{name}.png" if backend == "sqlite" else f"{name}-{backend}.png")
    page.screenshot(path=str(path), full_page=True)
    return path


def tablet_leftovers(page: Page, previous: list[str]) -> list[str]:
    """Whatever of the previous residents a reset tablet still shows or keeps."""
    found = []
    body = page.inner_text("body")
    for text in previous:
        if text and text in body:
            found.append(f"on screen: {text}")
    storage = page.evaluate(
        "() => [JSON.stringify(Object.assign({}, localStorage)), "
        "JSON.stringify(Object.assign({}, sessionStorage))]"
    )
    for kept in storage:
        if kept != "{}":
            found.append(f"in storage: {kept}")
    pressed = page.locator("button.option[aria-pressed=true]").count()
    if pressed:
        found.append(f"{pressed} options still marked")
    if page.locator("#order li").count():
        found.append("ranking list not empty")
    if page.locator("#review-list li").count():
        found.append("review list not empty")
    if page.input_value("#code"):
        found.append("code still typed")
    kept_look = page.evaluate("document.documentElement.className")
    if "larger" in kept_look or "contrast" in kept_look:
        found.append(f"display settings kept: {kept_look}")
    return found


def voting_round(
    server: Server, meeting: Meeting, form: dict[str, Any], codes: int
) -> tuple[int, list[str]]:
    """A round of the meeting's process set up, opened for voting and given ``codes``
    voter codes, through the domain functions (the console does the same)."""
    from engine.process import RoundPhase
    from service.phases import change_phase
    from service.rounds.repository import create_round
    from service.rounds.schemas import RoundCreate
    from service.voting.codes import issue_codes
    from service.voting.schemas import CodesCreate

    async def work(db: AsyncSession) -> tuple[int, list[str]]:
        actor = Actor(id=None, name="王主持", role="facilitator")
        ids = (
            await db.scalars(
                select(models.Proposal.id)
                .where(models.Proposal.process_id == meeting.process_id)
                .order_by(models.Proposal.id)
            )
        ).all()
        data = msgspec.convert({**form, "proposal_ids": list(ids)}, RoundCreate)
        round_row = await create_round(db, meeting.process_id, data, actor)
        await change_phase(db, round_row.id, RoundPhase.VOTING, actor, server.settings.secret_key)
        issued = await issue_codes(
            db, round_row.id, CodesCreate(count=codes), server.settings.secret_key, actor
        )
        await db.commit()
        return round_row.id, [code.code for code in issued.codes]

    return server.db(work)


def enrol_directly(page: Page, server: Server, round_id: int) -> None:
    """Give the browser the tablet cookie the enrol form would set (that form has its own
    test in the meeting flow)."""
    token = enrolment_token(server.settings.secret_key, round_id)
    page.context.add_cookies(
        [{"name": TABLET_COOKIE, "value": token, "url": server.url("/kiosk"), "httpOnly": True}]
    )
