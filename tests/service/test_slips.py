"""Voter-code slips without traps, on every database: codes are made only by the issuing
POST, as a numbered batch whose page can be reloaded without making more; every slip has a
number in the round; slips are voided by their numbers (used ones reported, never touched);
an unused slip is printed again with the same code, a used or void one never; the slips'
PDF is named for the round and the numbers; no stored value holds a readable code; and the
household rules (one household twice, look-alikes, voted, holding a live code) are told
before any code is made, on the page and in the API."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from service.auth.guard import Actor
from service.db.base import Base
from service.db.models import AuditEvent, Household, SlipBatch, VoterCode
from service.errors import Conflict, Invalid
from service.voting import batches
from service.voting.codes import code_hash, new_code, shown
from service.voting.roll import look_alikes, skeleton
from service.voting.slip_codes import slip_code, slip_key
from tests.support.app import SECRET
from tests.support.documents import pdf_text
from tests.support.pages import labels_of, post_form, use_session
from tests.support.rounds import cast, issue, make_round, ranked

FACILITATOR = Actor(id=None, name="主持人", role="facilitator")


async def codes_stored(db: AsyncSession, round_id: int) -> int:
    db.expire_all()
    found = await db.scalar(
        select(func.count()).select_from(VoterCode).where(VoterCode.round_id == round_id)
    )
    return int(found or 0)


async def every_value(db: AsyncSession) -> str:
    """Every stored value of every table as text (bytes as hex and as Latin-1)."""
    values: list[str] = []
    for table in Base.metadata.sorted_tables:
        for row in (await db.execute(select(table))).all():
            for v in row:
                if isinstance(v, bytes):
                    values += [v.hex(), v.decode("latin-1")]
                elif v is not None:
                    values.append(str(v))
    return "\n".join(values)


def issued_count(page: str) -> int:
    found = re.search(r'id="codes-issued">(\d+)<', page)
    assert found, "the round page shows no count of codes issued"
    return int(found.group(1))


# --- issuing: post, redirect, get ---------------------------------------------------------


async def test_a_reload_of_the_slips_page_issues_nothing(client, db, staff):
    round_id = await make_round(db)
    use_session(client, staff["facilitator"])
    posted = await post_form(
        client, f"/console/rounds/{round_id}/codes", {"count": "3"}, follow_redirects=False
    )
    assert posted.status_code == 303
    assert posted.headers["location"] == f"/console/rounds/{round_id}/slips/1"
    first = await client.get(posted.headers["location"])
    assert first.status_code == 200
    codes = labels_of(first.text, "slip-code")
    assert len(codes) == 3
    assert labels_of(first.text, "slip-number") == ["第1号", "第2号", "第3号"]
    for _ in range(2):  # reloading, or coming back, shows the same slips and makes none
        again = await client.get(posted.headers["location"])
        assert labels_of(again.text, "slip-code") == codes
    assert await codes_stored(db, round_id) == 3
    round_page = await client.get(f"/console/rounds/{round_id}")
    assert "已发投票码" in round_page.text
    assert issued_count(round_page.text) == 3
    # the next batch goes on numbering
    second = await post_form(client, f"/console/rounds/{round_id}/codes", {"count": "2"})
    assert str(second.url).endswith(f"/console/rounds/{round_id}/slips/2")
    assert labels_of(second.text, "slip-number") == ["第4号", "第5号"]
    assert await codes_stored(db, round_id) == 5
    listed = await client.get(f"/console/rounds/{round_id}")
    assert "第2批：第4至5号" in listed.text
    assert "第1批：第1至3号" in listed.text
    assert "未用 2，已用 0，作废 0" in listed.text
    assert f'href="/console/rounds/{round_id}/slips/2"' in listed.text
    assert "查看并重印" in listed.text


async def test_the_api_numbers_its_batches_too(client, db, staff):
    round_id = await make_round(db)
    url = f"/api/v1/rounds/{round_id}/codes"
    first = await client.post(url, json={"count": 2}, headers=staff["facilitator"])
    second = await client.post(url, json={"count": 3}, headers=staff["facilitator"])
    assert first.json()["batch"] == 1
    assert second.json()["batch"] == 2
    assert [c["number"] for c in first.json()["codes"]] == [1, 2]
    assert [c["number"] for c in second.json()["codes"]] == [3, 4, 5]
    rows = (await db.execute(select(SlipBatch.number, SlipBatch.first, SlipBatch.count))).all()
    assert sorted(tuple(r) for r in rows) == [(1, 1, 2), (2, 3, 3)]


# --- reprinting -------------------------------------------------------------------------


async def test_a_reprint_gives_the_same_code_only_while_unused(client, db, staff, tmp_path):
    round_id = await make_round(db)
    codes = await issue(client, staff["facilitator"], round_id, 4)
    assert (await cast(client, round_id, codes[1], ranked("文化墙"))).status_code == 201
    use_session(client, staff["facilitator"])
    await post_form(
        client, f"/console/rounds/{round_id}/slips/void", {"numbers": "4", "reason": "丢了"}
    )
    page = await client.get(f"/console/rounds/{round_id}/slips/1")
    assert labels_of(page.text, "slip-code") == [codes[0], codes[2]]
    assert labels_of(page.text, "slip-number") == ["第1号", "第3号"]
    pdf = await client.get(f"/console/rounds/{round_id}/slips/1/pdf")
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    printed = pdf_text(pdf.content, tmp_path)
    assert codes[0] in printed
    assert codes[2] in printed
    assert codes[1] not in printed
    assert codes[3] not in printed
    assert "第1号" in printed
    assert "第3号" in printed
    name = quote("第1轮投票码-第1至3号.pdf", safe="")
    assert f"filename*=UTF-8''{name}" in pdf.headers["content-disposition"]
    assert 'filename="round-1-voter-codes-1-3.pdf"' in pdf.headers["content-disposition"]
    # the reprinted code still votes
    assert (await cast(client, round_id, codes[2], ranked("文化墙"))).status_code == 201
    after = await client.get(f"/console/rounds/{round_id}/slips/1")
    assert labels_of(after.text, "slip-code") == [codes[0]]
    printings = (
        await db.scalars(
            select(AuditEvent.detail).where(AuditEvent.action == "codes.slips_printed")
        )
    ).all()
    assert [d["numbers"] for d in printings] == [[1, 3], [1, 3], [1]]
    assert not any(c in str(printings) for c in codes)


async def test_a_changed_secret_key_is_refused_not_printed(client, db, staff):
    round_id = await make_round(db)
    await issue(client, staff["facilitator"], round_id, 2)
    with pytest.raises(Conflict) as refused:
        await batches.unused_slips(db, round_id, 1, SECRET + "-changed", FACILITATOR, None, "卡纸")
    assert refused.value.code == "slips-key-changed"
    await db.rollback()
    found, slips = await batches.unused_slips(db, round_id, 1, SECRET, FACILITATOR, None, "卡纸")
    assert (found.number, [s.number for s in slips]) == (1, [1, 2])
    await db.rollback()


async def test_codes_issued_before_numbering_still_vote_and_are_not_reprinted(client, db, staff):
    round_id = await make_round(db)
    old = new_code()
    db.add(VoterCode(round_id=round_id, code_hash=code_hash(SECRET, old), status="issued"))
    await db.commit()
    await issue(client, staff["facilitator"], round_id, 1)
    use_session(client, staff["facilitator"])
    page = await client.get(f"/console/rounds/{round_id}")
    assert "另有 1 个投票码是在纸条编号启用前发的" in page.text
    slips = await client.get(f"/console/rounds/{round_id}/slips/1")
    assert shown(old) not in slips.text
    assert len(labels_of(slips.text, "slip-code")) == 1
    assert (await cast(client, round_id, shown(old), ranked("文化墙"))).status_code == 201


# --- voiding by numbers -----------------------------------------------------------------


async def test_slips_are_voided_by_their_numbers_and_used_ones_are_left(client, db, staff):
    round_id = await make_round(db)
    codes = await issue(client, staff["facilitator"], round_id, 6)
    assert (await cast(client, round_id, codes[1], ranked("文化墙"))).status_code == 201
    use_session(client, staff["facilitator"])
    url = f"/console/rounds/{round_id}/slips/void"
    done = await post_form(
        client, url, {"numbers": "1-3， 5", "reason": "这一批没打印出来"}, follow_redirects=False
    )
    assert done.status_code == 303
    report = await client.get(done.headers["location"])
    assert "已作废：第1、3、5号" in report.text
    assert "这些纸条已经投过票，没有作废：第2号" in report.text
    db.expire_all()
    rows = (
        await db.execute(
            select(VoterCode.number, VoterCode.status, VoterCode.void_reason)
            .where(VoterCode.round_id == round_id)
            .order_by(VoterCode.number)
        )
    ).all()
    assert sorted((n or 0, s) for n, s, _ in rows) == [
        (0, "used"),  # a used code keeps no slip number
        (1, "void"),
        (3, "void"),
        (4, "issued"),
        (5, "void"),
        (6, "issued"),
    ]
    assert {r for _, s, r in rows if s == "void"} == {"这一批没打印出来"}
    refused = await cast(client, round_id, codes[2], ranked("文化墙"))
    assert refused.json()["code"] == "code-void"
    audit = await db.scalar(select(AuditEvent).where(AuditEvent.action == "slips.voided"))
    assert audit.detail == {
        "voided": [1, 3, 5],
        "used": [2],
        "already_void": [],
        "reason": "这一批没打印出来",
    }
    # again: nothing more is voided, and it says so
    again = await post_form(client, url, {"numbers": "1-2", "reason": "再试"})
    assert "没有纸条被作废" in again.text
    assert "之前已经作废：第1号" in again.text
    # a number the round has not issued voids nothing
    unknown = await post_form(client, url, {"numbers": "4, 9-12", "reason": "丢了"})
    assert unknown.status_code == 422
    assert "本轮没有第9-12号纸条" in unknown.text
    db.expire_all()
    status = await db.scalar(select(VoterCode.status).where(VoterCode.number == 4))
    assert status == "issued"
    for typed, said in (("十二", "纸条编号“十二”看不懂"), ("", "请填写要作废的纸条编号")):
        bad = await post_form(client, url, {"numbers": typed, "reason": "丢了"})
        assert bad.status_code == 422
        assert said in bad.text


def test_slip_numbers_as_people_type_them():
    assert batches.slip_numbers("12-18, 21") == {*range(12, 19), 21}
    assert batches.slip_numbers("12至14、21；3") == {12, 13, 14, 21, 3}
    assert batches.slip_numbers(" 7 ") == {7}
    for typed in ("0", "18-12", "1-", "abc", "1-99999"):
        with pytest.raises(Invalid) as refused:
            batches.slip_numbers(typed)
        assert refused.value.field == "numbers"
    assert batches.ranges([21, 12, 13, 14]) == [(12, 14), (21, 21)]


# --- the PDF and its name ---------------------------------------------------------------


async def test_the_api_slips_pdf_has_a_chinese_name(client, db, staff, tmp_path):
    round_id = await make_round(db)
    await issue(client, staff["facilitator"], round_id, 11)
    response = await client.post(
        f"/api/v1/rounds/{round_id}/code-slips", json={"count": 7}, headers=staff["facilitator"]
    )
    assert response.status_code == 201
    disposition = response.headers["content-disposition"]
    assert f"filename*=UTF-8''{quote('第1轮投票码-第12至18号.pdf', safe='')}" in disposition
    assert 'filename="round-1-voter-codes-12-18.pdf"' in disposition
    printed = pdf_text(response.content, tmp_path)
    assert "第12号" in printed
    assert "第18号" in printed
    english = await client.post(
        f"/api/v1/rounds/{round_id}/code-slips?lang=en",
        json={"count": 1},
        headers=staff["facilitator"],
    )
    assert "round-1-voter-code-19.pdf" in english.headers["content-disposition"]


async def test_the_secretary_pages_slips_pdf_is_named_and_never_stored(client, db, staff):
    round_id = await make_round(db)
    use_session(client, staff["admin"])
    response = await post_form(client, f"/secretary/rounds/{round_id}/code-slips", {"count": "2"})
    assert response.status_code == 200, response.text[:300]
    assert response.headers["content-type"] == "application/pdf"
    assert 'filename="round-1-voter-codes-1-2.pdf"' in response.headers["content-disposition"]
    assert response.headers["cache-control"] == "no-store"  # the only copy of the codes
    assert response.headers["x-content-type-options"] == "nosniff"


# --- nothing readable at rest -------------------------------------------------------------


async def test_no_stored_value_holds_a_readable_code(client, db, staff, settings):
    round_id = await make_round(db, household_roll=True)
    roll = [f"3栋2单元{n}" for n in range(501, 521)]
    response = await client.post(
        f"/api/v1/rounds/{round_id}/codes", json={"households": roll}, headers=staff["admin"]
    )
    codes = [c["code"] for c in response.json()["codes"]]
    assert len(codes) == 20
    use_session(client, staff["facilitator"])
    await client.get(f"/console/rounds/{round_id}/slips/1")  # a reprint, audited
    stored = await every_value(db)
    for code in codes:
        assert code not in stored
        assert code.replace("-", "") not in stored
    if settings.database_url.startswith("sqlite"):
        path = Path(settings.database_url.split("///", 1)[1])
        raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
        for code in codes:
            assert code.encode() not in raw
            assert code.replace("-", "").encode() not in raw
    # yet the server, holding the key, makes each again from the salt and the number
    salt = await db.scalar(select(SlipBatch.salt).where(SlipBatch.round_id == round_id))
    key = slip_key(SECRET)
    assert [shown(slip_code(key, round_id, salt, n)) for n in range(1, 21)] == codes


def test_a_slip_code_depends_on_the_key_the_round_the_salt_and_the_number():
    key, salt = slip_key(SECRET), bytes(16)
    code = slip_code(key, 1, salt, 1)
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{10}", code)
    assert code == slip_code(slip_key(SECRET), 1, bytes(16), 1)
    others = {
        slip_code(slip_key("another"), 1, salt, 1),
        slip_code(key, 2, salt, 1),
        slip_code(key, 1, b"\x01" + salt[1:], 1),
        slip_code(key, 1, salt, 2),
    }
    assert code not in others
    assert len(others) == 4


# --- household rules, told before any code is made ---------------------------------------


def test_look_alikes_are_the_same_numbers_written_otherwise():
    assert skeleton("3号楼2单元101") == skeleton("3-2-101") == ("3", "2", "101")
    assert skeleton("３栋２单元０１０１室") == ("3", "2", "101")
    assert skeleton("a座101") == skeleton("Ａ座 101") == ("A", "101")
    assert skeleton("A座101") != skeleton("B座101")
    lines = [(1, "3号楼2单元101"), (2, "3-2-101"), (3, "3-2-102"), (4, "3－2－101")]
    assert look_alikes(lines) == [[(1, "3号楼2单元101"), (2, "3-2-101")]]


async def warnings_of(page: str) -> list[tuple[str, str]]:
    found = re.findall(r'class="household-warning" data-kind="([a-z-]+)">([^<]*)<', page)
    return [(kind, said) for kind, said in found]


async def test_the_page_tells_household_rules_before_any_code(client, db, staff):
    round_id = await make_round(db, household_roll=True)
    use_session(client, staff["facilitator"])
    url = f"/console/rounds/{round_id}/codes"
    typed = "3号楼2单元101\n3-2-101\n5-1-202\n\n5－1－２０２\n7-1-701"
    checked = await post_form(client, url, {"households": typed}, follow_redirects=False)
    assert checked.status_code == 200
    said = await warnings_of(checked.text)
    assert said == [
        ("duplicate", "第 3、5 行是同一户（5-1-202、5－1－２０２）：仍然发放时这一户只发一张。"),
        (
            "look-alike",
            "3号楼2单元101、3-2-101的门牌号码相同，可能是同一户的不同写法（第 1、2 行）。",
        ),
    ]
    assert f">{typed}</textarea>" in checked.text  # the list as typed, kept
    assert "仍然发放" in checked.text
    assert await codes_stored(db, round_id) == 0  # nothing made
    confirmed = await post_form(
        client, url, {"households": typed, "confirm": "1"}, follow_redirects=False
    )
    assert confirmed.status_code == 303
    batch = await client.get(confirmed.headers["location"])
    households = labels_of(batch.text, "slip-household")
    assert households == ["3号楼2单元101", "3-2-101", "5-1-202", "7-1-701"]
    codes = dict(zip(households, labels_of(batch.text, "slip-code"), strict=True))
    assert (await cast(client, round_id, codes["5-1-202"], ranked("文化墙"))).status_code == 201
    # the next list: one household voted, one holds a live code, one new
    again = await post_form(client, url, {"households": "5-1-202\n7-1-701\n9-9-909"})
    assert await warnings_of(again.text) == [
        ("voted", "5-1-202已经投过票，不会再发投票码（第 1 行）。"),
        (
            "live",
            "7-1-701已经领过一张还没用的投票码（第 2 行）。仍然发放，这一户会有两张；"
            "如果旧纸条丢了，请先按编号作废。",
        ),
    ]
    before = await codes_stored(db, round_id)
    issued = await post_form(
        client, url, {"households": "5-1-202\n7-1-701\n9-9-909", "confirm": "1"}
    )
    assert labels_of(issued.text, "slip-household") == ["7-1-701", "9-9-909"]
    assert labels_of(issued.text, "slip-number") == ["第5号", "第6号"]
    assert await codes_stored(db, round_id) == before + 2
    # a list of voted households only: nothing to issue, no button to issue anyway
    none = await post_form(client, url, {"households": "5-1-202", "confirm": "1"})
    assert "名单上没有可以发放的户" in none.text
    assert 'id="issue-anyway"' not in none.text


async def test_the_api_holds_live_codes_and_look_alikes_until_confirmed(client, db, staff):
    round_id = await make_round(db, household_roll=True)
    url = f"/api/v1/rounds/{round_id}/codes"
    headers = staff["facilitator"]
    first = await client.post(url, json={"households": ["3栋2单元501"]}, headers=headers)
    assert first.status_code == 201
    twice = await client.post(url, json={"households": ["1-101", "１-101"]}, headers=headers)
    assert (twice.status_code, twice.json()["code"]) == (422, "roll-clash")
    alike = await client.post(url, json={"households": ["3-2-501", "4-1-1"]}, headers=headers)
    assert alike.status_code == 409
    body: dict[str, Any] = alike.json()
    assert body["code"] == "codes-unconfirmed"
    assert body["field"] == "households"
    assert body["detail"]["warnings"] == [
        {"kind": "look-alike", "lines": [1], "households": ["3-2-501", "3栋2单元501"]}
    ]
    assert "3-2-501" in body["message_zh"]
    slips = await client.post(
        f"/api/v1/rounds/{round_id}/code-slips",
        json={"households": ["3栋2单元501"]},
        headers=headers,
    )
    assert (slips.status_code, slips.json()["code"]) == (409, "codes-unconfirmed")
    assert await codes_stored(db, round_id) == 1
    confirmed = await client.post(
        url, json={"households": ["3-2-501", "4-1-1"], "confirm": True}, headers=headers
    )
    assert confirmed.status_code == 201
    assert [w["kind"] for w in confirmed.json()["warnings"]] == ["look-alike"]
    labels = (await db.scalars(select(Household.label).order_by(Household.id))).all()
    assert labels == ["3栋2单元501", "3-2-501", "4-1-1"]


async def test_the_slips_pages_in_english(client, db, staff):
    round_id = await make_round(db, household_roll=True)
    use_session(client, staff["facilitator"])
    url = f"/console/rounds/{round_id}/codes?lang=en"
    checked = await post_form(client, url, {"households": "A-101\nA座101"})
    assert "may be one household written two ways (line 1, 2)" in checked.text
    issued = await post_form(client, url, {"households": "A-101\nB-7", "confirm": "1"})
    assert "Batch 1, slips 1–2" in issued.text
    assert labels_of(issued.text, "slip-number") == ["No. 1", "No. 2"]
    voided = await post_form(
        client,
        f"/console/rounds/{round_id}/slips/void?lang=en",
        {"numbers": "1-2", "reason": "lost"},
    )
    assert "Voided: No. 1–2." in voided.text


async def test_a_household_line_of_thousands_of_digits_is_told_not_500(client, db, staff):
    """Python's int() refuses more than 4,300 digits: the look-alike check must not use it."""
    round_id = await make_round(db, household_roll=True)
    use_session(client, staff["facilitator"])
    url = f"/console/rounds/{round_id}/codes"
    typed = "3-2-101\n" + "1" * 5000
    answer = await post_form(client, url, {"households": typed}, follow_redirects=False)
    assert answer.status_code in (200, 303, 422), answer.text[:300]
    assert skeleton("0" * 4999 + "7") == ("7",)
    assert skeleton("3栋2单元0101室") == ("3", "2", "101")
