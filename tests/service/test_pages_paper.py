"""The console's paper-ballot pages: the round page's section with what is pending, the
clerks' entry form (marks in the slate's order, never another clerk's entry shown), the
mismatches side by side with the decision form, and closing refused while ballots wait."""

from __future__ import annotations

from sqlalchemy import select

from service.db.models import PaperSerial
from tests.support.box import sealed_box
from tests.support.pages import post_form, use_session
from tests.support.paper import key_entry, print_paper
from tests.support.park import PARK
from tests.support.rounds import issue, make_round, to_phase

MARKS = ["2", "", "1", "", "", "3"]


def form(serial: int, code: str, marks: list[str], verdict: str = "ballot") -> dict:
    return {"serial": str(serial), "code": code, "verdict": verdict, "mark": marks}


async def test_two_clerks_key_a_ballot_on_the_pages_and_a_third_decides(client, db, staff):
    round_id = await make_round(db)
    [code] = await issue(client, staff["facilitator"], round_id, 1)
    await print_paper(client, staff["facilitator"], round_id, 2)

    use_session(client, staff["facilitator"])
    round_page = await client.get(f"/console/rounds/{round_id}")
    assert 'id="paper"' in round_page.text
    assert f"/console/rounds/{round_id}/paper-ballots.pdf" in round_page.text

    use_session(client, staff["grid_worker"])
    entry_page = await client.get(f"/console/rounds/{round_id}/paper")
    assert entry_page.status_code == 200
    shown = [entry_page.text.index(name) for name in PARK]
    assert shown == sorted(shown)  # a box per option, in the slate's order
    first = await post_form(
        client, f"/console/rounds/{round_id}/paper", form(1, code, MARKS), follow_redirects=False
    )
    assert first.status_code == 303, first.text
    after = await client.get(first.headers["location"])
    assert 'data-state="keying"' in after.text

    use_session(client, staff["secretary"])
    other = ["1", "", "2", "", "", "3"]
    second = await post_form(
        client, f"/console/rounds/{round_id}/paper", form(1, code, other), follow_redirects=False
    )
    assert second.status_code == 303
    assert "state=mismatch" in second.headers["location"]
    mine = await client.get(f"/console/rounds/{round_id}/paper/mismatches")
    assert "您录入过这张选票" in mine.text
    assert code not in mine.text  # a clerk never sees the other entry

    use_session(client, staff["facilitator"])
    round_page = await client.get(f"/console/rounds/{round_id}")
    assert "待裁定 1 张" in round_page.text
    closing = await to_phase(client, staff["facilitator"], round_id, "closed")
    assert closing.status_code == 409
    assert closing.json()["code"] == "paper-pending"
    page = await client.get(f"/console/rounds/{round_id}/paper/mismatches")
    assert page.text.count('class="differs"') == 2  # the two boxes that differ
    assert code in page.text
    decided = await post_form(
        client,
        f"/console/rounds/{round_id}/paper/mismatches",
        {"serial": "1", "choose": "1", "reason": "核对原票，第一次正确"},
        follow_redirects=False,
    )
    assert decided.status_code == 303, decided.text
    assert "state=cast" in decided.headers["location"]
    assert len(await sealed_box(db, round_id)) == 1
    await db.rollback()
    assert await db.scalar(select(PaperSerial.state)) == "cast"
    round_page = await client.get(f"/console/rounds/{round_id}")
    assert "平板 0 张，纸质 1 张，手机 0 张" in round_page.text
    closed = await to_phase(client, staff["facilitator"], round_id, "closed")
    assert closed.status_code == 200, closed.text


async def test_a_refused_entry_shows_the_error_page(client, db, staff):
    round_id = await make_round(db)
    await print_paper(client, staff["facilitator"], round_id, 1)
    use_session(client, staff["grid_worker"])
    refused = await post_form(
        client, f"/console/rounds/{round_id}/paper", form(1, "ABC", MARKS), follow_redirects=False
    )
    assert refused.status_code == 422
    assert "投票码应为10位字母和数字" in refused.text
    twice = await post_form(
        client,
        f"/console/rounds/{round_id}/paper",
        form(1, "ABCDE-12345", ["1", "1", "", "", "", ""]),
        follow_redirects=False,
    )
    assert twice.status_code == 422


async def test_closing_waits_for_a_ballot_keyed_once(client, db, staff):
    round_id = await make_round(db)
    [code] = await issue(client, staff["facilitator"], round_id, 1)
    await print_paper(client, staff["facilitator"], round_id, 1)
    await key_entry(
        client, staff["grid_worker"], round_id, 1, code, [1, None, None, None, None, None]
    )
    refused = await to_phase(client, staff["facilitator"], round_id, "closed")
    assert refused.status_code == 409
    assert refused.json()["detail"]["count"] == 1
    # the paper went missing: the second clerk keys it as spoiled, a third person decides
    await key_entry(client, staff["secretary"], round_id, 1, "", [], "spoiled")
    decided = await client.post(
        f"/api/v1/rounds/{round_id}/paper/adjudications",
        json={
            "serial": 1,
            "choose": 2,
            "reason": "原票遗失，按废票处理",
        },
        headers=staff["facilitator"],
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["state"] == "spoiled"
    closed = await to_phase(client, staff["facilitator"], round_id, "closed")
    assert closed.status_code == 200, closed.text
