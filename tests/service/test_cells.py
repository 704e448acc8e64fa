"""Spreadsheet-safe cells (:mod:`service.records.cells`): which texts a spreadsheet would
run as a formula, how CSV marks them, and which characters an XLSX file cannot hold."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook, load_workbook

from service.records.cells import cleaned, csv_text, formula_like
from service.records.tables import _fill, to_csv

# (text, what CSV writes)
CSV_CELLS = [
    ("=1+2", "'=1+2"),
    ('=HYPERLINK("http://x","点我")', '\'=HYPERLINK("http://x","点我")'),
    ("+1", "'+1"),
    ("-1", "'-1"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1+2", "'\t=1+2"),
    ("\r=1+2", "'\r=1+2"),
    ("  =1+2", "'  =1+2"),
    ("\u3000=1+2", "'\u3000=1+2"),
    ("＝1+2", "'＝1+2"),  # full-width equals sign
    ("－1", "'－1"),
    ("1+2=3", "1+2=3"),  # not at the start: text
    ("儿童游乐设施", "儿童游乐设施"),
    ("a@b.cn", "a@b.cn"),
    ("", ""),
    ("—", "—"),  # an em dash is not a minus
    ("坏\x00字\x1b符", "坏\ufffd字\ufffd符"),
    ("非\ufffe字", "非\ufffd字"),
    ("第一行\n第二行\t列", "第一行\n第二行\t列"),  # tab and line breaks are fine
]


@pytest.mark.parametrize(("typed", "written"), CSV_CELLS)
def test_csv_text(typed: str, written: str) -> None:
    assert csv_text(typed) == written


@pytest.mark.parametrize("typed", ["=", "+", "-", "@", " \t\n=x", "＠x"])
def test_formula_like(typed: str) -> None:
    assert formula_like(typed)


def test_cleaned_keeps_what_xml_can_hold() -> None:
    legal = "\t\n\r 中文 🙂 \ufffd \ue000"
    assert cleaned(legal) == legal
    assert cleaned("".join(chr(c) for c in range(0x20) if chr(c) not in "\t\n\r")) == "\ufffd" * 29


def test_numbers_stay_numbers_and_text_stays_text() -> None:
    rows = [["选项", "票数"], ["-3", -3], ["=1+2", 2.5], [None, 0]]
    assert to_csv(rows).decode("utf-8-sig").splitlines() == [
        "选项,票数",
        "'-3,-3",
        "'=1+2,2.5",
        ",0",
    ]
    book = Workbook()
    _fill(book.active, [*rows, ["坏\x00", 1]], header=True)
    out = io.BytesIO()
    book.save(out)
    sheet = load_workbook(io.BytesIO(out.getvalue())).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values == [["选项", "票数"], ["-3", -3], ["=1+2", 2.5], [None, 0], ["坏\ufffd", 1]]
    assert sheet["A3"].data_type == "s"  # text, not a formula
    assert sheet["A3"].quotePrefix
    assert sheet["B2"].data_type == "n"
