"""Numbers in what a browser sends are read as ASCII digits only: a superscript "²" (which
``str.isdigit()`` takes and ``int()`` refuses) or a 5,000-digit value (past ``int()``'s
4,300) in a query parameter, a form field or a tablet's cookie gives the page as if the
value were absent or a refusal naming the field — never a 500."""

from __future__ import annotations

import pytest

from service.errors import Invalid
from service.web.digits import whole_number
from service.web.forms import whole
from service.web.tablets import _signature, enrolment_token, read_enrolment
from tests.support.app import SECRET
from tests.support.pages import token_from, use_session
from tests.support.records_demo import build_demo

ODD = ("²", "١٢", "1" * 5000, "-1", "+1", " 1", "1.0", "")
"""Values no page may take for a number: other scripts' digits, too many, signs, spaces."""


@pytest.mark.parametrize("value", ODD)
def test_only_ascii_digits_make_a_number(value):
    assert whole_number(value) is None


def test_numbers_are_read_up_to_the_digits_allowed():
    assert whole_number("0") == 0
    assert whole_number("123456789") == 123456789
    assert whole_number("1234567890") is None
    assert whole_number("1234567890", longest=10) == 1234567890


@pytest.mark.parametrize("value", ["²", "1" * 5000])
def test_a_form_number_in_other_digits_is_refused_by_its_field(value):
    with pytest.raises(Invalid) as refused:
        whole(value, "seats", least=1, most=100)
    assert refused.value.field == "seats"
    assert refused.value.refusal.status == 422
    assert len(refused.value.zh) < 200  # a 5,000-digit value is not said back whole


def test_a_signed_tablet_cookie_with_other_digits_is_no_enrolment():
    assert read_enrolment(SECRET, enrolment_token(SECRET, 7)) is not None
    for odd in ("²", "1" * 5000):
        for payload in (f"v1.{odd}.abcd.1700000000", f"v1.7.abcd.{odd}"):
            token = f"{payload}.{_signature(SECRET, payload)}"
            assert read_enrolment(SECRET, token, now=1700000000) is None


async def test_the_board_page_takes_any_sent_value(client, staff, db):
    demo = await build_demo(client, staff, db)
    board = f"/board/communities/{demo.community_id}"
    for odd in ("²", "1" * 5000):
        shown = await client.get(board, params={"sent": odd})
        assert shown.status_code == 200, odd[:10]
        assert "谢谢您！反馈已收到" not in shown.text


async def test_the_secretary_process_page_takes_any_option_value(client, staff, db):
    demo = await build_demo(client, staff, db)
    use_session(client, staff["secretary"])
    for odd in ("²", "1" * 5000):
        shown = await client.get(f"/secretary/processes/{demo.process_id}", params={"option": odd})
        assert shown.status_code == 200, odd[:10]


async def test_a_round_form_with_other_digits_is_refused_by_its_field(client, staff, db):
    demo = await build_demo(client, staff, db)
    use_session(client, staff["facilitator"])
    token = await token_from(client, f"/console/processes/{demo.process_id}")
    for odd in ("²", "1" * 5000):
        refused = await client.post(
            f"/console/processes/{demo.process_id}/rounds",
            data={"title": "再议", "method": "irv", "seats": odd, "_csrf_token": token},
            follow_redirects=False,
        )
        assert refused.status_code == 422, refused.text[:300]
        assert "席位" in refused.text or "seats" in refused.text
