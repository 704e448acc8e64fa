"""The printable paper ballot: one a page on A5 or A4, the slate in the round's order with
the instructions, a serial that continues across printings, and clear refusals."""

from __future__ import annotations

import re

import pytest

from service.db.models import Round
from tests.support.documents import pdf_text
from tests.support.paper import print_paper
from tests.support.park import PARK
from tests.support.rounds import make_round

POINTS = {"A4": (595, 842), "A5": (420, 595)}


@pytest.mark.parametrize("size", ["A4", "A5"])
async def test_the_ballots_carry_the_slate_instructions_serial_and_code_field(
    client, db, staff, tmp_path, size
):
    round_id = await make_round(db, rules={"allow_truncation": True})
    response = await print_paper(client, staff["facilitator"], round_id, 2, size)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert "attachment" in response.headers["content-disposition"]
    content = response.content
    width, height = POINTS[size]
    boxes = re.findall(rb"/MediaBox \[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", content)
    assert len(boxes) == 2  # one ballot a page
    assert all((round(float(w)), round(float(h))) == (width, height) for w, h in boxes)
    text = pdf_text(content, tmp_path)
    pages = text.split("\f")
    assert "000001" in pages[0]
    assert "000002" in pages[1]
    first = pages[0].replace(" ", "")
    places = [first.index(name) for name in PARK]
    assert places == sorted(places)  # the round's order
    for said in ("在方框内写1、2、3", "不想排的可以空着", "投票码", "口袋公园建设方案"):
        assert said in first, said


async def test_serials_continue_across_printings(client, db, staff, tmp_path):
    round_id = await make_round(db)
    await print_paper(client, staff["facilitator"], round_id, 3)
    again = await print_paper(client, staff["admin"], round_id, 1)
    assert "000004" in pdf_text(again.content, tmp_path)


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"size": "B5", "count": 1}, 422, "invalid"),
        ({"size": "A5", "count": 0}, 422, "invalid"),
        ({"size": "A5", "count": 501}, 422, "invalid"),
    ],
)
async def test_bad_printings_are_refused(client, db, staff, params, status, code):
    round_id = await make_round(db)
    response = await client.get(
        f"/api/v1/rounds/{round_id}/paper-ballots.pdf", params=params, headers=staff["admin"]
    )
    assert response.status_code == status
    assert response.json()["code"] == code


async def test_rounds_whose_slate_is_not_fixed_are_refused(client, db, staff):
    round_id = await make_round(db, phase="scheduled")
    round_row = await db.get(Round, round_id)
    round_row.slate = None
    await db.commit()
    response = await print_paper(client, staff["facilitator"], round_id)
    assert response.status_code == 409
    assert response.json()["code"] == "paper-no-slate"
    assert "候选方案还没有确定" in response.json()["message_zh"]


async def test_approval_ballots_say_tick(client, db, staff, tmp_path):
    round_id = await make_round(db, kind="approval", method="approval")
    response = await print_paper(client, staff["facilitator"], round_id, 1)
    assert response.status_code == 200, response.text
    assert "打勾" in pdf_text(response.content, tmp_path).replace(" ", "")
