"""Issue 16 end to end, in a real browser on every database: one household round of the
pocket park where every resident can vote. The community's roll is imported, codes are
issued from it, one household authorises a proxy and the quorum is half the roll.

- 10 ballots on an enrolled tablet (one by the proxy holder with the grantor's code, one in
  assisted mode, recorded on the console as helped by two staff);
- the quorum line on the console says 还差 until the paper ballots arrive;
- 6 paper ballots, each keyed by two clerks: one differs in a mark and a third person
  decides, one is spoiled;
- 3 ballots from residents' phones inside the window, and one refused after it;
- one slip voided.

Then the box, the turnout, the reconciliation line, the console and the record agree, and
the published result equals a recount of the published ballots."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ballots.bundle import Bundle, SealedBallots
from ballots.digest import lot_seed, sealed_box_digest
from ballots.kinds import RankedBallot
from ballots.verify import verify
from engine import RankedProfile, tally
from service.accounts.repository import create_user, issue_token
from service.accounts.schemas import UserCreate
from service.auth.hashing import PasswordHasher
from service.db import models
from tests.e2e.helpers import (
    OPTIONS,
    PASSWORD,
    Meeting,
    Server,
    enrol_directly,
    set_up_meeting,
    sign_in,
    stored_trackers,
)
from tests.support.documents import pdf_text
from tests.support.phone import end_phone_window
from tests.support.roll import roll_csv

NAMES = [name for name, _, _ in OPTIONS]
PLAY, HEALTH, CULTURE, SHADE = NAMES
TABLET = {"width": 800, "height": 1280}
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 800}
HOUSEHOLDS = 24
TABLET_VOTES = [  # ten rankings, typed on the tablet
    (PLAY, HEALTH),
    (PLAY, CULTURE, SHADE),
    (HEALTH, PLAY),
    (CULTURE,),
    (PLAY,),
    (SHADE, HEALTH, PLAY),
    (HEALTH,),
    (PLAY, SHADE),
    (CULTURE, HEALTH),  # the proxy holder, with the grantor household's code
    (HEALTH, CULTURE, PLAY),  # in assisted mode
]
PAPER = [  # (marks in slate order, as each clerk keys them) per serial; None: left empty
    ([1, 2, None, None], [1, 2, None, None]),
    ([None, 1, None, None], [None, 1, None, None]),
    ([2, None, 1, None], [2, None, 1, 3]),  # the second clerk keys a 3 that is not there
    ([1, None, None, 2], [1, None, None, 2]),
    ([None, 2, None, 1], [None, 2, None, 1]),
    (None, None),  # spoiled: both clerks say so
]
PHONE_VOTES = [(SHADE, PLAY), (PLAY, HEALTH, CULTURE), (HEALTH,)]


def _user(server: Server, username: str, name: str, role: str) -> str:
    """A staff account and an API token for it; the token's Authorization header value."""

    async def work(db: AsyncSession) -> str:
        user = await create_user(
            db,
            UserCreate(username=username, display_name=name, role=role, password=PASSWORD),
            PasswordHasher(),
        )
        token = await issue_token(db, user, datetime.now(UTC), label="e2e")
        await db.commit()
        return f"Bearer {token}"

    return server.db(work)


def _facilitator_token(server: Server, meeting: Meeting) -> str:
    async def work(db: AsyncSession) -> str:
        user = await db.scalar(
            select(models.User).where(models.User.username == meeting.facilitator)
        )
        assert user is not None
        token = await issue_token(db, user, datetime.now(UTC), label="e2e")
        await db.commit()
        return f"Bearer {token}"

    return server.db(work)


class Api:
    """The JSON API as one account calls it."""

    def __init__(self, server: Server, authorization: str) -> None:
        self.client = httpx.Client(
            base_url=server.base, headers={"Authorization": authorization}, timeout=30
        )

    def __call__(
        self, method: str, path: str, status: int = 200, *, raw: bool = False, **kwargs: Any
    ) -> Any:
        """The answer's JSON (its bytes with ``raw``), once its status is as expected."""
        answer = self.client.request(method, "/api/v1" + path, **kwargs)
        assert answer.status_code == status, f"{method} {path}: {answer.text}"
        return answer.content if raw else answer.json()


def _roll() -> bytes:
    """24 households of buildings 1–3 as grid workers type them: some with full-width
    digits and stray spaces, which the import normalises."""
    lines = []
    for n in range(HOUSEHOLDS):
        building, flat = n // 8 + 1, 101 + n % 8
        typed = f"{building}号楼" if n % 5 else f" {chr(0xFF10 + building)}号楼 "
        lines.append(f"{typed},1单元,{flat},住户{n + 1},")
    return roll_csv(*lines)


