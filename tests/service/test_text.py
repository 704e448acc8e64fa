"""The rules for what people type (:mod:`service.text`), one table per rule, and the
properties every rule keeps: normalising twice changes nothing, and nothing a rule returns
holds a control or invisible character."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service import text
from service.text import Unprintable, blank, household, household_key, likeness, line, prose

ZWSP, ZWNJ, ZWJ, WJ, BOM, SHY = "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"
LRM, RLO, LRI, PDI = "\u200e", "\u202e", "\u2066", "\u2069"

# (typed, stored by line)
LINES = [
    ("同名方案", "同名方案"),
    (f"同名方案{ZWSP}", "同名方案"),
    (f"{BOM}同{ZWNJ}名{ZWJ}方{WJ}案{SHY}", "同名方案"),
    (f"{RLO}反转{LRM}", "反转"),
    (f"{LRI}隔离{PDI}", "隔离"),
    ("  儿童游乐设施  ", "儿童游乐设施"),
    ("儿童   游乐\u3000\u3000设施", "儿童 游乐 设施"),  # runs of spaces, ideographic too
    ("儿童\t游乐\n设施\r\n", "儿童 游乐 设施"),  # a one-line field has no line breaks
    ("遮阳\u00a0座椅\u2028", "遮阳 座椅"),  # no-break space, line separator
    ("ＡＢＣ１２３", "ABC123"),  # full-width letters and digits are ASCII
    ("ﾃﾆｽ", "テニス"),  # half-width katakana are full-width
    ("ﬁtness", "fitness"),  # ligature
    ("e\u0301", "é"),  # composed
    ("e\u200b\u0301", "é"),  # composed once the zero-width space is gone
    ("这个方案好在哪里？", "这个方案好在哪里？"),  # Chinese punctuation stays as typed
    ("方案（一），二：三；四！", "方案（一），二：三；四！"),
    ("等等……", "等等……"),
    ("造价￥12万", "造价￥12万"),
    ("一二三", "一二三"),
    ("❤\ufe0f", "❤\ufe0f"),  # a variation selector chooses a glyph: kept
    ("=HYPERLINK(1)", "=HYPERLINK(1)"),  # text is text; exports keep it from running
]

# (typed, stored by prose)
PROSE = [
    ("好\n\n不好", "好\n\n不好"),
    ("第一行\r\n第二行\r第三行", "第一行\n第二行\n第三行"),
    ("甲\u2028乙\u2029丙\x85丁\x0b戊\x0c己", "甲\n乙\n丙\n丁\n戊\n己"),
    ("列\t对齐", "列\t对齐"),
    ("  \n 前后的空白 \n\n ", "前后的空白"),
    ("面积50㎡，约300m²……", "面积50㎡，约300m²……"),  # no compatibility folding in prose
    ("①先建②后建", "①先建②后建"),
    (f"意{ZWSP}见{RLO}", "意见"),
    ("e\u0301", "é"),
]

# (typed, stored household label)
HOUSEHOLDS = [
    ("1-101", "1-101"),
    ("1－101", "1-101"),  # full-width hyphen-minus
    ("１-１０１", "1-101"),  # full-width digits
    ("1‐101", "1-101"),  # hyphen
    ("1‑101", "1-101"),  # non-breaking hyphen
    ("1‒101", "1-101"),  # figure dash
    ("1–101", "1-101"),  # en dash
    ("1—101", "1-101"),  # em dash
    ("1―101", "1-101"),  # horizontal bar
    ("1−101", "1-101"),  # minus sign
    ("1﹣101", "1-101"),  # small hyphen-minus
    ("1 - 101", "1-101"),  # spaces around a dash
    ("3栋2单元501", "3栋2单元501"),
    ("一单元101", "一单元101"),  # 一 is a numeral, not a dash
    ("١-١٠١", "1-101"),  # Arabic-Indic digits
    ("②栋", "2栋"),
]


@pytest.mark.parametrize(("typed", "stored"), LINES)
def test_line(typed: str, stored: str) -> None:
    assert line(typed) == stored


@pytest.mark.parametrize(("typed", "stored"), PROSE)
def test_prose(typed: str, stored: str) -> None:
    assert prose(typed) == stored


@pytest.mark.parametrize(("typed", "stored"), HOUSEHOLDS)
def test_household(typed: str, stored: str) -> None:
    assert household(typed) == stored


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("同名方案", f"同名方案{ZWSP}"),
        ("Park A", "park a"),
        ("Park A", "ＰＡＲＫ　Ａ"),
        ("文化墙", " 文 化 墙 "),
        ("方案（一）", "方案(一)"),
        ("❤\ufe0f", "❤"),
        ("Straße", "STRASSE"),
    ],
)
def test_look_alikes_share_a_key(a: str, b: str) -> None:
    assert likeness(a) == likeness(b)


@pytest.mark.parametrize(("a", "b"), [("文化墙", "文化墙二"), ("1栋", "2栋"), ("甲", "乙")])
def test_different_names_do_not(a: str, b: str) -> None:
    assert likeness(a) != likeness(b)


@pytest.mark.parametrize(
    ("a", "b"), [("3a-101", "3A - 101"), ("1－101", "１—１０１"), ("2栋 3单元", "2栋3单元")]
)
def test_one_household_however_typed(a: str, b: str) -> None:
    assert household_key(a) == household_key(b)


@pytest.mark.parametrize(
    ("typed", "position"),
    [
        ("方案\x00", 3),
        ("\x1b[31m红", 1),
        ("铃\x07", 2),
        ("删\x7f", 2),
        ("C1\x9b", 3),
        ("分隔\x1c符", 3),  # file separator: Python counts it as space, it is a control
        ("孤\ud800", 2),  # lone surrogate
        ("非\ufffe", 2),  # noncharacter
        ("非\U0010ffff", 2),
    ],
)
@pytest.mark.parametrize("rule", [line, prose, household])
def test_control_characters_are_refused(rule, typed: str, position: int) -> None:
    with pytest.raises(Unprintable) as refused:
        rule(typed)
    assert refused.value.position == position
    assert refused.value.char == typed[position - 1]


@pytest.mark.parametrize(
    "typed", ["", "   ", ZWSP, f"{ZWSP}{ZWJ}{BOM}", "\u3000\n\t", "\ufe0f", "\u2800", "\u3164"]
)
def test_blank_is_nothing_visible(typed: str) -> None:
    assert blank(typed)
    assert blank(line(typed))


@pytest.mark.parametrize("typed", ["好", "。", "-", "0", "🙂"])
def test_visible_is_not_blank(typed: str) -> None:
    assert not blank(typed)


def test_no_dash_is_a_cjk_character() -> None:
    assert "一" not in text.DASHES
    assert {"-", "－", "—", "–", "−", "‐"} <= text.DASHES


def test_likeness_never_refuses_stored_text() -> None:
    assert likeness("旧\x00数据\x1b") == "旧数据"
    assert household_key("1\x00－101") == household_key("1-101")


typed_text = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40
) | st.sampled_from([row[0] for row in LINES + PROSE + HOUSEHOLDS])


@given(typed_text)
@pytest.mark.parametrize("rule", [line, prose, household])
def test_normalising_twice_changes_nothing(rule, typed: str) -> None:
    try:
        once = rule(typed)
    except Unprintable:
        return
    assert rule(once) == once
    assert not text.INVISIBLE.search(once)
    assert once == once.strip()


@given(typed_text)
def test_a_line_is_one_line(typed: str) -> None:
    try:
        stored = line(typed)
    except Unprintable:
        return
    assert not any(ch in stored for ch in "\n\r\t\x0b\x0c\x85\u2028\u2029")
    assert "  " not in stored
