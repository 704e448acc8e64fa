"""The board's feedback form after the security review: the throttle counts an IPv6 client by
its /64 (a home or phone may use any address in it) and an IPv4 client by its address; a
refusal names the field in the reader's language, from the locale files."""

from __future__ import annotations

import html
import re

import pytest

from service.errors import Invalid
from service.loop.board_throttle import address_key, client_block
from service.web.board_forms import ResidentFeedbackForm
from tests.support.app import SECRET
from tests.support.feedback import implementing_park
from tests.support.pages import post_form, token_from


def test_an_ipv6_client_is_counted_by_its_64_block():
    home = "2001:db8:abcd:12:1111:2222:3333:4444"
    moved = "2001:db8:abcd:12:ffff:0:0:1"
    neighbour = "2001:db8:abcd:13::1"
    assert client_block(home) == "2001:db8:abcd:12::/64"
    assert address_key(SECRET, home) == address_key(SECRET, moved)
    assert address_key(SECRET, home) == address_key(SECRET, "2001:DB8:ABCD:12::9%eth0")
    assert address_key(SECRET, home) != address_key(SECRET, neighbour)


def test_an_ipv4_client_is_counted_by_its_address():
    assert client_block("203.0.113.7") == "203.0.113.7"
    assert address_key(SECRET, "203.0.113.7") != address_key(SECRET, "203.0.113.8")
    assert address_key(SECRET, "::ffff:203.0.113.7") == address_key(SECRET, "203.0.113.7")
    assert client_block("testclient") == "testclient"  # no address: counted as it is


@pytest.mark.parametrize(
    ("field", "zh", "en"), [("body", "内容", "body"), ("household", "门牌", "household")]
)
def test_a_refusal_names_the_field_in_each_language(field, zh, en):
    typed = {"verdict": "satisfied", field: "长" * 600}
    with pytest.raises(Invalid) as refused:
        ResidentFeedbackForm(**typed).to_create()
    refusal = refused.value.refusal
    assert refusal.field == field
    assert refusal.message("zh").startswith(f"{zh}太长：")
    english = refusal.message("en")
    assert english.startswith(f"{en}: 600 characters")
    assert not re.search(r"[\u3400-\u9fff]", english), english
    assert {lang: refusal.params["label"](lang) for lang in ("zh", "en")} == {"zh": zh, "en": en}


async def test_the_english_board_says_the_refusal_in_english(client, staff, db):
    demo = await implementing_park(client, staff, db)
    board = f"/board/communities/{demo.community_id}?lang=en"
    client.cookies.clear()
    token = await token_from(client, board)
    long = await post_form(
        client,
        f"/board/processes/{demo.process_id}/feedback?lang=en",
        {"verdict": "satisfied", "household": "7" * 41},
        token=token,
    )
    assert long.status_code == 422
    said = html.unescape(long.text)
    assert "Household: 41 characters once tidied, at most 40 are allowed." in said
    assert "门牌" not in said
