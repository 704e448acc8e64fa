"""Error pages with the way forward, on every database: a refused form names the field in
words and leads back to the form (the page it came from, never another site) and onward —
the round, the process, the reader's home — with the status of what went wrong: 422 for a
field, 404 for a missing round (no link to it), 409 for a phase conflict, 403 for an
expired form token or a role, 500 for a bug; a stale sign-in on a form returns to the form's
page after signing in."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from litestar import Litestar, Router, post
from litestar.params import FromPath
from litestar.testing import TestClient

from service.auth.guard import roles
from service.refusals import field_at
from service.web.render import PAGE_ERRORS, template_config
from tests.support.pages import post_form, set_up, token_from, use_session

HOST = "http://testserver.local"


def way(page: Any) -> dict[str, Any]:
    """What an error page offers: its heading, the field named (its form name and the words),
    the way back and the links onward."""
    text = page.text
    back = re.search(r'<a class="button primary" href="([^"]+)" data-way="back">([^<]+)</a>', text)
    field = re.search(r'data-field="([^"]+)"', text)
    named = re.search(r'<p class="refusal-field">([^<]+)</p>', text)
    return {
        "status": page.status_code,
        "heading": re.search(r"<h1>([^<]+)</h1>", text).group(1),
        "field": field.group(1) if field else None,
        "named": named.group(1) if named else None,
        "back": (back.group(1), back.group(2)) if back else None,
        "onward": re.findall(r'<a href="([^"]+)" data-way="on">([^<]+)</a>', text),
    }


async def test_a_refused_field_is_named_with_the_way_back_and_onward(client, staff):
    ids = await set_up(client, staff)
    process = f"/console/processes/{ids['process']}"
    seats = await post_form(
        client,
        f"{process}/rounds",
        {"title": "第二轮", "method": "irv", "seats": "两个"},
        headers={"Referer": f"{HOST}{process}"},
    )
    shown = way(seats)
    assert shown["status"] == 422
    assert shown["heading"] == "表单里有一项需要修改"
    assert (shown["field"], shown["named"]) == ("seats", "需要修改的一项：名额")
    assert shown["back"] == (process, "返回修改")
    assert shown["onward"] == [("/console", "回到议事工作台"), ("/board", "去公示栏")]
    assert "data-from-form" in seats.text  # the form's script marks the form as refused

    # a form checked against the API's shape names the field its constraint is on
    long_title = await post_form(
        client,
        f"{process}/rounds",
        {"title": "长" * 300, "method": "irv"},
        headers={"Referer": f"{HOST}{process}"},
    )
    assert (way(long_title)["status"], way(long_title)["field"]) == (422, "title")
    assert way(long_title)["named"] == "需要修改的一项：标题"

    # in English, the same page in English words
    client.cookies.set("redbench_lang", "en", domain="testserver.local", path="/")
    english = await post_form(
        client,
        f"{process}/rounds",
        {"title": "x", "method": "irv", "seats": "two"},
        headers={"Referer": f"{HOST}{process}"},
    )
    shown = way(english)
    assert shown["heading"] == "Something in the form needs changing"
    assert shown["named"] == "What to change: seats"
    assert shown["back"] == (process, "Go back and change it")


async def test_a_phase_conflict_leads_to_the_round_and_the_process(client, staff):
    ids = await set_up(client, staff)
    round_page = f"/console/rounds/{ids['round']}"
    early = await post_form(
        client,
        f"{round_page}/phase",
        {"to": "closed"},
        headers={"Referer": f"{HOST}{round_page}"},
    )
    shown = way(early)
    assert shown["status"] == 409
    assert shown["heading"] == "现在不能这样做"
    assert shown["back"] == (round_page, "返回修改")
    assert ("/console", "回到议事工作台") in shown["onward"]
    assert round_page not in [href for href, _ in shown["onward"]]  # it is the way back


async def test_a_missing_round_is_not_linked_and_home_is(client, staff):
    await set_up(client, staff)
    missing = await client.get("/console/rounds/99999", headers={"Referer": f"{HOST}/console"})
    shown = way(missing)
    assert shown["status"] == 404
    assert shown["heading"] == "没有找到"
    assert shown["back"] == ("/console", "返回")
    hrefs = [href for href, _ in shown["onward"]]
    assert "/console/rounds/99999" not in hrefs
    assert "/board" in hrefs
    assert "data-from-form" not in missing.text  # no form was sent: nothing to restore


async def test_an_expired_form_token_keeps_the_way_back(client, staff):
    ids = await set_up(client, staff)
    process = f"/console/processes/{ids['process']}"
    await token_from(client)
    expired = await client.post(
        f"{process}/proposals",
        data={"title": "加装扶手", "_csrf_token": "stale"},
        headers={"Referer": f"{HOST}{process}"},
    )
    shown = way(expired)
    assert shown["status"] == 403
    assert shown["heading"] == "表单已过期"
    assert shown["back"] == (process, "返回修改")
    assert "不需要重新填写" in expired.text
    assert 'data-code="csrf"' in expired.text


async def test_another_sites_referer_is_never_the_way_back(client, staff):
    ids = await set_up(client, staff)
    for referer in ("https://evil.example/console", f"{HOST}.evil.example/console"):
        page = await post_form(
            client,
            f"/console/processes/{ids['process']}/rounds",
            {"title": "x", "method": "dice"},
            headers={"Referer": referer},
        )
        assert page.status_code == 422
        assert way(page)["back"] is None
        assert "evil" not in page.text


async def test_a_role_refusal_leads_home(client, staff):
    await set_up(client, staff)
    use_session(client, staff["secretary"])
    refused = await client.get("/console", headers={"Referer": f"{HOST}/secretary"})
    shown = way(refused)
    assert (shown["status"], shown["heading"]) == (403, "您没有权限做这件事")
    assert shown["onward"] == [("/board", "去公示栏")]  # /secretary is the way back
    assert shown["back"] == ("/secretary", "返回")


async def test_a_stale_sign_in_on_a_form_returns_to_the_forms_page(client, staff):
    ids = await set_up(client, staff)
    process = f"/console/processes/{ids['process']}"
    token = await token_from(client)
    client.cookies.delete("redbench_session")
    lapsed = await client.post(
        f"{process}/proposals",
        data={"title": "加装扶手", "_csrf_token": token},
        headers={"Referer": f"{HOST}{process}"},
        follow_redirects=False,
    )
    assert lapsed.status_code == 303
    assert lapsed.headers["location"] == f"/console/login?next={quote(process)}"


def test_a_bug_on_a_form_is_a_page_with_the_way_forward():
    @post("/console/rounds/{round_id:int}/bug", opt=roles("public"), sync_to_thread=False)
    def bug(round_id: FromPath[int]) -> None:
        raise KeyError("secret internals")

    app = Litestar(
        [Router("/", route_handlers=[bug], exception_handlers=PAGE_ERRORS)],
        template_config=template_config(),
    )
    with TestClient(app) as client:
        broken = client.post(
            "/console/rounds/7/bug", headers={"Referer": "http://testserver.local/console/rounds/7"}
        )
    shown = way(broken)
    assert (shown["status"], shown["heading"]) == (500, "出了点问题")
    assert shown["back"] == ("/console/rounds/7", "返回修改")
    assert ("/board/rounds/7", "回到这一轮投票") in shown["onward"]
    assert "secret internals" not in broken.text


def test_the_field_of_a_validation_message_is_read_where_its_words_are() -> None:
    """The error page finds the field in a decoder's message with the same reading that
    words the message in Chinese (service.refusals)."""
    assert field_at("Expected `int`, got `str` - at `$.options.budget`") == "options.budget"
    assert field_at("Object missing required field `title`") == "title"
    assert field_at("Object missing required field `seats` - at `$.options`") == "options"
    assert field_at("Expected `object`, got `array` - at `$[0]`") is None
    assert field_at("JSON is malformed: trailing characters (byte 3)") is None