def _rank(page: Page, names: tuple[str, ...]) -> None:
    for name in names:
        page.click(f"button.option[data-name='{name}']")


def _tablet_vote(tablet: Page, code: str, names: tuple[str, ...]) -> str:
    tablet.fill("#code", code)
    tablet.click("#code-next")
    expect(tablet.locator("#step-ballot")).to_be_visible()
    _rank(tablet, names)
    tablet.click("#no-more" if len(names) < len(NAMES) else "#review")
    tablet.click("#submit")
    expect(tablet.locator("#step-receipt")).to_be_visible()
    expect(tablet.locator("#tracker-full")).not_to_be_empty()
    tracker = tablet.inner_text("#tracker-full").replace("-", "")
    tablet.click("#next")
    expect(tablet.locator("#step-code")).to_be_visible()
    return tracker


def _phone_vote(browser: Browser, server: Server, round_id: int, code: str, names: Any) -> str:
    context = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
    phone = context.new_page()
    phone.goto(server.url(f"/vote/{round_id}#{code}"))
    expect(phone.locator("#code")).to_have_value(code)
    phone.click("#code-next")
    expect(phone.locator("#step-ballot")).to_be_visible()
    _rank(phone, names)
    phone.click("#no-more" if len(names) < len(NAMES) else "#review")
    phone.click("#submit")
    expect(phone.locator("#step-receipt")).to_be_visible()
    expect(phone.locator("#tracker-full")).not_to_be_empty()
    tracker = phone.inner_text("#tracker-full").replace("-", "")
    context.close()
    return tracker


def _recount(bundle: Bundle) -> tuple[Any, str]:
    """The round counted again by the engine from the published ballots alone, and the
    ballot-box digest its lot is drawn from."""
    [record] = bundle.rounds
    box = record.ballots
    assert isinstance(box, SealedBallots)
    orders: list[list[list[str]]] = []
    for content in box.contents:
        ballot = content.ballot
        assert isinstance(ballot, RankedBallot)
        orders += [[list(group) for group in ballot.ranking]] * content.count
    profile = RankedProfile.from_orders(NAMES, orders)
    digest = sealed_box_digest(box.trackers_digest, box.contents_digest)
    return tally("irv", profile, seed=lot_seed(digest)), digest


