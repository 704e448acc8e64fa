"""The result chart: well-formed SVG with a title and a description, one bar per option
and counting step, transfers (and ballots running out of choices) drawn apart, elected and
eliminated marked at the step they happen, names escaped; and the result screen's table
and words for the method comparison."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np

from engine import RankedProfile, tally
from engine.compare import compare
from engine.profile import ApprovalProfile
from service.web.chart import ELECTED, ELIMINATED, GAINED, KEPT, fit, result_chart, text_width
from service.web.reveal import comparison_words, result_table
from tests.support.profiles import IRV_EXHAUSTED

SVG = "{http://www.w3.org/2000/svg}"
PARK = ["儿童游乐设施", "健康监测站", "文化墙", "遮阳座椅"]
# 9 ballots. Round 1: play 4, health 3, culture 2, shade 0 — shade out (nothing moves);
# round 2: culture out, its 2 ballots go to health (5 of 9): health wins in round 3.
ORDERS = (
    [[["儿童游乐设施"]]] * 4
    + [[["健康监测站"], ["儿童游乐设施"]]] * 3
    + [[["文化墙"], ["健康监测站"]]] * 2
)


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def rects_in_row(root: ET.Element, label: str) -> list[ET.Element]:
    """The bars drawn in the row whose name is ``label``."""
    [name] = [t for t in root.iter(f"{SVG}text") if t.text == label]
    middle = float(name.get("y"))
    return [
        r
        for r in root.iter(f"{SVG}rect")
        if r.get("height") == "34" and abs(float(r.get("y")) + 17 - middle) < 1
    ]


def test_rounds_chart_draws_every_step_and_the_transfers():
    result = tally("irv", RankedProfile.from_orders(PARK, ORDERS), seed="seed")
    assert result.winners == ("健康监测站",)
    root = parse(str(result_chart(result, "zh")))
    assert root.get("role") == "img"
    assert root.find(f"{SVG}title").text == "计票结果：即时决选（IRV）"
    assert "共 3 个计票步骤、9 张选票" in root.find(f"{SVG}desc").text
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert {"第1步", "第2步", "第3步"} <= set(texts)
    assert not any("轮" in (t or "") for t in texts)  # 轮 is the meeting's word, not the count's
    assert set(PARK) <= set(texts)
    assert "5 ✓" in texts
    assert "2 ✗" in texts
    assert "0 ✗" in texts
    assert "不再计入的票" not in texts  # no ballot ran out of choices
    fills = [r.get("fill") for r in root.iter(f"{SVG}rect")]
    assert fills.count(GAINED) >= 2  # health's transfer at step 3, plus the legend swatch
    assert ELECTED in fills
    assert ELIMINATED in fills
    # 文化墙 is red only at step 2, where it is knocked out; blue (still counting) at step 1
    culture = [r.get("fill") for r in rects_in_row(root, "文化墙")]
    assert culture == [KEPT, ELIMINATED]


def test_ballots_with_no_further_choice_are_drawn_as_transferred():
    # 13 ballots (worked in tests/service/test_explain.py): at step 1 丁 is out and of its
    # 2 ballots one has no further choice; at step 2 that ballot is what the pile received.
    result = tally("irv", IRV_EXHAUSTED)
    root = parse(str(result_chart(result, "zh")))
    pile = rects_in_row(root, "不再计入的票")
    assert [r.get("fill") for r in pile if float(r.get("width")) > 0] == [GAINED, KEPT]
    assert "最后一行是没有更多志愿、不再计入的选票" in root.find(f"{SVG}desc").text
    table = result_table(result, "zh")
    assert table.header == ["选项", "第1步", "第2步", "第3步"]
    assert table.rows[-1] == ["不再计入的票", "0", "1", "1"]
    assert ["乙", "3", "4", "7 ✓"] in table.rows


def test_names_are_escaped_and_cut_to_fit():
    names = ["<b>甲</b> & 乙", "一个名字特别特别特别特别特别特别特别长的方案"]
    result = tally("irv", RankedProfile.from_orders(names, [[[names[0]]], [[names[0]]]]))
    svg = str(result_chart(result, "en"))
    root = parse(svg)  # well-formed despite the markup in a name
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "<b>甲</b> & 乙" in texts
    assert "<b>" not in svg
    assert fit(names[1], 200).endswith("…")
    assert text_width(fit(names[1], 200)) <= 200


def test_pairwise_methods_have_no_chart_and_budgets_draw_decisions():
    schulze = tally("schulze", RankedProfile.from_orders(PARK, ORDERS), seed="seed")
    assert result_chart(schulze, "zh") is None  # the head-to-head table explains it instead
    matrix = np.array([[1, 1, 0, 0], [1, 0, 1, 0], [0, 1, 1, 1]])
    profile = ApprovalProfile.from_matrix(PARK, matrix, costs=(1200, 800, 300, 250), budget=1500)
    budget = tally("equal-shares", profile)
    svg = str(result_chart(budget, "zh"))
    assert "1,200 元" in svg
    assert "立项" in svg
    funded = {d.candidate for d in budget.decisions if d.funded}
    texts = [t.text or "" for t in parse(svg).iter(f"{SVG}text")]
    assert funded <= set(texts)
    assert sum("✓" in t for t in texts) == len(funded)  # funded bars are marked
    table = result_table(budget, "zh")
    assert table.header == ["选项", "支持票", "造价", "结果"]


def test_the_comparison_in_words():
    orders = [[["甲"]], [["乙"]], [["丙"]], [["甲"]]]
    profile = RankedProfile.from_orders(["甲", "乙", "丙"], orders)
    rows, verdict, note = comparison_words(compare(profile, seed="fixed seed"), "zh")
    assert ("即时决选（IRV）", "甲") in rows
    assert verdict.endswith("的结果一致：甲")
    assert "舒尔茨法" in verdict
    assert note == "孔多塞胜者（两两对决都赢的选项）：甲"
    assert comparison_words(None, "zh") == ([], "", "")
