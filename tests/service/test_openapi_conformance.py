"""Real answers against the OpenAPI document, on every database: the whole life of the
pocket park through the API — sign-in, communities, requests, proposals, rounds (one
cancelled), comments, codes and slips, casting and its replay, results, receipts, the
ballot list, the bundle, every export, tasks, notes, photos, feedback, close-out, users —
and the usual refusals along the way (a wrong password, a used code, an unknown one, a
frozen round, a hidden result, a bad tracker, a wrong export). Every answer goes through
Schemathesis's checks against the document the app serves: its status documented, its
content type, its body valid for the schema of that status, its documented headers.

The fuzzing (``tests/load/test_schema.py``) sends generated requests and meets mostly
refusals; this walk makes sure every success the service gives, downloads included,
matches what the document promises.
"""

from __future__ import annotations

import base64
import secrets
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import schemathesis
from litestar.testing import AsyncTestClient
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import update

from service.app import create_app
from service.db.models import Community
from service.db.street import Meeting, Street
from service.openapi.served import document
from service.records.exports import FORMATS
from service.settings import Settings
from tests.support.app import PASSWORD, SECRET, make_staff
from tests.support.documents import png
from tests.support.feedback import give
from tests.support.records_demo import Demo, build_demo
from tests.support.roll import roll_csv
from tests.support.rounds import SECURE, ensure_phone_window, make_round

DOCUMENT = document(
    create_app(Settings(database_url="sqlite+aiosqlite:///:memory:", secret_key=SECRET))
)
SCHEMA = schemathesis.openapi.from_dict(DOCUMENT)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


class Api:
    """The test client, checking every answer against the document."""

    def __init__(self, client: AsyncTestClient[Any], staff: dict[str, dict[str, str]]) -> None:
        self.client = client
        self.staff = staff
        self.seen: set[tuple[str, str, int]] = set()

    async def __call__(
        self, method: str, url: str, status: int, as_: str | None = None, **kwargs: Any
    ) -> Any:
        headers = {**(self.staff[as_] if as_ else {}), **kwargs.pop("headers", {})}
        response = await self.client.request(method, url, headers=headers, **kwargs)
        said = f"{method} {url}: {response.status_code} {response.text[:300]}"
        assert response.status_code == status, said
        operation = SCHEMA.find_operation_by_path(method, response.request.url.path)
        assert operation is not None, f"{method} {url} is not in the document"
        parameters = {
            name[1:-1]: value
            for name, value in zip(
                operation.path.split("/"), response.request.url.path.split("/"), strict=True
            )
            if name.startswith("{")
        }
        operation.Case(path_parameters=parameters).validate_response(response, checks=CHECKS)
        self.seen.add((method, operation.path, status))
        if "json" in response.headers.get("content-type", ""):
            return response.json()
        return response


@pytest.fixture
async def api(client: AsyncTestClient[Any], staff: dict[str, dict[str, str]]) -> Api:
    return Api(client, staff)


async def accounts(api: Api) -> None:
    await api("GET", "/api/v1/ping", 200)
    session = await api(
        "POST", "/api/v1/auth/login", 200, json={"username": "admin-user", "password": PASSWORD}
    )
    api.client.cookies.clear()  # the session cookie: the calls below say who they are
    await api(
        "GET", "/api/v1/auth/me", 200, headers={"Authorization": f"Bearer {session['token']}"}
    )
    await api(
        "POST", "/api/v1/auth/login", 401, json={"username": "admin-user", "password": "wrong"}
    )
    await api("POST", "/api/v1/auth/login", 400, json={"username": 1})
    users = await api("GET", "/api/v1/users", 200, "admin")
    made = await api(
        "POST",
        "/api/v1/users",
        201,
        "admin",
        json={
            "username": "li",
            "display_name": "李书记",
            "role": "secretary",
            "password": "a long password",
        },
    )
    await api("PATCH", f"/api/v1/users/{made['id']}", 200, "admin", json={"active": False})
    admin = next(u for u in users if u["role"] == "admin")
    await api("PATCH", f"/api/v1/users/{admin['id']}", 409, "admin", json={"role": "secretary"})
    await api("PATCH", "/api/v1/users/99999", 404, "admin", json={"active": True})
    await api("GET", "/api/v1/users", 401)
    await api("GET", "/api/v1/users", 403, "facilitator")
    await api("GET", "/api/v1/users", 401, headers={"Authorization": "Bearer stale"})
    await api("GET", "/api/v1/rounds/1/result", 401, headers={"Authorization": "Bearer stale"})
    await api(
        "POST",
        "/api/v1/auth/logout",
        204,
        headers={"Authorization": f"Bearer {session['token']}"},
    )


