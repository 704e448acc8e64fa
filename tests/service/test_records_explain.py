"""The explanation in the printed record and the tables (no database: the pocket-park
bundle of ``golden/`` with its count replaced): the head-to-head table of a pairwise round
with the winner's row shaded and why it won, every counting step of a long count, the
count sheet and CSV true per option and step, and the workbook's explanation sheet."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

import msgspec
import numpy
from openpyxl import load_workbook
from PIL import Image

from ballots.bundle import Bundle, Package, decode, seal
from engine import RankedProfile, Result, tally
from engine.compare import compare
from service.records import tables
from service.records.document import decision_pdf
from tests.support.profiles import CYCLE, IRV_EXHAUSTED, TIE

GOLDEN = Path(__file__).with_name("golden") / "pocket-park-round1.json"

# Twelve options; option k is the only choice on k ballots (78 in all). Each step the
# smallest is out and its ballots have no further choice, until 方案11 (11) and 方案12 (12)
# are left and 方案12 has 12 of the 23 votes still counting: eleven counting steps.
LONG = RankedProfile.from_orders(
    [f"方案{k}" for k in range(1, 13)],
    [[f"方案{k}"] for k in range(1, 13) for _ in range(k)],
)


def bundle_of(result: Result, profile: RankedProfile) -> Bundle:
    """The golden round-1 bundle with its count replaced by ``result``."""
    golden = decode(GOLDEN.read_bytes())
    record = golden.rounds[0]
    record = msgspec.structs.replace(
        record,
        counting=msgspec.structs.replace(record.counting, method=result.method),
        result=result,
        comparison=compare(profile, seed=result.seed),
    )
    return seal(Package(scope="round", process=golden.process, rounds=(record,)))


def pdf_words(pdf: bytes, tmp_path: Path) -> str:
    """The PDF's text with every space and line break taken out (CJK lines wrap anywhere)."""
    path = tmp_path / "record.pdf"
    path.write_bytes(pdf)
    done = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True)
    return re.sub(r"\s+", "", done.stdout.decode("utf-8"))


def test_a_pairwise_round_prints_the_head_to_head_table_and_why(tmp_path):
    result = tally("schulze", CYCLE, seed="s")
    pdf = decision_pdf(bundle_of(result, CYCLE), "zh")
    words = pdf_words(pdf, tmp_path)
    for expected in (
        "两两对决表",
        "行对列",
        "6（胜）",
        "3（负）",
        "为什么是这个结果",
        "存在循环：甲赢乙（6比3），乙赢丙（7比2），丙又赢甲（5比4）",
        "史密斯集合",
        "甲到丙：甲→乙→丙，强度6；反过来最强只有5。",
        "所以甲排在第一。",
    ):
        assert expected in words, expected
    assert "得分" not in words  # no bare score column any more
    # the winner's row is shaded green
    subprocess.run(
        ["pdftoppm", "-r", "50", "-png", str(tmp_path / "record.pdf"), str(tmp_path / "page")],
        check=True,
    )
    green = 0
    for page in tmp_path.glob("page*.png"):
        pixels = numpy.asarray(Image.open(page).convert("RGB")).astype(int)
        shade = (abs(pixels[..., 0] - 0xE3) < 4) & (abs(pixels[..., 1] - 0xF1) < 4)
        green += int((shade & (abs(pixels[..., 2] - 0xE6) < 4)).sum())
    assert green > 200


def test_a_tie_prints_as_a_tie_with_the_lot_to_redo(tmp_path):
    result = tally("copeland", TIE, seed="红板凳")
    words = pdf_words(decision_pdf(bundle_of(result, TIE), "zh"), tmp_path)
    assert "但这不是循环，而是打平：甲与乙打平（3比3）" in words
    assert "存在循环" not in words
    assert "按科普兰法，甲、乙不分高下，只能抽签：抽中的" in words
    assert "怎样重做抽签" in words
    assert "种子：红板凳" in words


