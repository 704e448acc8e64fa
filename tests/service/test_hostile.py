"""Hostile input, one table: what is sent, and the answer it must get. Every answer is a 4xx
in the documented error shape, never a 5xx, and nothing stored changes.

A voting round of the pocket park (code issued, one ballot cast) is the target; each row
names the request and the status and error code it must get.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from sqlalchemy import func, select

from service.db.models import Ballot, Comment, Household, Proposal, VoterCode
from service.errors import ErrorBody
from service.text import line, prose
from tests.service.test_casting import PARK, make_round

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
    tables = (Ballot, Comment, Proposal, VoterCode, Household)
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
    assert await db.scalar(select(func.count()).select_from(Ballot)) == 0  # still there
