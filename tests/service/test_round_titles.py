"""A round's title says its number once, on every surface: the console (round list, round
page, slips page, seeding choice), the tablet, the board, the printed slips, the PDF record
and the XLSX workbook — whether the name kept is the console's default ("第1轮"), empty, or
begins with the round it is ("第一轮：设施排序")."""

from __future__ import annotations

import io
import secrets

import pytest
from openpyxl import load_workbook

from service.rounds.titles import chinese_numeral, own_name, round_title
from tests.support.documents import pdf_text
from tests.support.pages import enrol, post_form, use_session
from tests.support.rounds import ensure_phone_window, new_round, pocket_park, to_phase


@pytest.mark.parametrize(
    ("number", "name", "zh", "en"),
    [
        (2, "第2轮", "第2轮", "Round 2"),  # the console's default name, kept
        (2, "", "第2轮", "Round 2"),
        (2, None, "第2轮", "Round 2"),
        (2, "  ", "第2轮", "Round 2"),
        (2, "Round 2", "第2轮", "Round 2"),
        (2, "round #2", "第2轮", "Round 2"),
        (2, "第 2 轮", "第2轮", "Round 2"),
        (2, "第２轮", "第2轮", "Round 2"),  # full-width digit
        (2, "第二轮", "第2轮", "Round 2"),
        (2, "第二轮次", "第2轮", "Round 2"),
        (2, "预算投票", "第2轮：预算投票", "Round 2: 预算投票"),
        (2, "第二轮：预算分配", "第2轮：预算分配", "Round 2: 预算分配"),
        (2, "第2轮 - 预算分配", "第2轮：预算分配", "Round 2: 预算分配"),
        (2, "Round 2: budget", "第2轮：budget", "Round 2: budget"),
        (12, "第十二轮：复议", "第12轮：复议", "Round 12: 复议"),
        (20, "第二十轮", "第20轮", "Round 20"),
        # a name that names another round is the facilitator's to keep
        (2, "第3轮", "第2轮：第3轮", "Round 2: 第3轮"),
        (2, "第二十轮", "第2轮：第二十轮", "Round 2: 第二十轮"),
        (2, "Round 23", "第2轮：Round 23", "Round 2: Round 23"),
    ],
)
def test_a_rounds_title_says_its_number_once(number, name, zh, en):
    assert round_title(number, name) == zh
    assert round_title(number, name, "zh") == zh
    assert round_title(number, name, "en") == en


def test_own_name_is_what_the_name_says_besides_the_number():
    assert own_name(1, "第一轮：设施排序") == "设施排序"
    assert own_name(1, "第1轮") == ""
    assert own_name(1, "设施排序") == "设施排序"


@pytest.mark.parametrize(
    ("number", "numeral"),
    [(1, "一"), (9, "九"), (10, "十"), (11, "十一"), (20, "二十"), (21, "二十一"), (99, "九十九")],
)
def test_chinese_numerals(number, numeral):
    assert chinese_numeral(number) == numeral


async def test_the_default_name_is_not_said_twice_anywhere(client, staff, db, tmp_path):
    park = await pocket_park(db)
    facilitator, secretary = staff["facilitator"], staff["secretary"]
    made = await new_round(client, facilitator, park.process, park.proposals[:3], title="第1轮")
    rid = made["id"]
    doubled = "第1轮：第1轮"
    use_session(client, facilitator)

    shown = [
        await client.get(f"/console/processes/{park.process}"),
        await client.get(f"/console/rounds/{rid}"),
    ]
    assert (await to_phase(client, facilitator, rid, "voting")).status_code == 200
    await ensure_phone_window(client, facilitator, rid)  # the API casts from home
    slips_page = await post_form(client, f"/console/rounds/{rid}/codes", {"count": "2"})
    shown += [slips_page, await client.get("/kiosk/enrol")]
    community = (await client.get(f"/api/v1/processes/{park.process}", headers=facilitator)).json()[
        "community_id"
    ]
    shown.append(await client.get(f"/board/communities/{community}"))
    for page in shown:
        assert page.status_code == 200, page.text
        assert "第1轮" in page.text, page.url
        assert doubled not in page.text, page.url

    slips = await client.post(
        f"/api/v1/rounds/{rid}/code-slips", json={"count": 2}, headers=facilitator
    )
    assert slips.status_code == 201, slips.text
    printed = pdf_text(slips.content, tmp_path)
    assert printed.count("第1轮") == 2
    assert doubled not in printed
    assert "…" not in printed

    issued = await client.post(
        f"/api/v1/rounds/{rid}/codes", json={"count": 2}, headers=facilitator
    )
    for n, code in enumerate(c["code"] for c in issued.json()["codes"]):
        ranking = [[name] for name in (["儿童游乐设施", "健康监测站"][:: 1 if n else -1])]
        cast = {
            "code": code,
            "key": secrets.token_urlsafe(16),
            "ballot": {"kind": "ranked", "ranking": ranking},
        }
        assert (await client.post(f"/api/v1/rounds/{rid}/ballots", json=cast)).status_code == 201
    assert (await to_phase(client, facilitator, rid, "closed")).status_code == 200

    record = await client.get(f"/api/v1/rounds/{rid}/exports/pdf", headers=secretary)
    assert record.status_code == 200, record.text
    text = pdf_text(record.content, tmp_path)
    assert "第1轮" in text
    assert doubled not in text
    book = load_workbook(
        io.BytesIO(
            (await client.get(f"/api/v1/rounds/{rid}/exports/xlsx", headers=secretary)).content
        )
    )
    cells = [str(c.value) for sheet in book for row in sheet.iter_rows() for c in row if c.value]
    assert "第1轮" in cells
    assert not [c for c in cells if doubled in c]

    # the tablet (enrolling it signs the facilitator out on it, so it comes last)
    await to_phase(client, facilitator, rid, "published")
    second = await new_round(client, facilitator, park.process, park.proposals[:2], title="第2轮")
    assert (await to_phase(client, facilitator, second["id"], "voting")).status_code == 200
    await ensure_phone_window(client, facilitator, second["id"])
    await enrol(client, facilitator, second["id"])
    tablet = await client.get("/kiosk")
    assert tablet.status_code == 200
    assert "第2轮" in tablet.text
    assert "第2轮：第2轮" not in tablet.text


async def test_a_name_beginning_with_its_round_is_shown_once(client, staff, db):
    park = await pocket_park(db)
    facilitator = staff["facilitator"]
    made = await new_round(
        client, facilitator, park.process, park.proposals[:3], title="第一轮：设施排序"
    )
    use_session(client, facilitator)
    page = await client.get(f"/console/rounds/{made['id']}")
    assert "第1轮：设施排序" in page.text
    assert "第一轮" not in page.text
    english = await client.get(f"/console/rounds/{made['id']}?lang=en")
    assert "Round 1: 设施排序" in english.text
