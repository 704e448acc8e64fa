"""The catalogue kept between runs: read back while its files are unchanged, parsed again
when one changes or the kept copy is damaged, never written where bytecode is not."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from service import i18n
from service.i18n import read_catalogue


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the locale folder, with bytecode (and so the kept catalogue) written."""
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    monkeypatch.setattr(sys, "pycache_prefix", None)
    copy = tmp_path / "locale"
    shutil.copytree(i18n.LOCALE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def kept(folder: Path) -> list[Path]:
    return sorted((folder / "__pycache__").glob("catalogue.*.marshal"))


def test_the_kept_catalogue_is_the_parsed_one(folder: Path) -> None:
    parsed = read_catalogue(folder)
    assert len(kept(folder)) == 1
    assert read_catalogue(folder) == parsed == (i18n.catalogue(), i18n.facts())


def test_a_changed_file_is_parsed_again(folder: Path) -> None:
    read_catalogue(folder)
    with (folder / "words.toml").open("a", encoding="utf-8") as file:
        file.write('\n[kept.test]\nzh = "新词"\nen = "new word"\n')
    entries, _ = read_catalogue(folder)
    assert entries["kept.test"] == {"zh": "新词", "en": "new word"}
    assert read_catalogue(folder)[0]["kept.test"]["zh"] == "新词"


def test_a_damaged_copy_is_parsed_again(folder: Path) -> None:
    parsed = read_catalogue(folder)
    (copy,) = kept(folder)
    copy.write_bytes(b"\x00 not a catalogue")
    assert read_catalogue(folder) == parsed
    assert copy.read_bytes() != b"\x00 not a catalogue"


def test_nothing_is_written_where_bytecode_is_not(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    assert read_catalogue(folder) == (i18n.catalogue(), i18n.facts())
    assert kept(folder) == []
