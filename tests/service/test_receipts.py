"""Receipts, on every database: by default a receipt proves only that its ballot was counted —
the lookup (API and board page) never shows what a ballot says, and nothing published pairs
a tracker with a ballot — while anyone can still recount the published ballots and check the
ballot-box digest from the published lists. A round that opens its receipts shows each
ballot on its lookup, as receipts did before. docs/security.md, "Receipts"."""

from __future__ import annotations

import io
from typing import Any

import msgspec
import openpyxl
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ballots.digest import (
    content_list_digest,
    grouped_tracker,
    lot_seed,
    sealed_box_digest,
    tracker_list_digest,
)
from ballots.encode import encode
from ballots.kinds import Ballot, BallotRules
from engine.registry import tally
from service.db.models import BoxPart, Process, Round
from tests.support.box import purged
from tests.support.pages import enrol, post_form, set_up, to_phase
from tests.support.park import PARK
from tests.support.rounds import close, make_round, ranked, vote

# six residents, five different ballots: the lookups of two receipts whose ballots differ
BALLOTS = [
    ranked(PARK[0], PARK[1]),
    ranked(PARK[1], PARK[0]),
    ranked(PARK[2]),
    ranked(PARK[3], PARK[4], PARK[5]),
    ranked(PARK[0], PARK[1]),
    ranked(PARK[5]),
]


async def counted_round(
    client: Any, db: AsyncSession, staff: Any, ballots: list[dict[str, Any]], **round_: Any
) -> tuple[int, list[str]]:
    """A published round of these ballots, and the receipts the tablet showed, in order."""
    round_id = await make_round(db, **round_)
    trackers = await vote(client, staff, round_id, ballots)
    await close(db, round_id, phase="published")
    await purged()  # the storage purge after a close takes SQLite's write lock a moment
    return round_id, trackers


def names_in(text: str) -> list[str]:
    return [name for name in PARK if name in text]


def answer_of(html: str) -> str:
    """The lookup's answer on a board page (the rest of the page shows the result)."""
    return html.split('id="lookup-answer"', 1)[1].split("</div>", 1)[0]


