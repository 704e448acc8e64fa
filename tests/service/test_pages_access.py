"""Who may open which page, the form token, the headers every page carries, the language
switch, and the label catalogue behind the templates."""

from __future__ import annotations

import re

import pytest

from ballots.kinds import KINDS
from service.i18n import catalogue
from service.web.kiosk import KIOSK_MESSAGES
from service.web.render import SECURITY_HEADERS, TEMPLATES
from tests.support.pages import post_form, token_from, use_session


@pytest.mark.parametrize(
    "path", ["/console", "/console/processes/1", "/console/rounds/1", "/kiosk/enrol"]
)
async def test_console_pages_send_the_anonymous_to_sign_in(client, path):
    response = await client.get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/console/login?next={path}"


@pytest.mark.parametrize("role", ["secretary", "grid_worker"])
async def test_console_refuses_other_roles(client, staff, role):
    response = await client.get("/console", headers=staff[role])
    assert response.status_code == 403
    assert "无权进行此操作" in response.text
    assert "text/html" in response.headers["content-type"]


async def test_console_admits_facilitators_and_admins(client, staff):
    for role in ("facilitator", "admin"):
        response = await client.get("/console", headers=staff[role])
        assert response.status_code == 200, role
        assert "主持人工作台" in response.text


async def test_reveal_is_for_staff_only(client, staff):
    response = await client.get("/console/rounds/1/reveal", follow_redirects=False)
    assert response.status_code == 303