async def records(api: Api, demo: Demo) -> None:
    r1, r2, pid = demo.round1, demo.round2, demo.process_id
    for rid in (r1, r2):
        await api("GET", f"/api/v1/rounds/{rid}/result", 200)
        await api("GET", f"/api/v1/rounds/{rid}/bundle", 200)
        await api("GET", f"/api/v1/rounds/{rid}/poster", 200, params={"size": "A3"})
        page = await api("GET", f"/api/v1/rounds/{rid}/ballots", 200, params={"limit": 2})
        after = {"limit": 2, "after": page["next"]}  # sealed receipts: a ballot's JSON
        await api("GET", f"/api/v1/rounds/{rid}/ballots", 200, params=after)
        listed = await api("GET", f"/api/v1/rounds/{rid}/trackers", 200, params={"limit": 5})
        await api(
            "GET",
            f"/api/v1/rounds/{rid}/trackers",
            200,
            params={"limit": 5, "after": listed["next"]},
        )
        tracker = listed["trackers"][0]
        await api("GET", f"/api/v1/rounds/{rid}/receipts/{tracker}", 200)
        await api("GET", f"/api/v1/rounds/{rid}/receipts/{tracker[:8]}", 200)
        await api("GET", f"/api/v1/rounds/{rid}/receipts/not-a-tracker!", 422)
        for fmt in FORMATS:
            fits = not FORMATS[fmt].kinds or FORMATS[fmt].kinds == (
                ("ranked",) if rid == r1 else ("budget",)
            )
            await api(
                "GET", f"/api/v1/rounds/{rid}/exports/{fmt}", 200 if fits else 422, "secretary"
            )
    await api("GET", "/api/v1/exports", 200, "grid_worker")
    await api("GET", f"/api/v1/rounds/{r1}/exports/nonsense", 422, "secretary")
    await api("GET", f"/api/v1/rounds/{r1}/exports/json", 403, "facilitator")
    for fmt in ("json", "pdf", "xlsx"):
        await api("GET", f"/api/v1/processes/{pid}/exports/{fmt}", 200, "admin")
    await api("GET", f"/api/v1/rounds/{r1}/comments", 200, "grid_worker", params={"view": "flat"})
    await api("GET", f"/api/v1/rounds/{r1}/comments", 200, "grid_worker")
    await api("GET", f"/api/v1/rounds/{r1}/comments/summary", 200, "grid_worker")
    await api("GET", f"/api/v1/rounds/{r1}", 200, "grid_worker")
    await api("PATCH", f"/api/v1/rounds/{r1}", 409, "facilitator", json={"title": "改名"})
    await api("GET", f"/api/v1/rounds/{r1}/turnout", 200, "secretary")
    await api("GET", f"/api/v1/rounds/{r1}/late-ballots", 200, "secretary")
    await api("GET", f"/api/v1/processes/{pid}", 200, "grid_worker")
    await api("GET", f"/api/v1/processes/{pid}/rounds", 200, "grid_worker")
    await api("GET", f"/api/v1/processes/{pid}/proposals", 200, "grid_worker")
    await api("GET", f"/api/v1/proposals/{demo.proposal_ids[0]}", 200, "grid_worker")
    await api("GET", f"/api/v1/communities/{demo.community_id}", 200, "grid_worker")
    await api("GET", "/api/v1/communities", 200, "grid_worker")
    await api("GET", f"/api/v1/communities/{demo.community_id}/processes", 200, "grid_worker")