def test_every_step_of_a_long_count_is_printed(tmp_path):
    result = tally("irv", LONG)
    assert len(result.rounds) == 11
    assert result.winners == ("方案12",)
    words = pdf_words(decision_pdf(bundle_of(result, LONG), "zh"), tmp_path)
    for n in range(1, 12):
        assert f"第{n}步" in words, n  # a column for every step, the first ones too
        assert f"计票第{n}步：" in words, n  # and its sentence
    assert (
        "方案1得票最少（1票），被淘汰。方案1的1票按下一志愿转出：1票没有更多志愿，不再计入。"
        in words
    )
    assert "方案12得12票，超过仍在计数的23票的一半，当选。" in words
    assert "不再计入的票" in words
    assert "失效票" not in words


def test_the_count_table_is_true_per_option_and_step():
    bundle = bundle_of(tally("irv", IRV_EXHAUSTED), IRV_EXHAUSTED)
    rows = tables.count_rows(bundle.rounds[0], "zh")
    assert rows == [
        ["轮次", "计票步骤", "选项", "票数", "本步转入", "说明"],
        [1, 1, "甲", 5, 0, "继续计数"],
        [1, 1, "乙", 3, 0, "继续计数"],
        [1, 1, "丙", 3, 0, "继续计数"],
        [1, 1, "丁", 2, 0, "淘汰"],
        [1, 1, "不再计入的票", 0, 0, "没有更多志愿、不再计入的选票（累计）"],
        [1, 2, "甲", 5, 0, "继续计数"],
        [1, 2, "乙", 4, 1, "继续计数"],
        [1, 2, "丙", 3, 0, "淘汰"],
        [1, 2, "不再计入的票", 1, 1, "没有更多志愿、不再计入的选票（累计）"],
        [1, 3, "甲", 5, 0, "未当选"],
        [1, 3, "乙", 7, 3, "当选"],
        [1, 3, "不再计入的票", 1, 0, "没有更多志愿、不再计入的选票（累计）"],
    ]
    english = tables.count_rows(bundle.rounds[0], "en")
    assert english[0] == ["round", "count_step", "option", "votes", "received", "note"]
    assert english[-2] == [1, 3, "乙", 7, 3, "elected"]


def test_a_pairwise_count_sheet_holds_every_contest():
    result = tally("schulze", CYCLE, seed="s")
    bundle = bundle_of(result, CYCLE)
    rows = tables.count_rows(bundle.rounds[0], "zh")
    assert rows[0] == [
        "轮次",
        "选项",
        "对手",
        "把选项排在对手前面的选票",
        "把对手排在选项前面的选票",
        "说明",
    ]
    assert [1, "甲", "乙", 6, 3, "胜"] in rows
    assert [1, "甲", "丙", 4, 5, "负"] in rows
    assert [1, "丙", "甲", 5, 4, "胜"] in rows
    assert len(rows) == 1 + 3 * 2

    book = load_workbook(io.BytesIO(tables.workbook(bundle, "zh")))
    assert book.sheetnames == ["概况", "选票", "计票", "两两对决", "计票说明", "意见"]
    grid = book["两两对决"]
    assert [c.value for c in grid[1]] == ["行对列", "甲", "乙", "丙"]
    assert [c.value for c in grid[2]] == ["甲 ✓", None, 6, 4]
    assert grid["A2"].font.bold
    assert grid["A2"].fill.fgColor.rgb.endswith("E3F1E6")
    assert not grid["A3"].font.bold
    notes = [[c.value for c in row] for row in book["计票说明"].iter_rows()]
    assert notes[0] == ["部分", "说明"]
    assert ["为什么是这个结果", "所以 甲 排在第一。"] in notes
    assert ["平局处理", "没有遇到平局。"] in notes
    tie = bundle_of(tally("schulze", TIE, seed="红板凳"), TIE)
    tie_notes = [
        [c.value for c in r]
        for r in load_workbook(io.BytesIO(tables.workbook(tie, "zh")))["计票说明"].iter_rows()
    ]
    assert any(part == "怎样重做抽签" and "红板凳" in line for part, line in tie_notes)
