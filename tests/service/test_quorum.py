"""Quorum and validity of a decision, assisted voting: the rule set before voting and frozen
after, turnout against the quorum while voting, the result's validity with its reasons, and
the assisted-vote counts (counts only, facilitators record, staff read)."""

from __future__ import annotations

import io

import msgspec
import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from engine.validity import Validity
from service.db.models import AuditEvent, CommunityHousehold, Round
from service.errors import Invalid
from service.households.entry import entry
from service.web.forms import validity_fields
from tests.support.documents import pdf_text
from tests.support.pages import post_form, token_from, use_session
from tests.support.roll import community_of
from tests.support.rounds import (
    cast,
    close,
    issue,
    make_round,
    new_round,
    phone_window_in_db,
    pocket_park,
    ranked,
    to_phase,
    vote,
)

HALF = {"numerator": 1, "denominator": 2}
TWO_THIRDS = {"numerator": 2, "denominator": 3}


async def test_rule_set_before_voting_and_frozen_after(client, db, staff):
    park = await pocket_park(db)
    rule = {"quorum": "codes", "quorum_share": HALF, "winner_share": TWO_THIRDS}
    made = await new_round(
        client, staff["facilitator"], park.process, park.proposals[:3], validity=rule
    )
    assert made["validity"] == {**rule, "quorum_count": 1}
    changed = await client.patch(
        f"/api/v1/rounds/{made['id']}",
        json={"validity": {"quorum": "count", "quorum_count": 12}},
        headers=staff["facilitator"],
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["validity"]["quorum"] == "count"
    assert changed.json()["validity"]["winner_share"] is None
    audit = await db.scalar(select(AuditEvent).where(AuditEvent.action == "round.updated"))
    assert "validity" in audit.detail["changes"]
    assert (await to_phase(client, staff["facilitator"], made["id"], "voting")).status_code == 200
    frozen = await client.patch(
        f"/api/v1/rounds/{made['id']}",
        json={"validity": {"quorum": "none"}},
        headers=staff["facilitator"],
    )
    assert frozen.status_code == 409
    assert frozen.json()["code"] == "round-frozen"
    got = await client.get(f"/api/v1/rounds/{made['id']}", headers=staff["secretary"])
    assert got.json()["validity"]["quorum_count"] == 12


async def test_households_quorum_needs_the_roll(client, db, staff):
    park = await pocket_park(db)
    response = await client.post(
        f"/api/v1/processes/{park.process}/rounds",
        json={
            "title": "第一轮",
            "method": "irv",
            "proposal_ids": park.proposals[:3],
            "validity": {"quorum": "households", "quorum_share": HALF},
        },
        headers=staff["facilitator"],
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"
    assert "住户名册" in response.json()["message_zh"]
    bad_share = await client.post(
        f"/api/v1/processes/{park.process}/rounds",
        json={
            "title": "第一轮",
            "method": "irv",
            "proposal_ids": park.proposals[:3],
            "validity": {"quorum": "codes", "quorum_share": {"numerator": 3, "denominator": 2}},
        },
        headers=staff["facilitator"],
    )
    assert bad_share.status_code in (400, 422)


async def set_rule(db, round_id: int, **rule) -> None:
    """Give a round made in the database (already voting) its validity rule."""
    row = await db.get(Round, round_id, populate_existing=True)
    row.validity = msgspec.convert(rule, Validity)
    await db.commit()


async def test_turnout_against_the_quorum_live(client, db, staff):
    round_id = await make_round(db)
    await set_rule(db, round_id, quorum="codes", quorum_share=HALF)
    codes = await issue(client, staff["facilitator"], round_id, 4)
    seen = (await client.get(f"/api/v1/rounds/{round_id}/turnout", headers=staff["admin"])).json()
    assert seen["quorum"] == {
        "kind": "codes",
        "present": 0,
        "required": 2,
        "reached": False,
        "missing": 2,
        "base": 4,
        "share_numerator": 1,
        "share_denominator": 2,
    }
    assert (await cast(client, round_id, codes[0], ranked("文化墙"))).status_code == 201
    seen = (await client.get(f"/api/v1/rounds/{round_id}/turnout", headers=staff["admin"])).json()
    assert (seen["quorum"]["present"], seen["quorum"]["reached"]) == (1, False)
    assert (await cast(client, round_id, codes[1], ranked("文化墙"))).status_code == 201
    seen = (await client.get(f"/api/v1/rounds/{round_id}/turnout", headers=staff["admin"])).json()
    assert (seen["quorum"]["present"], seen["quorum"]["reached"]) == (2, True)
    assert seen["quorum"]["missing"] == 0


async def _households_round(client, db, staff) -> tuple[int, int]:
    """A household round set up through the API with a households quorum of one half; its
    id and its community's."""
    park = await pocket_park(db)
    made = await new_round(
        client,
        staff["facilitator"],
        park.process,
        park.proposals[:3],
        household_roll=True,
        validity={"quorum": "households", "quorum_share": HALF},
    )
    return made["id"], await community_of(db, made["id"])


async def test_households_quorum_is_a_share_of_the_community_roll(client, db, staff):
    """Issuing codes only to the households present does not pass the quorum: its base is
    the community's roll (active) counted when voting opens."""
    round_id, community_id = await _households_round(client, db, staff)
    for flat in range(101, 111):
        made = entry("9", "1", str(flat))
        db.add(
            CommunityHousehold(
                community_id=community_id,
                building=made.building,
                unit=made.unit,
                flat=made.flat,
                label=made.label,
                key=made.key,
            )
        )
    db.add(
        CommunityHousehold(
            community_id=community_id,
            building="9号楼",
            unit="1单元",
            flat="999",
            label="9号楼1单元999",
            key="off",
            active=False,
        )
    )
    await db.commit()
    issued = await client.post(
        f"/api/v1/rounds/{round_id}/codes",
        json={"households": ["9号楼1单元101", "9号楼1单元102"]},
        headers=staff["facilitator"],
    )
    assert issued.status_code == 201, issued.text
    codes = [c["code"] for c in issued.json()["codes"]]
    use_session(client, staff["facilitator"])
    before = (await client.get(f"/console/rounds/{round_id}")).text
    assert "按住户的法定人数以投票开始时社区户册上的户数为基数" in before
    assert (await to_phase(client, staff["facilitator"], round_id, "voting")).status_code == 200
    row = await db.get(Round, round_id, populate_existing=True)
    assert row.roll_size == 10
    await phone_window_in_db(db, round_id)  # the API's casts are ballots from home
    for code in codes:
        assert (await cast(client, round_id, code, ranked("文化墙"))).status_code == 201
    seen = (await client.get(f"/api/v1/rounds/{round_id}/turnout", headers=staff["admin"])).json()
    assert seen["roll_size"] == 10
    assert (seen["quorum"]["present"], seen["quorum"]["base"]) == (2, 10)
    assert (seen["quorum"]["required"], seen["quorum"]["reached"]) == (5, False)
    db.add(
        CommunityHousehold(
            community_id=community_id,
            building="9号楼",
            unit="1单元",
            flat="200",
            label="9号楼1单元200",
            key="late",
        )
    )
    await db.commit()
    later = (await client.get(f"/api/v1/rounds/{round_id}/turnout", headers=staff["admin"])).json()
    assert later["quorum"]["base"] == 10  # fixed when voting opened
    use_session(client, staff["facilitator"])
    page = (await client.get(f"/console/rounds/{round_id}")).text
    assert "已参与 2 户 / 共 10 户，法定人数 5 户，还差 3 户" in page
    assert "按住户的法定人数以投票开始时社区户册上的 10 户为基数" in page
    await close(db, round_id)
    body = (await client.get(f"/api/v1/rounds/{round_id}/result", headers=staff["admin"])).json()
    assert body["validity"]["verdict"]["valid"] is False
    assert "未达到法定人数：参与 2 户，需 5 户" in body["validity"]["words_zh"]


async def test_households_quorum_without_a_roll_counts_the_rounds_households(client, db, staff):
    round_id, _ = await _households_round(client, db, staff)
    issued = await client.post(
        f"/api/v1/rounds/{round_id}/codes",
        json={"households": ["9号楼1单元101", "9号楼1单元102", "9号楼1单元103"]},
        headers=staff["facilitator"],
    )
    assert issued.status_code == 201, issued.text
    opened = await to_phase(client, staff["facilitator"], round_id, "voting")
    assert opened.status_code == 200, opened.text
    assert (await db.get(Round, round_id, populate_existing=True)).roll_size is None
    seen = (await client.get(f"/api/v1/rounds/{round_id}/turnout", headers=staff["admin"])).json()
    assert (seen["roll_size"], seen["quorum"]["base"], seen["quorum"]["required"]) == (None, 3, 2)
    use_session(client, staff["facilitator"])
    page = (await client.get(f"/console/rounds/{round_id}")).text
    assert "本社区没有户册：按住户的法定人数以本轮发了选票码的 3 户为基数" in page


async def test_result_invalid_for_quorum_and_winner_share(client, db, staff):
    round_id = await make_round(db, method="plurality")
    await set_rule(db, round_id, quorum="count", quorum_count=5, winner_share=TWO_THIRDS)
    await vote(client, staff, round_id, [ranked("文化墙"), ranked("文化墙"), ranked("健身器材")])
    await close(db, round_id)
    body = (await client.get(f"/api/v1/rounds/{round_id}/result", headers=staff["admin"])).json()
    validity = body["validity"]
    assert validity["verdict"]["valid"] is False
    assert [r["code"] for r in validity["verdict"]["reasons"]] == ["quorum"]
    assert validity["words_zh"] == "决定无效。未达到法定人数：参与 3 人，需 5 人"
    assert "quorum not reached: 3 residents took part, 5 needed" in validity["words_en"]


async def test_result_invalid_for_winner_share(client, db, staff):
    round_id = await make_round(db, method="plurality")
    await set_rule(db, round_id, quorum="codes", quorum_share=HALF, winner_share=TWO_THIRDS)
    await vote(
        client,
        staff,
        round_id,
        [ranked("文化墙"), ranked("文化墙"), ranked("健身器材"), ranked("健身器材")],
    )
    await close(db, round_id)
    body = (await client.get(f"/api/v1/rounds/{round_id}/result", headers=staff["admin"])).json()
    (reason,) = body["validity"]["verdict"]["reasons"]
    assert reason["code"] == "winner-share"
    assert "得票 50%（2 / 4 张有效票），未达到有效票的 2/3" in body["validity"]["words_zh"]


async def test_result_valid_at_exactly_half(client, db, staff):
    second = await make_round(db, method="plurality")
    await set_rule(db, second, quorum="codes", quorum_share=HALF, winner_share=HALF)
    codes = await issue(client, staff["facilitator"], second, 4)
    for code in codes[:2]:
        assert (await cast(client, second, code, ranked("文化墙"))).status_code == 201
    await close(db, second)
    body = (await client.get(f"/api/v1/rounds/{second}/result", headers=staff["admin"])).json()
    assert body["validity"]["verdict"]["valid"] is True
    assert body["validity"]["words_zh"] == "决定有效：已达到法定人数和胜出票数要求"


async def test_more_than_half_is_not_reached_at_exactly_half(client, db, staff):
    """过半数: exactly half of the valid ballots (and of the codes) is not enough."""
    more = {"numerator": 1, "denominator": 2, "strict": True}
    round_id = await make_round(db, method="plurality")
    await set_rule(db, round_id, quorum="codes", quorum_share=more, winner_share=more)
    codes = await issue(client, staff["facilitator"], round_id, 4)
    for code, name in zip(codes[:2], ("文化墙", "健身器材"), strict=True):
        assert (await cast(client, round_id, code, ranked(name))).status_code == 201
    await close(db, round_id)
    body = (await client.get(f"/api/v1/rounds/{round_id}/result", headers=staff["admin"])).json()
    verdict = body["validity"]["verdict"]
    assert verdict["valid"] is False
    assert [r["code"] for r in verdict["reasons"]] == ["quorum", "winner-share"]
    assert verdict["quorum"]["required"] == 3
    assert "没有超过有效票的 1/2" in body["validity"]["words_zh"]
    assert body["validity"]["rule"]["winner_share"] == more


async def test_assistance_counted_by_kind_only(client, db, staff):
    round_id = await make_round(db)
    url = f"/api/v1/rounds/{round_id}/assistance"
    for kind in ("chosen", "staff", "staff"):
        response = await client.post(url, json={"kind": kind}, headers=staff["facilitator"])
        assert response.status_code == 201, response.text
    assert response.json() == {"round_id": round_id, "chosen": 1, "staff": 2}
    assert (await client.get(url, headers=staff["secretary"])).json()["staff"] == 2
    turnout = (
        await client.get(f"/api/v1/rounds/{round_id}/turnout", headers=staff["admin"])
    ).json()
    assert (turnout["assisted_chosen"], turnout["assisted_staff"]) == (1, 2)
    refused = await client.post(url, json={"kind": "staff"}, headers=staff["secretary"])
    assert refused.status_code == 403
    bad = await client.post(url, json={"kind": "neighbour"}, headers=staff["facilitator"])
    assert bad.status_code in (400, 422)
    events = (
        await db.scalars(select(AuditEvent).where(AuditEvent.action == "assistance.recorded"))
    ).all()
    assert [e.detail for e in events] == [{"kind": "chosen"}, {"kind": "staff"}, {"kind": "staff"}]
    await close(db, round_id)
    late = await client.post(url, json={"kind": "staff"}, headers=staff["facilitator"])
    assert late.status_code == 409
    assert late.json()["code"] == "assistance-closed"


async def test_record_holds_channels_reconciliation_assistance_and_validity(
    client, db, staff, tmp_path
):
    round_id = await make_round(db, method="plurality")
    await set_rule(db, round_id, quorum="count", quorum_count=5)
    codes = await issue(client, staff["facilitator"], round_id, 4)
    for code in codes[:3]:
        assert (await cast(client, round_id, code, ranked("文化墙"))).status_code == 201
    await client.post(
        f"/api/v1/rounds/{round_id}/codes/void",
        json={"code": codes[3], "reason": "纸条丢失"},
        headers=staff["facilitator"],
    )
    await client.post(
        f"/api/v1/rounds/{round_id}/assistance",
        json={"kind": "staff"},
        headers=staff["facilitator"],
    )
    await close(db, round_id)
    secretary = staff["secretary"]
    bundle = (await client.get(f"/api/v1/rounds/{round_id}/bundle", headers=secretary)).json()
    (record,) = bundle["rounds"]
    turnout = record["turnout"]
    # cast through the public API: ballots from home
    assert (turnout["tablet_ballots"], turnout["paper_ballots"], turnout["phone_ballots"]) == (
        0,
        0,
        3,
    )
    assert (turnout["codes_unused"], turnout["codes_void"], turnout["reconciled"]) == (0, 1, True)
    assert (turnout["assisted_chosen"], turnout["assisted_staff"]) == (0, 1)
    assert record["validity_rule"]["quorum"] == "count"
    assert record["validity"]["valid"] is False
    assert record["validity"]["reasons"][0]["code"] == "quorum"
    response = await client.get(f"/api/v1/rounds/{round_id}/exports/pdf", headers=secretary)
    assert response.status_code == 200, response.text
    text = pdf_text(response.content, tmp_path)
    flat = "".join(text.split())
    assert "平板0张、纸质0张、手机3张" in flat
    assert "发出选票码4=平板0+纸质0+手机3+废票0+空白票0+未使用0+作废1（相符）" in flat
    assert "协助投票1人次：本人选择的协助人0，两名工作人员1" in flat
    assert "决定无效。未达到法定人数：参与3人，需5人" in flat


async def test_round_page_shows_quorum_reconciliation_and_records_assistance(client, db, staff):
    round_id = await make_round(db)
    await set_rule(db, round_id, quorum="codes", quorum_share=HALF)
    codes = await issue(client, staff["facilitator"], round_id, 4)
    assert (await cast(client, round_id, codes[0], ranked("文化墙"))).status_code == 201
    use_session(client, staff["facilitator"])
    page = (await client.get(f"/console/rounds/{round_id}")).text
    assert "已参与 1 张选票码 / 共 4 张选票码，法定人数 2 张选票码，还差 1 张选票码" in page
    assert (
        "发出选票码 4 = 平板 0 + 纸质 0 + 手机 1 + 废票 0 + 空白票 0 + 未使用 3 + 作废 0（相符）"
        in page
    )
    assert 'data-missing="已参与 {present} 张选票码 / 共 {base} 张选票码' in page
    path = f"/console/rounds/{round_id}"
    sent = await post_form(
        client, f"{path}/assistance", {"kind": "chosen"}, token=await token_from(client, path)
    )
    assert sent.status_code in (200, 302, 303), sent.text
    page = (await client.get(path)).text
    assert "协助投票 1 人次：本人选择的协助人 1，两名工作人员 0" in page
    refused = await post_form(
        client, f"{path}/assistance", {"kind": "x"}, token=await token_from(client, path)
    )
    assert refused.status_code == 422


async def test_set_up_form_offers_more_than_half_and_keeps_a_share_set_by_the_api(
    client, db, staff
):
    round_id = await make_round(db, phase="scheduled", phone_hours=None)
    three_fifths = {"numerator": 3, "denominator": 5}
    await set_rule(db, round_id, quorum="codes", quorum_share=three_fifths, winner_share=HALF)
    use_session(client, staff["facilitator"])
    page = (await client.get(f"/console/rounds/{round_id}")).text
    assert '<option value="3/5" selected>现在的设定：3/5</option>' in page
    assert '<option value="&gt;1/2">过半数（超过一半，正好一半不够）</option>' in page
    assert "至少一半（1/2，正好一半也够）" in page
    await set_rule(
        db,
        round_id,
        quorum="codes",
        quorum_share=three_fifths,
        winner_share={**HALF, "strict": True},
    )
    page = (await client.get(f"/console/rounds/{round_id}")).text
    assert '<option value="&gt;1/2" selected>' in page


async def test_set_up_form_sets_the_rule_in_plain_chinese(client, db, staff):
    park = await pocket_park(db)
    use_session(client, staff["facilitator"])
    process_page = f"/console/processes/{park.process}"
    page = (await client.get(process_page)).text
    assert "按住户：名册上的住户至少按比例参与" in page
    assert "三分之二（2/3）" in page
    token = await token_from(client, process_page)
    made = await client.post(
        f"/console/processes/{park.process}/rounds",
        data={
            "title": "再议",
            "method": "irv",
            "proposal_ids": [str(i) for i in park.proposals[:3]],
            "household_roll": "1",
            "quorum": "households",
            "quorum_share": "1/2",
            "winner_share": "2/3",
            "_csrf_token": token,
        },
        follow_redirects=False,
    )
    assert made.status_code in (302, 303), made.text[:500]
    rounds = (
        await client.get(f"/api/v1/processes/{park.process}/rounds", headers=staff["admin"])
    ).json()
    rule = rounds[-1]["validity"]
    assert rule["quorum"] == "households"
    assert rule["winner_share"] == TWO_THIRDS
    round_page = (await client.get(f"/console/rounds/{rounds[-1]['id']}")).text
    assert 'name="quorum" value="households" checked' in round_page
    assert '<option value="2/3" selected>' in round_page
    assert "过半数（超过一半，正好一半不够）" in round_page
    refused = await client.post(
        f"/console/processes/{park.process}/rounds",
        data={
            "title": "再议",
            "method": "irv",
            "quorum": "codes",
            "quorum_share": "7/5",
            "_csrf_token": token,
        },
        follow_redirects=False,
    )
    assert refused.status_code == 422


async def test_reveal_and_board_say_whether_the_decision_is_valid(client, db, staff):
    round_id = await make_round(db, method="plurality")
    await set_rule(db, round_id, quorum="count", quorum_count=5)
    await vote(client, staff, round_id, [ranked("文化墙"), ranked("健身器材")])
    await close(db, round_id, phase="published")
    use_session(client, staff["facilitator"])
    reveal = (await client.get(f"/console/rounds/{round_id}/reveal")).text
    assert "决定无效。未达到法定人数：参与 2 人，需 5 人" in reveal
    client.cookies.clear()
    board = (await client.get(f"/board/rounds/{round_id}")).text
    assert "决定无效。未达到法定人数：参与 2 人，需 5 人" in board


async def test_workbook_holds_the_reconciliation_and_validity_lines(client, db, staff):
    round_id = await make_round(db, method="plurality")
    await set_rule(db, round_id, quorum="codes", quorum_share=HALF, winner_share=HALF)
    await vote(client, staff, round_id, [ranked("文化墙"), ranked("文化墙")])
    await close(db, round_id)
    response = await client.get(
        f"/api/v1/rounds/{round_id}/exports/xlsx", headers=staff["secretary"]
    )
    assert response.status_code == 200, response.text
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    cells = {str(c) for sheet in book for row in sheet.iter_rows(values_only=True) for c in row}
    assert (
        "发出选票码 2 = 平板 0 + 纸质 0 + 手机 2 + 废票 0 + 空白票 0 + 未使用 0 + 作废 0（相符）"
        in cells
    )
    assert "决定有效：已达到法定人数和胜出票数要求" in cells
    assert "至少 1/2 的已发选票码参与投票；胜出方案须获有效票的 1/2" in cells


def test_the_form_sends_back_the_share_it_shows():
    """Saving the set-up form keeps a share the API set (3/5) and sends 过半数 as strict."""
    assert validity_fields("codes", "3/5", "", "") == {
        "quorum": "codes",
        "quorum_share": {"numerator": 3, "denominator": 5},
    }
    assert validity_fields("households", ">1/2", "", ">1/2") == {
        "quorum": "households",
        "quorum_share": {"numerator": 1, "denominator": 2, "strict": True},
        "winner_share": {"numerator": 1, "denominator": 2, "strict": True},
    }
    for bad in ("7/5", ">1/1", "1/101", "0/2", "半数", "1/2 "):
        if bad.strip() == "1/2":
            continue
        with pytest.raises(Invalid):
            validity_fields("codes", bad, "", "")