async def voting(api: Api, demo: Demo) -> None:
    cid = demo.community_id
    await api("POST", f"/api/v1/communities/{cid}/grids", 201, "admin", json={"name": "第一网格"})
    request = await api(
        "POST",
        f"/api/v1/communities/{cid}/requests",
        201,
        "grid_worker",
        json={"body": "晚上公园没有照明"},
    )
    await api(
        "GET", f"/api/v1/communities/{cid}/requests", 200, "grid_worker", params={"status": "open"}
    )
    await api("GET", f"/api/v1/requests/{request['id']}", 200, "grid_worker")
    promoted = await api(
        "POST",
        f"/api/v1/requests/{request['id']}/promote",
        200,
        "facilitator",
        json={"title": "公园照明", "question": "装几盏路灯？"},
    )
    await api(
        "POST",
        f"/api/v1/requests/{request['id']}/decline",
        409,
        "facilitator",
        json={"reason": "重复"},
    )
    pid = promoted["process_id"]
    ids = []
    for title in ("太阳能路灯", "普通路灯"):
        made = await api(
            "POST",
            f"/api/v1/processes/{pid}/proposals",
            201,
            "facilitator",
            json={"title": title, "cost": 1200.5},
        )
        ids.append(made["id"])
    await api(
        "PATCH", f"/api/v1/proposals/{ids[0]}", 200, "facilitator", json={"description": "更省电"}
    )
    extra = await api(
        "POST", f"/api/v1/processes/{pid}/proposals", 201, "facilitator", json={"title": "不装"}
    )
    await api(
        "POST",
        f"/api/v1/proposals/{extra['id']}/withdraw",
        200,
        "facilitator",
        json={"reason": "无人支持"},
    )
    round_ = await api(
        "POST",
        f"/api/v1/processes/{pid}/rounds",
        201,
        "facilitator",
        json={"title": "投票", "ballot_kind": "ranked", "method": "irv", "proposal_ids": ids},
    )
    rid = round_["id"]
    mistake = await api(
        "POST",
        f"/api/v1/processes/{pid}/rounds",
        201,
        "facilitator",
        json={"title": "建错了", "ballot_kind": "ranked", "method": "irv", "proposal_ids": ids},
    )
    cancel = {"reason": "重复建立的轮次"}
    await api("POST", f"/api/v1/rounds/{mistake['id']}/cancel", 200, "facilitator", json=cancel)
    await api("POST", f"/api/v1/rounds/{mistake['id']}/cancel", 409, "facilitator", json=cancel)
    await api("POST", f"/api/v1/rounds/{mistake['id']}/cancel", 400, "facilitator", json={})
    await api(
        "PUT", f"/api/v1/rounds/{rid}/slate", 200, "facilitator", json={"proposal_ids": ids[::-1]}
    )
    await api("POST", f"/api/v1/rounds/{rid}/phase", 200, "facilitator", json={"to": "commenting"})
    comment = await api(
        "POST",
        f"/api/v1/rounds/{rid}/comments",
        201,
        "facilitator",
        json={"stance": "question", "body": "电费谁出？", "proposal_id": ids[0]},
    )
    await api(
        "POST",
        f"/api/v1/comments/{comment['id']}/hide",
        200,
        "facilitator",
        json={"reason": "离题"},
    )
    await api(
        "POST",
        f"/api/v1/comments/{comment['id']}/hide",
        409,
        "facilitator",
        json={"reason": "离题"},
    )
    await api("POST", f"/api/v1/rounds/{rid}/phase", 200, "facilitator", json={"to": "voting"})
    await ensure_phone_window(api.client, api.staff["facilitator"], rid)  # casts from home
    await api("POST", f"/api/v1/rounds/{rid}/cancel", 409, "facilitator", json=cancel)
    await api("GET", f"/api/v1/rounds/{rid}/result", 409, "facilitator")
    issued = await api("POST", f"/api/v1/rounds/{rid}/codes", 201, "facilitator", json={"count": 3})
    codes = [c["code"] for c in issued["codes"]]
    slips = await api(
        "POST", f"/api/v1/rounds/{rid}/code-slips", 201, "facilitator", json={"count": 1}
    )
    assert slips.content.startswith(b"%PDF")
    ballot = {"kind": "ranked", "ranking": [["太阳能路灯"], ["普通路灯"]]}
    cast = {"code": codes[0], "key": secrets.token_urlsafe(16), "ballot": ballot}
    await api("POST", f"/api/v1/rounds/{rid}/ballots", 201, json=cast)
    await api("POST", f"/api/v1/rounds/{rid}/ballots", 200, json=cast)  # the retry
    again = {**cast, "key": secrets.token_urlsafe(16)}
    await api("POST", f"/api/v1/rounds/{rid}/ballots", 409, json=again)  # the code is used
    unknown = {**again, "code": "AAAAA-AAAAA"}
    await api("POST", f"/api/v1/rounds/{rid}/ballots", 404, json=unknown)
    wrong = {
        "code": codes[1],
        "key": secrets.token_urlsafe(16),
        "ballot": {"kind": "ranked", "ranking": [["无此方案"]]},
    }
    await api("POST", f"/api/v1/rounds/{rid}/ballots", 422, json=wrong)
    await api(
        "POST",
        f"/api/v1/rounds/{rid}/ballots",
        403,
        json=cast,
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    await api(
        "POST",
        f"/api/v1/rounds/{rid}/codes/void",
        200,
        "facilitator",
        json={"code": codes[2], "reason": "纸条丢失"},
    )
    await api("GET", f"/api/v1/rounds/{rid}/turnout", 200, "facilitator")
    # issue 16: an assisted vote counted, the counts read
    await api(
        "POST", f"/api/v1/rounds/{rid}/assistance", 201, "facilitator", json={"kind": "staff"}
    )
    await api("GET", f"/api/v1/rounds/{rid}/assistance", 200, "secretary")
    phone = f"/api/v1/rounds/{rid}/phone-window"
    later = {"until": "2099-01-01T20:00:00+08:00"}
    await api("PUT", phone, 409, "facilitator", json=later)  # plain http: phone-window-insecure
    await api("PUT", f"{SECURE}{phone}", 200, "facilitator", json=later)
    await api(
        "PUT", f"{SECURE}{phone}", 422, "facilitator", json={"until": "2000-01-01T20:00:00+08:00"}
    )
    await api("GET", phone, 200, "secretary")
    await api("POST", f"/api/v1/rounds/{rid}/phase", 200, "facilitator", json={"to": "closed"})
    await api("PUT", phone, 409, "facilitator", json={"until": None})
    await api("GET", f"/api/v1/rounds/{rid}/result", 409)  # closed, not published
    await api("GET", f"/api/v1/rounds/{rid}/result", 200, "secretary")


async def processes(api: Api) -> None:
    community = await api("POST", "/api/v1/communities", 201, "admin", json={"name": "东湖社区"})
    await api("POST", "/api/v1/communities", 409, "admin", json={"name": "东湖社区"})
    where = f"/api/v1/communities/{community['id']}"
    await api("PATCH", where, 200, "admin", json={"time_zone": "Asia/Urumqi"})
    await api("PATCH", where, 422, "admin", json={"time_zone": "东湖时间"})
    process = await api(
        "POST",
        f"/api/v1/communities/{community['id']}/processes",
        201,
        "facilitator",
        json={"title": "积水路段改造", "question": "先修哪一段？"},
    )
    pid = process["id"]
    first, second = [
        await api(
            "POST", f"/api/v1/processes/{pid}/proposals", 201, "facilitator", json={"title": t}
        )
        for t in ("加装排水管", "抬高路面")
    ]
    await api(
        "POST",
        f"/api/v1/proposals/{second['id']}/merge",
        200,
        "facilitator",
        json={"into": first["id"], "reason": "两案合并"},
    )
    await api(
        "POST", f"/api/v1/processes/{pid}/phase", 200, "facilitator", json={"to": "deliberating"}
    )
    await api("POST", f"/api/v1/processes/{pid}/phase", 403, "facilitator", json={"to": "closed"})


async def loop(api: Api, demo: Demo) -> None:
    pid = demo.process_id
    soon = (date.today() + timedelta(days=30)).isoformat()
    task = await api(
        "POST",
        f"/api/v1/processes/{pid}/tasks",
        201,
        "secretary",
        json={
            "title": "安装滑梯",
            "owner": "居委会",
            "due_on": soon,
            "proposal_id": demo.proposal_ids[0],
        },
    )
    await api("PATCH", f"/api/v1/tasks/{task['id']}", 200, "secretary", json={"owner": "物业公司"})
    await api("GET", f"/api/v1/tasks/{task['id']}", 200, "grid_worker")
    await api("GET", f"/api/v1/processes/{pid}/tasks", 200, "grid_worker")
    await api(
        "GET", "/api/v1/tasks/overdue", 200, "secretary", params={"community_id": demo.community_id}
    )
    note = await api(
        "POST",
        f"/api/v1/tasks/{task['id']}/notes",
        201,
        "secretary",
        json={"body": "已到货", "progress": 50},
    )
    photos = await api(
        "POST",
        f"/api/v1/task-notes/{note['id']}/photos",
        201,
        "secretary",
        files=[("photos", ("滑梯.png", png(), "image/png"))],
    )
    await api(
        "POST",
        f"/api/v1/task-notes/{note['id']}/photos",
        415,
        "secretary",
        files=[("photos", ("滑梯.png", b"not an image", "image/png"))],
    )
    shown = await api("GET", photos[0]["url"], 200)
    assert shown.headers["cache-control"] == "public, max-age=86400"  # its own, kept
    await api(
        "POST",
        f"/api/v1/tasks/{task['id']}/notes",
        201,
        "secretary",
        json={"body": "完工", "status": "done"},
    )
    await api(
        "POST",
        f"/api/v1/processes/{pid}/feedback",
        201,
        "secretary",
        json={"channel": "bench", "held_on": "2026-07-01", "satisfied": 30, "dissatisfied": 2},
    )
    await api("GET", f"/api/v1/processes/{pid}/feedback", 200, "grid_worker")
    for verdict in ("satisfied", "dissatisfied"):  # residents' feedback, given on the board
        assert (await give(api.client, demo, verdict=verdict)).status_code == 303
    first, second = await api("GET", f"/api/v1/processes/{pid}/resident-feedback", 200, "secretary")
    await api("POST", f"/api/v1/resident-feedback/{first['id']}/approve", 200, "secretary")
    await api(
        "POST",
        f"/api/v1/resident-feedback/{second['id']}/reject",
        200,
        "secretary",
        json={"reason": "重复提交"},
    )
    await api(
        "POST", f"/api/v1/processes/{pid}/close-out", 200, "secretary", json={"note": "已完成"}
    )
    await api(
        "POST", f"/api/v1/processes/{pid}/reopen", 200, "secretary", json={"reason": "照明还没装"}
    )
    await api("GET", f"/api/v1/processes/{pid}/loop", 200, "grid_worker")
    await api("GET", f"/api/v1/communities/{demo.community_id}/board", 200)


async def roll_and_proxies(api: Api, demo: Demo, db: Any) -> None:
    base = f"/api/v1/communities/{demo.community_id}/households"
    data = base64.b64encode(roll_csv("3,2,101,王建国,", "3,2,102,,")).decode()
    await api("POST", f"{base}/import", 200, "grid_worker", json={"file": data, "dry_run": False})
    await api("GET", base, 200, "secretary", params={"building": "3"})
    made = await api("POST", base, 201, "facilitator", json={"building": "5", "flat": "101"})
    await api("PATCH", f"{base}/{made['id']}", 200, "admin", json={"head": "赵强"})
    round_id = await make_round(db, household_roll=True, phase="scheduled")
    rounds = f"/api/v1/rounds/{round_id}"
    await api(
        "POST", f"{rounds}/codes", 201, "facilitator", json={"households": ["1-101", "1-102"]}
    )
    await api("PUT", f"{rounds}/proxy-limit", 200, "secretary", json={"limit": 2})
    proxy = await api(
        "POST",
        f"{rounds}/proxies",
        201,
        "facilitator",
        json={
            "grantor": "1-101",
            "holder_name": "王芳",
            "signed_on": "2026-12-01",
            "photo": base64.b64encode(png()).decode(),
        },
    )
    await api("GET", f"{rounds}/proxies", 200, "secretary")
    await api("GET", f"{rounds}/proxies/{proxy['id']}/photo", 200, "secretary")
    await api(
        "POST", f"{rounds}/proxies/{proxy['id']}/revoke", 200, "admin", json={"reason": "重登"}
    )


async def paper(api: Api, db: Any) -> None:
    """Paper ballots: printed, keyed twice with one difference, the difference decided, and
    the usual refusals."""
    round_id = await make_round(db)
    base = f"/api/v1/rounds/{round_id}"
    issued = await api("POST", f"{base}/codes", 201, "facilitator", json={"count": 1})
    code = issued["codes"][0]["code"]
    pdf = f"{base}/paper-ballots.pdf"
    await api("GET", pdf, 200, "facilitator", params={"count": 2, "size": "A5"})
    await api("GET", pdf, 422, "facilitator", params={"size": "B5"})
    entry = {"serial": 1, "code": code, "verdict": "ballot", "marks": [2, None, 1, None, None, 3]}
    entries = f"{base}/paper/entries"
    await api("POST", entries, 200, "grid_worker", json=entry)
    await api("POST", entries, 409, "grid_worker", json=entry)  # the same clerk again
    await api("POST", entries, 422, "grid_worker", json={**entry, "serial": 9})  # not printed
    wrong = {**entry, "marks": [3, None, 1, None, None, 2]}
    await api("POST", entries, 200, "secretary", json=wrong)
    await api("GET", f"{base}/paper/mismatches", 200, "facilitator")
    decision = {"serial": 1, "choose": 1, "reason": "核对原票"}
    decide = f"{base}/paper/adjudications"
    await api("POST", decide, 409, "secretary", json=decision)  # a clerk of the serial
    await api("POST", decide, 200, "facilitator", json=decision)
    await api("GET", f"{base}/paper", 200, "grid_worker")


async def team_and_figures(api: Api, demo: Demo, db: Any) -> None:
    """The red-bench team and the figures of a street and a community (issue 17)."""
    team = f"/api/v1/communities/{demo.community_id}/team"
    member = {"name": "王建国", "role": "party_member", "phone": "13800000001"}
    made = await api("POST", team, 201, "secretary", json=member)
    await api("POST", team, 422, "secretary", json={**member, "phone_public": True})
    await api("PATCH", f"/api/v1/team/{made['id']}", 200, "facilitator", json={"active": False})
    await api("GET", team, 200, "grid_worker")
    street = Street(name="濉溪街道")
    db.add(street)
    await db.flush()
    await db.execute(
        update(Community).where(Community.id == demo.community_id).values(street_id=street.id)
    )
    await db.commit()
    for base in (f"/api/v1/streets/{street.id}", f"/api/v1/communities/{demo.community_id}"):
        await api("GET", f"{base}/figures", 200, "admin", params={"year": 2026})
        await api("GET", f"{base}/figures", 422, "admin", params={"year": 1999})
        await api("GET", f"{base}/figures.xlsx", 200, "admin")


async def meetings(api: Api, demo: Demo) -> None:
    """A meeting of the demo's community with its round on the agenda, and a site survey."""
    meeting = await api(
        "POST",
        f"/api/v1/communities/{demo.community_id}/meetings",
        201,
        "facilitator",
        json={"kind": "deliberation", "title": "议事会", "starts_at": "2026-12-05T19:00:00+08:00"},
    )
    base = f"/api/v1/meetings/{meeting['id']}"
    await api("GET", f"/api/v1/communities/{demo.community_id}/meetings", 200, "grid_worker")
    await api("PATCH", base, 200, "facilitator", json={"place": "百姓说事点"})
    items = await api("POST", f"{base}/items", 201, "facilitator", json={"round_id": demo.round1})
    items = await api("POST", f"{base}/items", 201, "facilitator", json={"note": "其他事项"})
    await api("POST", f"{base}/items", 422, "facilitator", json={})
    order = [items[1]["id"], items[0]["id"]]
    await api("PUT", f"{base}/agenda", 200, "facilitator", json={"order": order})
    await api("DELETE", f"{base}/items/{items[1]['id']}", 200, "facilitator")
    await api(
        "PATCH", f"{base}/items/{items[0]['id']}", 200, "facilitator", json={"decision": "同意"}
    )
    await api("GET", f"{base}/items", 200, "grid_worker")
    counts = {"party_member": 3, "resident": 9}
    await api("PUT", f"{base}/attendance", 200, "facilitator", json={"counts": counts})
    await api("GET", f"{base}/attendance", 200, "secretary")
    photos = await api(
        "POST",
        f"{base}/photos",
        201,
        "facilitator",
        files=[("photos", ("议事.png", png(), "image/png"))],
        data={"caption": "议事现场"},
    )
    await api("GET", f"{base}/photos", 200, "secretary")
    await api("GET", photos[0]["url"], 200, "secretary")
    await api("POST", f"{base}/held", 200, "facilitator", json={})
    await api("PATCH", base, 409, "facilitator", json={"place": "活动室"})
    draft = await api("GET", f"{base}/minutes/draft", 200, "facilitator")
    await api("PUT", f"{base}/minutes", 200, "facilitator", json={"minutes": draft["text"]})
    await api("GET", base, 200, "grid_worker")
    await api("GET", f"{base}/sign-in-sheet", 200, "secretary")
    await api("GET", f"{base}/record", 200, "secretary")
    other = await api(
        "POST",
        f"/api/v1/communities/{demo.community_id}/meetings",
        201,
        "facilitator",
        json={"kind": "visit", "title": "走访", "starts_at": "2026-12-06T09:00:00+08:00"},
    )
    await api(
        "POST", f"/api/v1/meetings/{other['id']}/cancel", 200, "facilitator", json={"reason": "雨"}
    )
    survey = await api(
        "POST",
        f"/api/v1/processes/{demo.process_id}/surveys",
        201,
        "secretary",
        json={"surveyed_on": "2026-11-20", "surveyor": "设计院", "measurements": []},
    )
    shots = await api(
        "POST",
        f"/api/v1/surveys/{survey['id']}/photos",
        201,
        "secretary",
        files=[("photos", ("现场.png", png(), "image/png"))],
    )
    await api("GET", shots[0]["url"], 200, "grid_worker")
    await api("GET", f"/api/v1/processes/{demo.process_id}/surveys", 200, "grid_worker")


async def street_requests(api: Api, demo: Demo, db: Any) -> None:
    """Issue 17, part B: a street and a branch, a request logged with a photo, on the spot,
    onto a meeting's agenda, escalated, taken on, answered, returned, closed, re-opened."""
    cid = demo.community_id
    street = await api("POST", "/api/v1/streets", 201, "admin", json={"name": "矿山集街道"})
    await api("POST", "/api/v1/streets", 409, "admin", json={"name": "矿山集街道"})
    await api("GET", "/api/v1/streets", 200, "admin")
    await api("GET", f"/api/v1/streets/{street['id']}", 200, "admin")
    await api(
        "PUT", f"/api/v1/communities/{cid}/street", 200, "admin", json={"street_id": street["id"]}
    )
    grid = await api(
        "POST", f"/api/v1/communities/{cid}/grids", 201, "admin", json={"name": "第九网格"}
    )
    branch = await api(
        "POST",
        f"/api/v1/communities/{cid}/branches",
        201,
        "admin",
        json={"name": "第九网格党支部", "grid_ids": []},
    )
    await api(
        "PUT", f"/api/v1/grids/{grid['id']}/branch", 200, "admin", json={"branch_id": branch["id"]}
    )
    await api("GET", f"/api/v1/communities/{cid}/branches", 200, "grid_worker")
    api.staff["street"] = await make_staff(db, "street", "conform-street", street_id=street["id"])

    def logged(body: str) -> Any:
        return api(
            "POST",
            f"/api/v1/communities/{cid}/requests",
            201,
            "grid_worker",
            json={"body": body, "place": "北门", "category": "roads", "raised_by": "王大爷"},
        )

    quick, agenda, far = await logged("台阶破损"), await logged("停车难"), await logged("雨水管堵")
    photos = await api(
        "POST",
        f"/api/v1/requests/{far['id']}/photos",
        201,
        "grid_worker",
        files=[("photos", ("a.png", png(), "image/png"))],
    )
    await api(
        "POST",
        f"/api/v1/requests/{quick['id']}/on-spot",
        200,
        "grid_worker",
        json={"note": "已修补"},
    )
    await api(
        "POST", f"/api/v1/requests/{quick['id']}/on-spot", 409, "grid_worker", json={"note": "再"}
    )
    meeting = Meeting(
        community_id=cid, kind="deliberation", title="停车议事会", starts_at=datetime.now(UTC)
    )
    db.add(meeting)
    await db.commit()
    await api(
        "POST",
        f"/api/v1/requests/{agenda['id']}/to-meeting",
        200,
        "facilitator",
        json={"meeting_id": meeting.id},
    )
    await api(
        "POST",
        f"/api/v1/requests/{far['id']}/escalate",
        200,
        "grid_worker",
        json={"note": "需街道"},
    )
    await api(
        "GET",
        f"/api/v1/streets/{street['id']}/escalations",
        200,
        "street",
        params={"state": "pending"},
    )
    await api("GET", f"/api/v1/requests/{far['id']}", 200, "street")
    await api("GET", photos[0]["url"], 200, "street")
    await api(
        "POST", f"/api/v1/requests/{far['id']}/assign", 200, "street", json={"assignee": "城管科"}
    )
    await api(
        "POST", f"/api/v1/requests/{far['id']}/answer", 200, "street", json={"answer": "已疏通"}
    )
    await api(
        "POST", f"/api/v1/requests/{far['id']}/return", 200, "street", json={"note": "请回访"}
    )
    await api("POST", f"/api/v1/requests/{far['id']}/answer", 409, "street", json={"answer": "再"})
    await api(
        "POST",
        f"/api/v1/requests/{far['id']}/close",
        200,
        "secretary",
        json={"note": "已办结", "satisfaction": "satisfied"},
    )
    await api(
        "POST", f"/api/v1/requests/{far['id']}/reopen", 200, "secretary", json={"reason": "复发"}
    )


async def test_real_answers_conform_to_the_document(api, client, staff, db):
    demo = await build_demo(client, staff, db)
    await accounts(api)
    await records(api, demo)
    await voting(api, demo)
    await processes(api)
    await loop(api, demo)
    await roll_and_proxies(api, demo, db)
    await paper(api, db)
    await team_and_figures(api, demo, db)
    await meetings(api, demo)
    await street_requests(api, demo, db)
    walked = {(method, path) for method, path, _ in api.seen}
    documented = {
        (method.upper(), path) for path, item in DOCUMENT["paths"].items() for method in item
    }
    assert documented - walked == set(), "operations the walk does not reach"