@pytest.mark.backends("sqlite", "postgres")
def test_every_resident_votes_paper_phone_tablet_proxy_assisted_quorum(
    browser: Browser, server: Server, backend: str, tmp_path: Path
) -> None:
    meeting = set_up_meeting(server, f"{backend}-every")
    facilitator = Api(server, _facilitator_token(server, meeting))
    first_clerk = Api(server, _user(server, f"lu-{backend}", "陆网格", "grid_worker"))
    second_clerk = Api(server, _user(server, f"qian-{backend}", "钱书记", "secretary"))

    # the community's roll, then a household round whose rule is half the roll
    imported = facilitator(
        "POST",
        f"/communities/{meeting.community_id}/households/import",
        json={"file": base64.b64encode(_roll()).decode(), "dry_run": False},
    )
    assert (imported["new"], imported["refused"]) == (HOUSEHOLDS, 0), imported
    listed = facilitator("GET", f"/communities/{meeting.community_id}/households")
    assert "1号楼1单元101" in {h["label"] for h in listed["households"]}  # full width undone
    proposals = facilitator("GET", f"/processes/{meeting.process_id}/proposals")
    ids = [p["id"] for p in sorted(proposals, key=lambda p: p["id"])]
    created = facilitator(
        "POST",
        f"/processes/{meeting.process_id}/rounds",
        201,
        json={
            "title": "人人都能投票",
            "method": "irv",
            "ballot_kind": "ranked",
            "household_roll": True,
            "proposal_ids": ids,
            "validity": {
                "quorum": "households",
                "quorum_share": {"numerator": 1, "denominator": 2},
            },
        },
    )
    round_id = created["id"]
    facilitator("POST", f"/rounds/{round_id}/phase", json={"to": "voting"})
    issued = facilitator("POST", f"/rounds/{round_id}/codes", 201, json={"from_roll": True})
    codes = [c["code"] for c in issued["codes"]]
    household = {c["code"]: c["household"] for c in issued["codes"]}
    assert len(codes) == HOUSEHOLDS
    tablet_codes, paper_codes = codes[:10], codes[10:16]
    phone_codes, late_code, voided = codes[16:19], codes[19], codes[23]

    # household 9 authorises a neighbour in writing; the neighbour votes with its code
    facilitator(
        "POST",
        f"/rounds/{round_id}/proxies",
        201,
        json={
            "grantor": household[tablet_codes[8]],
            "holder_name": "刘阿姨",
            "serial": "WT-2026-001",
            "signed_on": "2026-12-04",
        },
    )
    until = datetime.now(UTC) + timedelta(hours=20)
    facilitator("PUT", f"/rounds/{round_id}/phone-window", json={"until": until.isoformat()})
    printed = facilitator("GET", f"/rounds/{round_id}/paper-ballots.pdf?size=A5&count=6", raw=True)
    assert printed.startswith(b"%PDF")
    facilitator("POST", f"/rounds/{round_id}/codes/void", json={"code": voided, "reason": "丢失"})

    console = browser.new_context(viewport=LAPTOP, locale="zh-CN").new_page()
    sign_in(console, server, meeting.facilitator, f"/console/rounds/{round_id}")
    quorum = console.locator("#quorum-line")
    expect(quorum).to_contain_text("法定人数 12 户，还差 12 户")

    # ten residents on the tablet; the last in assisted mode, helped by two staff
    tablet = browser.new_context(viewport=TABLET, locale="zh-CN").new_page()
    tablet.add_init_script("window.speechSynthesis && (window.speechSynthesis.speak = () => {})")
    enrol_directly(tablet, server, round_id)
    tablet.goto(server.url("/kiosk"))
    trackers = []
    for code, names in zip(tablet_codes[:9], TABLET_VOTES[:9], strict=True):
        trackers.append(_tablet_vote(tablet, code, names))
    tablet.click("#assisted")
    expect(tablet.locator("body")).to_have_class(re.compile(r"\bassisted\b"))
    trackers.append(_tablet_vote(tablet, tablet_codes[9], TABLET_VOTES[9]))
    expect(tablet.locator("body")).not_to_have_class(re.compile(r"\bassisted\b"))
    tablet.context.close()
    console.check("#assistance-form input[name=kind][value=staff]")
    console.click("#assistance-submit")
    expect(console.locator("#assistance-line")).to_contain_text("两名工作人员 1")
    expect(quorum).to_contain_text("已参与 10 户", timeout=10_000)
    expect(quorum).to_contain_text("还差 2 户")
    expect(quorum).not_to_have_class(re.compile(r"\breached\b"))

    # six paper ballots, each keyed by two clerks on their own
    for serial, (marks, code) in enumerate(zip(PAPER, paper_codes, strict=True), start=1):
        verdict = "spoiled" if marks[0] is None else "ballot"
        answers = [
            clerk(
                "POST",
                f"/rounds/{round_id}/paper/entries",
                json={"serial": serial, "code": code, "verdict": verdict, "marks": mark or []},
            )
            for clerk, mark in ((first_clerk, marks[0]), (second_clerk, marks[1]))
        ]
        if serial == 3:  # the one difference is caught, nothing is counted yet
            assert answers[1]["state"] == "mismatch", answers
            assert answers[1]["tracker"] is None
            shown = facilitator("GET", f"/rounds/{round_id}/paper/mismatches")
            assert [m["serial"] for m in shown["mismatches"]] == [3]
            refused = second_clerk(  # a secretary may decide, but not on a serial she keyed
                "POST",
                f"/rounds/{round_id}/paper/adjudications",
                409,
                json={"serial": 3, "choose": 2, "reason": "我自己录的"},
            )
            assert refused["code"] == "paper-clerk-adjudicates"
            console.goto(server.url(f"/console/rounds/{round_id}"))  # the third person
            expect(console.locator("#paper-pending")).to_contain_text("待裁定 1 张")
            console.click("#paper-mismatches-link")
            differing = console.locator(".paper-mismatch[data-serial='3'] tr.differs")
            expect(differing).to_have_count(1)
            expect(differing).to_contain_text(SHADE)
            console.check(".paper-mismatch[data-serial='3'] input[name=choose][value='1']")
            console.fill("#reason-3", "核对原票：遮阳座椅的方框是空的，以第一次录入为准")
            console.click("#decide-button-3")
            expect(console.locator("#decided")).to_have_attribute("data-state", "cast")
            console.goto(server.url(f"/console/rounds/{round_id}"))
        elif verdict == "ballot":
            assert answers[1]["tracker"], answers
            trackers.append(answers[1]["tracker"])
        else:
            assert answers[1]["state"] == "spoiled", answers
    summary = facilitator("GET", f"/rounds/{round_id}/paper")
    assert (summary["cast"], summary["spoiled"], summary["pending"]) == (5, 1, 0), summary
    # the spoiled ballot's household took part too (its code is used up, the household voted)
    expect(quorum).to_contain_text("已参与 16 户", timeout=10_000)
    expect(quorum).to_have_class(re.compile(r"\breached\b"))

    # three residents vote from home inside the window; the fourth comes after it
    for code, names in zip(phone_codes, PHONE_VOTES, strict=True):
        trackers.append(_phone_vote(browser, server, round_id, code, names))
    server.db(lambda db: end_phone_window(db, round_id))
    late = browser.new_context(viewport=PHONE, locale="zh-CN").new_page()
    late.goto(server.url(f"/vote/{round_id}#{late_code}"))
    expect(late.locator("#phone-shut")).to_contain_text("手机投票已经结束")
    late.context.close()

    # the box, the turnout, the console and the reconciliation line agree
    trackers = [t.replace("-", "") for t in trackers]  # all but the adjudicated ballot's
    stored = stored_trackers(server, round_id)
    assert len(stored) == len(set(stored)) == 18
    assert set(trackers) < set(stored)
    assert len(set(trackers)) == 17
    turnout = facilitator("GET", f"/rounds/{round_id}/turnout")
    figures = {
        key: turnout[key]
        for key in (
            "codes_issued",
            "ballots_cast",
            "tablet_ballots",
            "paper_ballots",
            "phone_ballots",
            "paper_spoiled",
            "paper_blank",
            "codes_unused",
            "codes_void",
            "reconciled",
            "households_voted",
            "proxies",
            "proxy_votes",
            "assisted_chosen",
            "assisted_staff",
        )
    }
    assert figures == {
        "codes_issued": 24,
        "ballots_cast": 18,
        "tablet_ballots": 10,
        "paper_ballots": 5,
        "phone_ballots": 3,
        "paper_spoiled": 1,
        "paper_blank": 0,
        "codes_unused": 4,  # three never used, and the phone ballot after the window
        "codes_void": 1,
        "reconciled": True,
        "households_voted": 19,  # 18 ballots and the spoiled paper ballot
        "proxies": 1,
        "proxy_votes": 1,
        "assisted_chosen": 0,
        "assisted_staff": 1,
    }
    assert turnout["quorum"]["reached"] is True
    reconciliation = (
        "发出选票码 24 = 平板 10 + 纸质 5 + 手机 3 + 废票 1 + 空白票 0 + 未使用 4 + 作废 1（相符）"
    )
    expect(console.locator("#reconciliation-line")).to_have_text(reconciliation, timeout=10_000)
    expect(console.locator("#channels-line")).to_have_text("平板 10 张、纸质 5 张、手机 3 张")

    # closed, counted, published: the record says the same, and a recount agrees
    facilitator("POST", f"/rounds/{round_id}/phase", json={"to": "closed"})
    facilitator("POST", f"/rounds/{round_id}/phase", json={"to": "published"})
    result = facilitator("GET", f"/rounds/{round_id}/result")
    assert result["ballots"] == 18
    assert result["validity"]["verdict"]["valid"] is True, result["validity"]
    data = facilitator("GET", f"/rounds/{round_id}/bundle", raw=True)
    report = verify(data)
    assert report.verified, report.findings
    bundle = msgspec.json.decode(data, type=Bundle)
    recorded = msgspec.to_builtins(bundle.rounds[0].turnout)
    # the record counts codes issued less voided, as it always has
    assert (recorded["codes_issued"], recorded["codes_void"]) == (23, 1)
    for key in figures.keys() - {"codes_issued", "households_voted"}:
        assert recorded[key] == figures[key], (key, recorded)
    assert (recorded["proxies"], recorded["proxy_votes"]) == (1, 1)
    pdf = second_clerk("GET", f"/rounds/{round_id}/exports/pdf", raw=True)  # the secretary
    flat = "".join(pdf_text(pdf, tmp_path).split())
    assert "平板10张、纸质5张、手机3张" in flat
    assert "".join(reconciliation.split()) in flat
    assert "委托代投1户" in flat
    assert "协助投票1人次" in flat
    recounted, digest = _recount(bundle)
    assert digest == result["ballot_box_digest"]
    assert list(recounted.winners) == list(result["result"]["winners"])
    assert msgspec.json.decode(msgspec.json.encode(recounted.rounds)) == result["result"]["rounds"]
    console.context.close()
    for api in (facilitator, first_clerk, second_clerk):
        api.client.close()
