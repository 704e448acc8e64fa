"""Cross-site request forgery on the API, on every database (the rule:
:mod:`service.auth.cross_site`). The attack reproduced on main: a page on another port of the
same host made a signed-in browser send ``text/plain`` POSTs with the session cookie, and
the API created a process (201) and moved a round to another phase (200)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from sqlalchemy import func, select

from service.db.models import Community, Process, Round
from service.web.render import STATIC, TEMPLATES
from tests.support.app import PASSWORD, make_staff
from tests.support.pages import token_from, use_session
from tests.support.rounds import make_round

ATTACKER = {"Origin": "http://testserver.local:8080", "Content-Type": "text/plain"}
"""What a form or a no-cors fetch on another port sends (no custom header is possible)."""
SAME_SITE = {**ATTACKER, "Sec-Fetch-Site": "same-site"}
"""The same, from a browser that says where the request came from."""


async def a_community(db: Any) -> int:
    community = Community(name="杜集社区")
    db.add(community)
    await db.commit()
    return community.id


async def processes(db: Any) -> int:
    return int(await db.scalar(select(func.count()).select_from(Process)) or 0)


def body(payload: dict[str, Any]) -> str:
    return json.dumps(payload, ensure_ascii=False)


def assert_refused(answer: Any) -> None:
    assert answer.status_code == 403, answer.text
    found = answer.json()
    assert found["code"] == "cross-site-request"
    assert "表单令牌" in found["message_zh"]
    assert "X-CSRFToken" in found["message_en"]


@pytest.fixture
async def signed_in(client, staff) -> str:
    """The client as a facilitator's browser: the session cookie, and the form token of a
    page it has open (the form-token cookie is set too)."""
    use_session(client, staff["facilitator"])
    return await token_from(client, "/console")


async def test_the_reproduced_attack_creates_no_process(client, db, signed_in):
    community = await a_community(db)
    url = f"/api/v1/communities/{community}/processes"
    payload = body({"title": "跨站伪造的议题"})
    for headers in (ATTACKER, SAME_SITE):
        assert_refused(await client.post(url, content=payload, headers=headers))
    assert await processes(db) == 0


async def test_the_reproduced_attack_moves_no_round(client, db, staff, signed_in):
    round_id = await make_round(db, phase="scheduled")
    url = f"/api/v1/rounds/{round_id}/phase"
    for headers in (ATTACKER, SAME_SITE):
        assert_refused(await client.post(url, content=body({"to": "commenting"}), headers=headers))
    db.expire_all()
    assert await db.scalar(select(Round.phase).where(Round.id == round_id)) == "scheduled"
    # the same change with a bearer token goes through: the refusal above was the rule's
    moved = await client.post(url, json={"to": "commenting"}, headers=staff["facilitator"])
    assert moved.status_code == 200, moved.text


async def test_this_sites_pages_may_call_the_api_with_the_form_token(client, db, signed_in):
    community = await a_community(db)
    answer = await client.post(
        f"/api/v1/communities/{community}/processes",
        json={"title": "积水路段改造"},
        headers={"X-CSRFToken": signed_in, "Sec-Fetch-Site": "same-origin"},
    )
    assert answer.status_code == 201, answer.text
    assert await processes(db) == 1


@pytest.mark.parametrize(
    "token",
    ["", "0" * 128, "not a token"],
    ids=["missing", "forged", "garbage"],
)
async def test_a_missing_or_forged_form_token_is_refused(client, db, signed_in, token):
    community = await a_community(db)
    answer = await client.post(
        f"/api/v1/communities/{community}/processes",
        json={"title": "积水路段改造"},
        headers={"X-CSRFToken": token} if token else {},
    )
    assert_refused(answer)
    assert await processes(db) == 0


async def test_another_browsers_form_token_is_refused(client, db, staff, signed_in):
    """A valid token, but not the one matching this browser's cookie."""
    community = await a_community(db)
    client.cookies.delete("redbench_csrf")
    theirs = signed_in
    await token_from(client, "/console")  # this browser gets a cookie of its own
    answer = await client.post(
        f"/api/v1/communities/{community}/processes",
        json={"title": "积水路段改造"},
        headers={"X-CSRFToken": theirs},
    )
    assert_refused(answer)


async def test_the_form_token_from_another_origin_is_still_refused(client, db, signed_in):
    community = await a_community(db)
    answer = await client.post(
        f"/api/v1/communities/{community}/processes",
        json={"title": "积水路段改造"},
        headers={"X-CSRFToken": signed_in, "Sec-Fetch-Site": "same-site"},
    )
    assert_refused(answer)


async def test_bearer_tokens_are_not_affected(client, db, staff, signed_in):
    community = await a_community(db)
    answer = await client.post(
        f"/api/v1/communities/{community}/processes",
        content=body({"title": "积水路段改造"}),
        headers={**staff["facilitator"], "Content-Type": "text/plain"},
    )
    assert answer.status_code == 201, answer.text


async def test_reading_with_the_session_cookie_needs_no_token(client, db, signed_in):
    community = await a_community(db)
    answer = await client.get(f"/api/v1/communities/{community}/processes")
    assert answer.status_code == 200


async def test_other_origins_cannot_sign_a_browser_in(client, db):
    await make_staff(db, "facilitator", "wang")
    credentials = body({"username": "wang", "password": PASSWORD})
    assert_refused(await client.post("/api/v1/auth/login", content=credentials, headers=SAME_SITE))
    answer = await client.post("/api/v1/auth/login", content=credentials)
    assert answer.status_code == 200  # a script (no browser's marks) signs in as before


async def test_casting_from_another_origins_page_is_refused(client, db):
    round_id = await make_round(db)
    ballot = {"code": "ABCDE-FGHJK", "key": "k" * 16, "ballot": {"kind": "ranked", "ranking": []}}
    marked = {"Sec-Fetch-Site": "cross-site", "Content-Type": "text/plain"}
    url = f"/api/v1/rounds/{round_id}/ballots"
    assert_refused(await client.post(url, content=body(ballot), headers=marked))
    plain = await client.post(url, json=ballot)  # a tablet, or a script: the usual answers
    assert plain.status_code != 403


def test_the_pages_scripts_never_call_the_api():
    """The pages' scripts post to the pages (under the pages' own form-token check); were
    one to post to the API with the session cookie, it would need the X-CSRFToken header."""
    for script in STATIC.glob("*.js"):
        assert "/api/" not in script.read_text(encoding="utf-8"), script.name
    for template in TEMPLATES.rglob("*.html"):
        html = template.read_text(encoding="utf-8")
        assert not re.search(r'(action|data-url)="/api/', html), template.name
