"""How words are put together for people: lists, clauses, sentences and asides come from the
catalogue (``join.*``), numbers and amounts each have one name, and no module that shows
words picks them by comparing the language in code."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Final

import pytest

from service.proposals.names import listed as listed_options
from service.records.labels import (
    aside,
    clauses,
    grouped_number,
    labelled,
    listed,
    paragraph,
    plain_number,
    separator,
    yuan,
    yuan_from_cents,
)
from service.zones import long_date

SERVICE: Final = Path(__file__).resolve().parents[2] / "service"

CHOOSING: Final = re.compile(r"""\blang(?:uage_of\([^)]*\))?\s*[!=]=\s*["'](?:zh|en)["']""")
"""Code that compares the reader's language with a language to choose what to say."""

REFUSALS: Final = frozenset({"errors.py", "commands/errors.py"})
"""Modules that pick a refusal's language themselves: the API's error body (``message``
follows the request's language) and a command's refusal (its English or Chinese line, kept
side by side); nothing else may."""


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("zh", ("甲、乙", "甲，乙", "一。二。", "和")),
        ("en", ("A, B", "A, B", "One. Two.", " and ")),
    ],
)
def test_joins_come_from_the_catalogue(lang: str, expected: tuple[str, ...]) -> None:
    names = ["甲", "乙"] if lang == "zh" else ["A", "B"]
    sentences = ["一。", "二。"] if lang == "zh" else ["One.", "Two."]
    shown = (listed(lang, names), clauses(lang, names), paragraph(lang, sentences))
    assert (*shown, separator(lang, "last")) == expected


def test_a_label_and_an_aside_are_punctuated_as_each_language_writes() -> None:
    assert labelled("zh", "总费用", "1,200") == "总费用：1,200"
    assert labelled("en", "Total cost", "1,200") == "Total cost: 1,200"
    assert aside("zh", "进行中", "50%") == "进行中（50%）"
    assert aside("en", "In progress", "50%") == "In progress (50%)"


def test_a_long_date_is_written_out_in_chinese_and_iso_in_english() -> None:
    assert long_date(date(2026, 6, 3), "zh") == "2026年6月3日"
    assert long_date(date(2026, 6, 3), "en") == "2026-06-03"


def test_three_lookalike_options_are_listed_with_and_before_the_last() -> None:
    class Option:
        def __init__(self, id: int, title: str) -> None:
            self.id, self.title = id, title

    group = [Option(1, "甲"), Option(2, "乙"), Option(3, "丙")]
    assert listed_options("zh", group) == "第 1 号方案「甲」、第 2 号方案「乙」和第 3 号方案「丙」"  # type: ignore[arg-type]
    assert listed_options("en", group) == "1 «甲», 2 «乙» and 3 «丙»"  # type: ignore[arg-type]


def test_numbers_and_amounts_have_one_name_per_meaning() -> None:
    # a table cell: no separators, at most five decimals; nothing for none
    assert (plain_number(1300), plain_number(1300.344090), plain_number(None)) == (
        "1300",
        "1300.34409",
        "",
    )
    # reading: thousands separated
    assert (grouped_number(1300), grouped_number(12345.5)) == ("1,300", "12,345.5")
    # yuan: cents shown when there are any, a dash for none
    assert (yuan(120000), yuan(1234.5), yuan(None)) == ("120,000", "1,234.50", "—")
    # cents (fen) as kept in the database, shown as yuan
    assert yuan_from_cents(12000000) == "120,000"


def test_no_module_that_shows_words_chooses_them_by_language() -> None:
    choosing = sorted(
        f"{path.relative_to(SERVICE)}:{n}"
        for path in SERVICE.rglob("*.py")
        if str(path.relative_to(SERVICE)) not in REFUSALS
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if CHOOSING.search(line)
    )
    assert not choosing, f"ask the catalogue (service/locale) instead: {choosing}"
