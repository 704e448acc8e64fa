"""The result poster for the notice board, on every database: a published round's A4 and A3
PDF read back as text (the winners, the Chinese heading, the turnout, the time of the count
in the community's zone), its page size, its rendering, its QR code read back module by
module and compared with the board page's address; the English version; a budget round's
funded projects; its Chinese file name; who may have it (anyone, once published) and the
refusals before publication; the links on the board's round page and the reveal page."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime
from urllib.parse import quote

import numpy
import pytest
from sqlalchemy import update

from ballots.formats import read_ballots
from engine import tally
from engine.process import RoundPhase
from engine.profile import RankedProfile
from service.db import models
from service.errors import Invalid
from service.records.poster import PosterFacts, board_url, paper, poster_pdf
from tests.support.chinese import foreign_words
from tests.support.documents import pdf_text
from tests.support.pages import use_session
from tests.support.paths import DEMO
from tests.support.posters import page_size, printed_qr, rendered, symbol
from tests.support.records_demo import build_demo
from tests.support.rounds import make_round

BASE = "http://testserver.local"


async def test_the_a4_poster_shows_the_winner_the_count_and_the_turnout(
    client, staff, db, tmp_path
):
    demo = await build_demo(client, staff, db)
    response = await client.get(f"/api/v1/rounds/{demo.round1}/poster")  # anyone: no token
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    pdf = response.content
    assert pdf.startswith(b"%PDF-")
    text = pdf_text(pdf, tmp_path)
    for words in (
        "议事结果公告",
        "杜集社区",
        "口袋公园建设方案",
        "第1轮：设施排序",
        "议题：社区东南角的闲置空地建口袋公园，先建哪些设施？",
        "当选方案",
        "儿童游乐设施",
        "逐步计票：每一步各方案的票数",
        "计票步骤",
        "有效选票：72 张",
        "计票方法：即时决选",
        "扫码查看完整结果",
    ):
        assert words in text, words
    assert re.search(r"计票时间：2026-\d\d-\d\d \d\d:\d\d（北京时间）", text)
    assert f"{BASE}/board/rounds/{demo.round1}" in text
    for option in ("健康监测站", "文化墙", "遮阳座椅"):  # the chart's legend: every option
        assert option in text
    assert foreign_words(text) == [], text  # Chinese throughout (即时决选（IRV） allowed)

    width, height = page_size(pdf, tmp_path)
    assert (round(width), round(height)) == (595, 842)  # A4 portrait

    page = rendered(pdf, tmp_path)
    pixels = numpy.asarray(page.convert("L"))
    assert (pixels < 128).mean() > 0.05  # drawn, not a blank page
    url = f"{BASE}/board/rounds/{demo.round1}"
    expected = symbol(url)
    assert printed_qr(page, len(expected)) == expected
    assert printed_qr(page, len(expected)) != symbol(f"{BASE}/board/rounds/{demo.round2}")


async def test_the_a3_poster_is_the_same_page_larger_with_a_chinese_file_name(
    client, staff, db, tmp_path
):
    demo = await build_demo(client, staff, db)
    response = await client.get(f"/api/v1/rounds/{demo.round1}/poster", params={"size": "a3"})
    assert response.status_code == 200, response.text
    width, height = page_size(response.content, tmp_path)
    assert (round(width), round(height)) == (842, 1191)  # A3 portrait
    disposition = response.headers["content-disposition"]
    assert quote("口袋公园建设方案-第1轮结果海报-A3.pdf") in disposition
    assert 'filename="redbench-round-1-poster-A3.pdf"' in disposition
    assert response.headers["x-content-type-options"] == "nosniff"
    page = rendered(response.content, tmp_path, dpi=100)
    expected = symbol(f"{BASE}/board/rounds/{demo.round1}")
    assert printed_qr(page, len(expected)) == expected  # the QR scales with the page


async def test_the_budget_round_poster_names_the_funded_projects(client, staff, db, tmp_path):
    demo = await build_demo(client, staff, db)
    response = await client.get(f"/api/v1/rounds/{demo.round2}/poster")
    assert response.status_code == 200, response.text
    text = pdf_text(response.content, tmp_path)
    assert "立项项目" in text
    assert "当选方案" not in text
    # in the largest type, broken between names only, never inside one
    assert re.search(r"立项项目\s+健身器材、?\s+儿童游乐设施\n", text), text
    assert "各项目的支持票数（红色：立项）" in text  # the projects' support, as bars
    assert "有效选票：40 张" in text
    assert quote("口袋公园建设方案-第2轮结果海报-A4.pdf") in response.headers["content-disposition"]


async def test_the_english_poster_from_the_board_page(client, staff, db, tmp_path):
    demo = await build_demo(client, staff, db)
    response = await client.get(
        f"/board/rounds/{demo.round1}/poster", params={"size": "A4", "lang": "en"}
    )
    assert response.status_code == 200, response.text
    text = pdf_text(response.content, tmp_path)
    for words in (
        "Decision notice",
        "Round 1: 设施排序",
        "Chosen",
        "儿童游乐设施",
        "Ballots counted: 72",
        "China Standard Time",
        "Scan for the full result",
    ):
        assert words in text, words
    assert "议事结果公告" not in text
    disposition = response.headers["content-disposition"]
    assert quote("口袋公园建设方案-round-1-result-poster-A4.pdf") in disposition


async def test_no_poster_before_the_result_is_published(client, staff, db):
    demo = await build_demo(client, staff, db)
    await db.execute(
        update(models.Round)
        .where(models.Round.id == demo.round1)
        .values(phase=RoundPhase.CLOSED, published_at=None)
    )
    await db.commit()
    for headers in ({}, staff["facilitator"], staff["secretary"], staff["admin"]):
        refused = await client.get(f"/api/v1/rounds/{demo.round1}/poster", headers=headers)
        assert refused.status_code == 409, refused.text
        body = refused.json()
        assert body["code"] == "results-hidden"
        assert "结果公布后才能打印结果海报" in body["message"]
    page = await client.get(f"/board/rounds/{demo.round1}/poster")
    assert page.status_code == 409
    assert "结果公布后才能打印结果海报" in page.text
    assert "text/html" in page.headers["content-type"]

    voting = await make_round(db, phase="voting")
    refused = await client.get(f"/api/v1/rounds/{voting}/poster")
    assert refused.status_code == 409
    assert refused.json()["code"] == "results-hidden"
    missing = await client.get("/api/v1/rounds/99999/poster")
    assert missing.status_code == 404


async def test_a_poster_size_other_than_a4_or_a3_is_refused_by_name(client, staff, db):
    demo = await build_demo(client, staff, db)
    refused = await client.get(f"/api/v1/rounds/{demo.round1}/poster", params={"size": "A5"})
    assert refused.status_code == 422
    body = refused.json()
    assert body["field"] == "size"
    assert body["message_zh"] == "海报纸张只能是 A4 或 A3，而不是“A5”"


async def test_the_board_and_the_reveal_page_link_the_poster_once_published(client, staff, db):
    demo = await build_demo(client, staff, db)
    board = await client.get(f"/board/rounds/{demo.round1}")
    assert f'href="/board/rounds/{demo.round1}/poster?size=A4&amp;lang=zh"' in board.text
    assert f'href="/board/rounds/{demo.round1}/poster?size=A3&amp;lang=zh"' in board.text
    assert "打印结果海报" in board.text
    use_session(client, staff["facilitator"])
    reveal = await client.get(f"/console/rounds/{demo.round1}/reveal")
    assert reveal.status_code == 200
    assert f'id="poster-a3" href="/board/rounds/{demo.round1}/poster?size=A3' in reveal.text

    await db.execute(
        update(models.Round).where(models.Round.id == demo.round1).values(phase=RoundPhase.CLOSED)
    )
    await db.commit()
    closed = await client.get(f"/console/rounds/{demo.round1}/reveal")
    assert closed.status_code == 200
    assert "/poster" not in closed.text  # nothing to post before publication


def test_the_qr_address_is_the_board_page_of_the_round() -> None:
    assert board_url("https://bench.example.cn/", 7) == "https://bench.example.cn/board/rounds/7"
    assert board_url("http://10.0.0.2:8000", 12) == "http://10.0.0.2:8000/board/rounds/12"


def test_paper_sizes() -> None:
    assert paper("a3") == "A3"
    assert paper(" A4 ") == "A4"
    with pytest.raises(Invalid) as refused:
        paper("letter")
    assert refused.value.field == "size"


def test_a_count_that_decided_nothing_says_so_on_the_poster(tmp_path) -> None:
    profile = read_ballots(DEMO).profile
    assert isinstance(profile, RankedProfile)
    empty = dataclasses.replace(profile, ranks=profile.ranks[:0], counts=profile.counts[:0])
    facts = PosterFacts(
        community="杜集社区",
        process="口袋公园建设方案",
        question="",
        number=2,
        title="",
        result=tally("irv", empty, seats=1),
        ballots=0,
        counted_at=datetime(2026, 5, 16, 2, 0, tzinfo=UTC),
        zone="Asia/Shanghai",
        board_url=board_url(BASE, 2),
    )
    text = pdf_text(poster_pdf(facts, "A4", "zh"), tmp_path)
    assert "计票结果" in text
    assert "无结果：没有有效选票" in text
    assert "当选方案" not in text
    assert "有效选票：0 张" in text
