"""The message catalogue: both languages for every key, read from the locale files."""

from __future__ import annotations

import pytest

from service import i18n
from service.i18n import CatalogueError, _flatten, catalogue, default_language, text


def test_every_key_has_chinese_and_english() -> None:
    entries = catalogue()
    assert entries, "no labels were read from service/locale"
    for key, entry in entries.items():
        assert set(entry) == {"zh", "en"}, key
        assert entry["zh"].strip(), key
        assert entry["en"].strip(), key


def test_every_locale_file_is_read() -> None:
    files = sorted(p.name for p in i18n.LOCALE.glob("*.toml"))
    assert "counting.toml" in files


def test_text_picks_the_language_and_fills_values() -> None:
    assert text("zh", "round") == "轮次"
    assert text("en", "round") == "Round"
    assert text("en", "compare.condorcet", name="文化墙").endswith(": 文化墙")
    assert text("fr", "round") == "轮次"  # unknown language: Chinese first
    assert text("en", "no.such.key") == "no.such.key"


def test_a_key_without_english_is_refused() -> None:
    with pytest.raises(CatalogueError, match=r"\[greeting\] needs exactly"):
        _flatten({"greeting": {"zh": "你好"}}, "", {}, "broken.toml")


def test_a_key_defined_twice_is_refused() -> None:
    into = {"a.b": {"zh": "甲", "en": "A"}}
    with pytest.raises(CatalogueError, match="defined twice"):
        _flatten({"a": {"b": {"zh": "乙", "en": "B"}}}, "", into, "twice.toml")


def test_nested_tables_become_dotted_keys() -> None:
    into: dict[str, dict[str, str]] = {}
    _flatten({"rule": {"lot": {"zh": "抽签", "en": "lot"}}}, "", into, "x.toml")
    assert into == {"rule.lot": {"zh": "抽签", "en": "lot"}}


@pytest.mark.parametrize(
    ("environ", "expected"),
    [({}, "zh"), ({"LANG": "en_US.UTF-8"}, "en"), ({"LANG": "zh_CN.UTF-8"}, "zh")],
)
def test_default_language_follows_the_locale(environ: dict[str, str], expected: str) -> None:
    assert default_language(environ) == expected