async def all_pages(client: Any, url: str, key: str, limit: int) -> list[Any]:
    """Every entry of a paged public list, ``limit`` at a time."""
    entries: list[Any] = []
    after = None
    while True:
        params = {"limit": limit} | ({"after": after} if after else {})
        response = await client.get(url, params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        entries += page[key]
        after = page["next"]
        if after is None:
            return entries


async def test_a_receipt_lookup_confirms_the_count_and_never_shows_the_ballot(client, db, staff):
    round_id, trackers = await counted_round(client, db, staff, BALLOTS)
    base = f"/api/v1/rounds/{round_id}/receipts"
    answers = []
    for tracker in (trackers[0], trackers[1], trackers[3]):  # three different ballots
        response = await client.get(f"{base}/{tracker}")
        assert response.status_code == 200, response.text
        assert names_in(response.text) == []
        body = response.json()
        assert (body["found"], body["open_receipts"], body["ballot"]) == (True, False, None)
        answers.append(response.text.replace(tracker, "T" * 16))
    assert answers[0] == answers[1] == answers[2]  # nothing in the answer follows the ballot
    short = (await client.get(f"{base}/{trackers[2][:4]}-{trackers[2][4:8]}")).json()
    assert (short["tracker"], short["found"], short["ballot"]) == (trackers[2], True, None)
    missing = "0" * 16 if "0" * 16 not in trackers else "1" * 16
    assert (await client.get(f"{base}/{missing}")).json()["found"] is False

    # the board page: "your ballot is in the box and was counted", in both languages
    pages = []
    for tracker in (trackers[0], trackers[1]):
        page = await client.get(f"/board/rounds/{round_id}", params={"tracker": tracker})
        answer = answer_of(page.text)
        assert "您的选票在票箱中，已计入" in answer
        assert "不显示选票内容" in answer
        assert names_in(answer) == []
        shown = grouped_tracker(tracker)  # the board shows it as the tablet does
        pages.append(page.text.replace(shown, "T" * 16).replace(tracker, "T" * 16))
    assert pages[0] == pages[1]
    english = await client.get(
        f"/board/rounds/{round_id}", params={"tracker": trackers[0], "lang": "en"}
    )
    assert "your ballot is in the box and was counted" in answer_of(english.text)


async def test_an_open_receipt_round_shows_the_ballot(client, db, staff):
    round_id, trackers = await counted_round(client, db, staff, BALLOTS, open_receipts=True)
    check = (await client.get(f"/api/v1/rounds/{round_id}/receipts/{trackers[3]}")).json()
    assert check["open_receipts"] is True
    assert check["ballot"] == {"kind": "ranked", "ranking": [[PARK[3]], [PARK[4]], [PARK[5]]]}
    page = await client.get(f"/board/rounds/{round_id}", params={"tracker": trackers[3]})
    answer = answer_of(page.text)
    assert "第1位：小型活动区" in answer
    assert "第3位：遮阳座椅" in answer
    assert "本轮公开回执内容" in page.text
    listed = await all_pages(client, f"/api/v1/rounds/{round_id}/ballots", "ballots", 4)
    assert [b["tracker"] for b in listed] == sorted(trackers)  # each ballot by its tracker


def unseeded(content: str) -> list[str]:
    """The lines of an exported file but the one stating the lot seed (the round's box
    digest, which differs between two boxes of the same ballots: their trackers do)."""
    return [line for line in content.splitlines() if "seed" not in line.lower()]


async def test_nothing_published_pairs_a_tracker_with_a_ballot(client, db, staff):
    """Two rounds take the same ballots, cast in opposite orders (so with trackers paired
    differently): every published list and export of the ballots is the same in both —
    it follows the ballots alone — and none holds a tracker; the trackers are published
    only as a sorted list of their own. Even the stored box keeps them apart."""
    first, first_trackers = await counted_round(client, db, staff, BALLOTS)
    second, second_trackers = await counted_round(client, db, staff, BALLOTS[::-1])
    secretary = staff["secretary"]
    seen: list[dict[str, Any]] = [{}, {}]
    for which, (round_id, trackers) in enumerate(
        ((first, first_trackers), (second, second_trackers))
    ):
        page = (await client.get(f"/api/v1/rounds/{round_id}/ballots")).json()
        assert page["open_receipts"] is False
        seen[which]["api"] = page["ballots"]
        listed = await all_pages(client, f"/api/v1/rounds/{round_id}/trackers", "trackers", 4)
        assert listed == sorted(trackers)
        for fmt in ("ballots-csv", "blt", "preflib", "xlsx"):
            response = await client.get(
                f"/api/v1/rounds/{round_id}/exports/{fmt}", headers=secretary
            )
            assert response.status_code == 200, response.text
            assert not [t for t in trackers if t.encode() in response.content], fmt
            if fmt == "xlsx":
                book = openpyxl.load_workbook(io.BytesIO(response.content))
                sheet = book[book.sheetnames[1]]  # the ballots
                rows = [row[1:] for row in sheet.iter_rows(values_only=True)]
                assert not [t for row in rows for t in trackers if t in map(str, row)]
                seen[which][fmt] = rows
            elif fmt == "ballots-csv":  # without the round number that starts each line
                lines = unseeded(response.content.decode("utf-8-sig"))
                seen[which][fmt] = [line.split(",", 1)[1] for line in lines]
            else:  # the lot seed each file states is the round's box digest: its own
                seen[which][fmt] = unseeded(response.content.decode("utf-8"))
        bundle = (await client.get(f"/api/v1/rounds/{round_id}/bundle")).json()
        lists = bundle["rounds"][0]["ballots"]
        assert lists["trackers"] == sorted(trackers)
        assert all(set(entry) == {"count", "ballot"} for entry in lists["contents"])
        seen[which]["bundle"] = lists["contents"]
        parts = (
            await db.scalars(
                select(BoxPart.marks)
                .where(BoxPart.round_id == round_id)
                .order_by(BoxPart.first_tracker)
            )
        ).all()
        seen[which]["stored"] = b"".join(parts)
    assert seen[0] == seen[1]
    assert [entry["count"] for entry in seen[0]["api"]] == [1, 2, 1, 1, 1]
    assert {entry["tracker"] for entry in seen[0]["api"]} == {None}


async def test_anyone_recounts_and_checks_the_digest_from_the_published_lists(client, db, staff):
    """From the two public lists alone (anonymously, a page at a time): their digests, the
    ballot-box digest made of them, and the count again — a lot included, whose seed is the
    box digest."""
    tie = [ranked(PARK[0]), ranked(PARK[1]), ranked(PARK[2]), ranked(PARK[1]), ranked(PARK[0])]
    round_id, trackers = await counted_round(
        client, db, staff, tie, method="plurality", options={"tie_policy": "lot"}
    )
    url = f"/api/v1/rounds/{round_id}"
    published = (await client.get(f"{url}/result")).json()
    listed = await all_pages(client, f"{url}/trackers", "trackers", 2)
    contents = await all_pages(client, f"{url}/ballots", "ballots", 2)
    counted = [(msgspec.convert(e["ballot"], Ballot), e["count"]) for e in contents]
    assert sorted(listed) == listed == sorted(trackers)
    assert sum(n for _, n in counted) == len(listed) == published["ballots"] == 5
    digests = (tracker_list_digest(listed), content_list_digest(counted))
    assert digests == (published["trackers_digest"], published["contents_digest"])
    digest = sealed_box_digest(*digests)
    assert digest == published["ballot_box_digest"]
    rules = BallotRules(kind="ranked", candidates=tuple(PARK))
    profile = encode([b for b, _ in counted], rules, [n for _, n in counted])
    again = tally("plurality", profile, seed=lot_seed(digest))
    assert msgspec.json.decode(msgspec.json.encode(again)) == published["result"]
    assert len(again.winners) == 1
    assert again.winners[0] in PARK[:2]  # drawn from a two-way tie
    assert [tie["rule"] for tie in published["result"]["ties"]] == ["lot"]


async def test_the_choice_is_made_before_voting_through_the_api(client, db, staff):
    facilitator = staff["facilitator"]
    round_id = await make_round(db, phase="scheduled")
    round_row = await db.get(Round, round_id)
    process = await db.get(Process, round_row.process_id)
    proposal_ids = [o.proposal_id for o in round_row.slate]
    made = await client.post(
        f"/api/v1/processes/{process.id}/rounds",
        json={
            "title": "举手式征集",
            "method": "approval",
            "ballot_kind": "approval",
            "proposal_ids": proposal_ids,
            "open_receipts": True,
        },
        headers=facilitator,
    )
    assert made.status_code == 201, made.text
    assert made.json()["open_receipts"] is True
    plain = await client.post(
        f"/api/v1/processes/{process.id}/rounds",
        json={"title": "第二轮", "method": "irv", "proposal_ids": proposal_ids},
        headers=facilitator,
    )
    assert plain.json()["open_receipts"] is False  # sealed unless asked
    rid = made.json()["id"]
    sealed = await client.patch(
        f"/api/v1/rounds/{rid}", json={"open_receipts": False}, headers=facilitator
    )
    assert sealed.status_code == 200, sealed.text
    assert sealed.json()["open_receipts"] is False
    opened = await client.post(
        f"/api/v1/rounds/{rid}/phase", json={"to": "voting"}, headers=facilitator
    )
    assert opened.status_code == 200, opened.text
    frozen = await client.patch(
        f"/api/v1/rounds/{rid}", json={"open_receipts": True}, headers=facilitator
    )
    assert frozen.status_code == 409
    assert frozen.json()["code"] == "round-frozen"
    assert "receipts are fixed" in frozen.json()["message_en"]
    assert (await client.get(f"/api/v1/rounds/{rid}", headers=facilitator)).json()[
        "open_receipts"
    ] is False


async def test_the_console_sets_and_explains_the_choice(client, db, staff):
    ids = await set_up(client, staff, open_receipts="1")
    rid = ids["round"]
    assert (await db.get(Round, rid)).open_receipts is True
    page = await client.get(f"/console/rounds/{rid}")
    assert "公开内容：凭回执编号可查到选票投了什么" in page.text
    assert "代价是回执可以被出卖或被人索要" in page.text  # the help says what it costs
    process = await client.get(f"/console/processes/{ids['process']}")
    assert 'name="open_receipts"' in process.text
    assert "举手表决" in process.text  # when it fits
    sealed = await post_form(client, f"/console/rounds/{rid}/receipts", {})
    assert sealed.status_code == 200, sealed.text
    assert "不公开内容（默认）" in sealed.text
    assert (await db.get(Round, rid, populate_existing=True)).open_receipts is False
    await to_phase(client, rid, "voting")
    page = await client.get(f"/console/rounds/{rid}")
    assert 'id="switch-receipts"' not in page.text  # fixed once voting opened
    refused = await post_form(client, f"/console/rounds/{rid}/receipts", {"open_receipts": "1"})
    assert refused.status_code == 409
    assert (await db.get(Round, rid, populate_existing=True)).open_receipts is False


@pytest.mark.parametrize(
    ("open_receipts", "words"),
    [(False, "不显示您投了什么"), (True, "任何拿到这个编号的人也能看到")],
    ids=["sealed", "open"],
)
async def test_the_tablet_says_what_the_receipt_will_show(client, db, staff, open_receipts, words):
    round_id = await make_round(db, open_receipts=open_receipts)
    await enrol(client, staff["facilitator"], round_id)
    page = await client.get("/kiosk")
    assert page.status_code == 200, page.text
    assert words in page.text
    assert 'id="tracker-short"' in page.text
