"""Driving the pages through the test client as a browser would: reading the form token
from a page, posting forms with it, signing in with the session cookie, setting a process
and round up with the console's forms, enrolling a tablet and delivering the ballots it
kept."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from service.auth.guard import SESSION_COOKIE
from service.web.tablets import TABLET_COOKIE
from tests.support.park import PARK
from tests.support.rounds import ranked

_TOKEN = re.compile(r'<meta name="csrf-token" content="([0-9a-f]+)">')


async def token_from(client: Any, path: str = "/board", **kwargs: Any) -> str:
    """The form token a page carries (the page sets the matching cookie)."""
    response = await client.get(path, **kwargs)
    found = _TOKEN.search(response.text)
    assert found, f"no form token on {path}: {response.status_code} {response.text[:300]}"
    return found.group(1)


async def post_form(
    client: Any, path: str, data: dict[str, Any], *, token: str | None = None, **kwargs: Any
) -> Any:
    """Post ``data`` as an HTML form with a valid form token."""
    token = token or await token_from(client)
    return await client.post(path, data={**data, "_csrf_token": token}, **kwargs)


def use_session(client: Any, headers: dict[str, str]) -> None:
    """Sign the client in with the session cookie of a staff member's token."""
    token = headers["Authorization"].removeprefix("Bearer ")
    client.cookies.set(SESSION_COOKIE, token, domain="testserver.local", path="/")


async def enrol(client: Any, headers: dict[str, str], round_id: int) -> str:
    """Enrol the client as the ballot tablet of ``round_id``; the tablet cookie's value."""
    use_session(client, headers)
    response = await post_form(
        client, "/kiosk/enrol", {"round_id": round_id}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/kiosk"
    return str(client.cookies.get(TABLET_COOKIE, path="/kiosk"))


def labels_of(html: str, css_class: str) -> list[str]:
    """The texts of the elements of class ``css_class`` in a page (flat, no nesting)."""
    pattern = re.compile(rf'class="[^"]*\b{re.escape(css_class)}\b[^"]*"[^>]*>([^<]*)<')
    return [text.strip() for text in pattern.findall(html)]


async def set_up(
    client: Any, staff: dict[str, dict[str, str]], **round_form: str
) -> dict[str, int]:
    """Community (API), then a process, three options and a round through the forms."""
    community = await client.post(
        "/api/v1/communities",
        json={"name": f"杜集社区{uuid.uuid4().hex[:4]}"},
        headers=staff["admin"],
    )
    cid = community.json()["id"]
    use_session(client, staff["facilitator"])
    created = await post_form(
        client,
        "/console/processes",
        {"community_id": cid, "title": "口袋公园建设方案", "question": "先建哪些设施？"},
        follow_redirects=False,
    )
    assert created.status_code == 303, created.text
    process_id = int(created.headers["location"].rsplit("/", 1)[1])
    for name, cost in zip(PARK[:3], ["120,000", "80000", "30000.50"], strict=True):
        added = await post_form(
            client,
            f"/console/processes/{process_id}/proposals",
            {"title": name, "description": f"{name}的说明", "cost": cost, "author": "代赵阿姨提出"},
        )
        assert added.status_code == 200, added.text
    page = await client.get(f"/console/processes/{process_id}")
    ids = re.findall(r'name="proposal_ids" value="(\d+)"', page.text)
    form = {"title": "设施排序", "method": "irv", "tie_policy": "lot", "proposal_ids": ids}
    form["allow_truncation"] = "1"
    form.update(round_form)
    made = await post_form(
        client, f"/console/processes/{process_id}/rounds", form, follow_redirects=False
    )
    assert made.status_code == 303, made.text
    round_id = int(made.headers["location"].rsplit("/", 1)[1])
    return {"community": cid, "process": process_id, "round": round_id}


async def to_phase(client: Any, round_id: int, phase: str) -> Any:
    """Move the round to ``phase`` with the console's form."""
    return await post_form(client, f"/console/rounds/{round_id}/phase", {"to": phase})


async def kiosk_token(client: Any) -> dict[str, str]:
    """The header carrying the tablet page's form token, for the tablet script's posts."""
    return {"x-csrftoken": await token_from(client, "/kiosk")}


async def enrol_tablet(client: Any, headers: dict[str, str], round_id: int) -> str:
    """Enrol the client as a tablet of ``round_id``; the delivery ticket its ballot page
    gives the tablet's script for the ballots it keeps."""
    await enrol(client, headers, round_id)
    page = await client.get("/kiosk")
    data = json.loads(re.search(r'id="kiosk-data">(.*?)</script>', page.text).group(1))
    assert data["round"] == round_id
    return str(data["ticket"])


def kept(round_id: int, ticket: str, code: str, *names: str, key: str = "") -> dict[str, Any]:
    """A ballot as the tablet keeps it."""
    return {
        "round_id": round_id,
        "ticket": ticket,
        "code": code,
        "key": key or uuid.uuid4().hex,
        "ballot": ranked(*(names or PARK[:2])),
    }


async def deliver(client: Any, item: dict[str, Any]) -> Any:
    """Deliver a kept ballot as the tablet's script does when it is back online."""
    headers = {"x-csrftoken": await token_from(client, "/board")}
    return await client.post("/kiosk/queued", json=item, headers=headers)