async def test_a_stale_session_cookie_is_dropped_on_public_pages(client):
    client.cookies.set("redbench_session", "signed-out-long-ago")
    response = await client.get("/board", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/board"
    assert 'redbench_session=""' in response.headers["set-cookie"]


async def test_sign_in_and_out_with_the_form(client, db):
    from tests.support.app import make_staff

    await make_staff(db, "facilitator", "wang")
    token = await token_from(client, "/console/login")
    wrong = await post_form(
        client, "/console/login", {"username": "wang", "password": "nope"}, token=token
    )
    assert wrong.status_code == 401
    assert "用户名或密码错误" in wrong.text
    signed_in = await post_form(
        client,
        "/console/login",
        {"username": "wang", "password": "correct horse battery", "next": "//evil.example/x"},
        token=token,
        follow_redirects=False,
    )
    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == "/console"  # never to another site
    cookie = signed_in.headers["set-cookie"]
    assert "redbench_session=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert (await client.get("/console")).status_code == 200
    out = await post_form(client, "/console/logout", {}, follow_redirects=False)
    assert out.status_code == 303
    client.cookies.delete("redbench_session")
    assert (await client.get("/console", follow_redirects=False)).status_code == 303


async def test_forms_without_the_token_are_refused(client, staff):
    use_session(client, staff["facilitator"])
    await client.get("/console")  # the form-token cookie is set
    response = await client.post(
        "/console/processes", data={"community_id": "1", "title": "积水路段"}
    )
    assert response.status_code == 403
    assert "表单已过期或来自其他网站" in response.text
    forged = await client.post(
        "/console/processes",
        data={"community_id": "1", "title": "积水路段", "_csrf_token": "0" * 128},
    )
    assert forged.status_code == 403


async def test_the_api_needs_no_form_token(client, staff):
    response = await client.post(
        "/api/v1/communities", json={"name": "杜集社区"}, headers=staff["admin"]
    )
    assert response.status_code == 201


async def test_kiosk_calls_without_the_token_are_refused(client):
    await client.get("/kiosk")
    response = await client.post("/kiosk/code", json={"code": "ABCDE-FGHJK"})
    assert response.status_code == 403
    assert "redbench_csrf" in client.cookies


@pytest.mark.parametrize("path", ["/board", "/kiosk", "/console/login"])
async def test_pages_carry_the_security_headers(client, path):
    response = await client.get(path)
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


async def test_no_inline_script_in_any_template():
    for template in TEMPLATES.rglob("*.html"):
        html = template.read_text(encoding="utf-8")
        for tag in re.findall(r"<script[^>]*>", html):
            assert 'src="/static/' in tag or 'type="application/json"' in tag, (template, tag)
        assert not re.search(r"\son[a-z]+=", html), template
        assert " style=" not in html, template


async def test_static_files_are_served_locally(client):
    for name in ("redbench.css", "kiosk.js", "console.js"):
        response = await client.get(f"/static/{name}")
        assert response.status_code == 200
        assert response.headers["x-content-type-options"] == "nosniff"


async def test_chinese_by_default_and_the_language_switch(client):
    first = await client.get("/board")
    assert '<html lang="zh-CN"' in first.text
    assert "公示栏" in first.text
    english = await client.get("/board?lang=en")
    assert '<html lang="en"' in english.text
    assert "Public board" in english.text
    assert "redbench_lang=en" in english.headers["set-cookie"]
    kept = await client.get("/kiosk")  # the choice is remembered
    assert "This device is not a ballot tablet" in kept.text
    back = await client.get("/board?lang=zh")
    assert "公示栏" in back.text


def test_every_label_the_pages_use_is_in_both_languages():
    entries = catalogue()
    used = set()
    for template in TEMPLATES.rglob("*.html"):
        used |= set(
            re.findall(r"(?<![\w.])t\('([a-z_.\-]+)'[,)]", template.read_text(encoding="utf-8"))
        )
    used |= {f"kiosk.message.{code}" for code in KIOSK_MESSAGES}
    missing = sorted(key for key in used if key not in entries)
    assert missing == []
    assert [key for key in used if not all(entries[key].values())] == []


def test_labels_built_from_codes_exist_for_every_code():
    from engine.process import ProcessPhase, RoundPhase
    from engine.registry import METHODS
    from service.rounds.config import TIE_POLICIES

    entries = catalogue()
    keys = [f"page.method.{name}" for name in METHODS]
    keys += [f"page.round_phase.{p.value}" for p in RoundPhase]
    keys += [f"page.process_phase.{p.value}" for p in ProcessPhase]
    keys += [f"board.status.{p.value}" for p in ProcessPhase]
    keys += [f"board.implementation.{p.value}" for p in ProcessPhase]
    keys += [f"console.tie.{policy}" for policy in TIE_POLICIES]
    keys += [f"console.tie.{policy}.help" for policy in TIE_POLICIES]
    keys += [f"kiosk.ballot.{part}.{kind}" for part in ("title", "help") for kind in KINDS]
    keys += [f"console.kind.{kind}" for kind in KINDS]
    assert [key for key in keys if key not in entries] == []


def test_the_server_says_where_the_pages_are():
    from service.commands.server import pages_line
    from service.settings import Settings

    line = pages_line(Settings(host="127.0.0.1", port=8000), "zh")
    for path in ("/console", "/kiosk/enrol", "/board"):
        assert f"http://127.0.0.1:8000{path}" in line


def test_unplanned_failures_are_pages_without_internals():
    from litestar import Litestar, Router, get
    from litestar.testing import TestClient
    from sqlalchemy.exc import OperationalError

    from service.auth.guard import roles
    from service.web.render import PAGE_ERRORS, template_config

    @get("/away", opt=roles("public"), sync_to_thread=False)
    def away() -> None:
        raise OperationalError("SELECT 1", None, ConnectionRefusedError("no server"))

    @get("/bug", opt=roles("public"), sync_to_thread=False)
    def bug() -> None:
        raise KeyError("secret internals")

    app = Litestar(
        [Router("/", route_handlers=[away, bug], exception_handlers=PAGE_ERRORS)],
        template_config=template_config(),
    )
    with TestClient(app) as client:
        gone = client.get("/away")
        assert gone.status_code == 503
        assert "数据库暂时无法连接" in gone.text
        broken = client.get("/bug")
        assert broken.status_code == 500
        assert "服务器出错了" in broken.text
        assert "secret internals" not in broken.text
