"""Finding English and internal identifiers in what a Chinese reader is shown: the visible
text of a page (its text, the attributes a browser shows or reads aloud, the tablet
script's messages), a PDF's text, a table's cells, an error message, a command's output.

A *foreign word* is a run of Latin letters (with digits, ``_``, ``-``, ``.`` inside it)
that is none of the things a Chinese page may rightly hold:

- numbers (no letter at all);
- digests and receipts: lowercase hexadecimal of 8 characters or more;
- voter codes and trackers: the Crockford alphabet in capitals, 8 characters or more,
  whole or in groups of four or more joined by ``-``;
- the few words in :data:`ALLOWED`, each with its reason;
- a method's official abbreviation right after its Chinese name (``即时决选（IRV）``);
- web addresses (``http://…``) and the extension of a Chinese file name (``决定包.json``);
- time zone names (``Asia/Shanghai``): what an admin types, and a community's zone label
  when it is not 北京时间;
- names the people using the service typed (passed in as ``typed``).

:func:`report` lists every place and its words in one message, so a failing scan says
what to fix where.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from html.parser import HTMLParser
from typing import Final

ALLOWED: Final[Mapping[str, str]] = {
    "PDF": "file types are known by these names (下载 PDF、照片须为 JPEG、PNG 或 WebP)",
    "XLSX": "(file type)",
    "CSV": "(file type)",
    "JSON": "(file type: the decision bundle)",
    "JPEG": "(file type: photos)",
    "UTF-8": "(the encoding a request body must have)",
    "PNG": "(file type: photos)",
    "WebP": "(file type: photos)",
    "HEIC": "(file type: photos as iPhones take them; phones show the name)",
    "BLT": "ballot files for other counting software: the formats have no other names",
    "PrefLib": "(ballot file format)",
    "pabulib": "(ballot file format)",
    "Excel": "the spreadsheet programs the CSV files are made for, by their names",
    "WPS": "(spreadsheet program)",
    "SHA-256": "the digest's standard: it has no Chinese name, and checkers need it",
    "MB": "the unit of a photo's size, as Chinese pages write it",
    "English": "the language switch names each language in that language",
    "redbench": "the command people type to verify a bundle (redbench verify 决定包.json)",
    "verify": "the same command's sub-command",
    "tally": "the sub-command people type to recount a ballot file (redbench tally 文件)",
    "compare": "(the sub-command that counts a file under every method)",
    "A4": "paper sizes are known by these names (用 A4 纸打印): the result poster's sizes",
    "A3": "(paper size)",
    "A5": "(paper size: the paper ballots are printed on A5 or A4)",
}
"""Latin words allowed in Chinese text, and why."""

ABBREVIATIONS: Final = ("IRV", "STV", "STAR")
"""Methods' official abbreviations: allowed only in brackets right after Chinese words."""

_ABBREVIATED: Final = re.compile(r"(?<=[\u4e00-\u9fff])（(?:" + "|".join(ABBREVIATIONS) + r")）")
_ADDRESS: Final = re.compile(r"https?://\S+")
_OPTION: Final = re.compile(r"(?<![\w-])--[a-z][a-z-]*")
"""A command-line option people type (``--seed``): the command knows it by no other name."""
_PLACEHOLDER: Final = re.compile(r"\{[a-z_]+(?:![rsa])?(?::[^{}]*)?\}")
_RUN: Final = re.compile(r"[0-9A-Za-z_]+(?:[-.][0-9A-Za-z_]+)*")
_LETTER: Final = re.compile(r"[A-Za-z]")
_HEX: Final = re.compile(r"[0-9a-f]{8,}")
_CODE: Final = re.compile(r"[0-9A-HJKMNP-TV-Z]{4,}(?:-[0-9A-HJKMNP-TV-Z]{4,})*")
_ZONE: Final = re.compile(r"\b[A-Z][a-z]+/[A-Z][A-Za-z_]+(?:/[A-Z][A-Za-z_]+)?\b")
_FILE: Final = re.compile(r"(?<=[\u4e00-\u9fff])\.(?:json|pdf|xlsx|csv|blt|toi|soi|pb)\b")


def _blank(match: re.Match[str]) -> str:
    return " " * len(match.group())


def foreign_words(text: str, typed: Iterable[str] = ()) -> list[str]:
    """The foreign words of ``text`` in order of appearance, each once and shown in its
    context: ``irv «计票方法：irv（即时决选）»``."""
    original = text
    for name in sorted(typed, key=len, reverse=True):
        if _LETTER.search(name):  # a name without Latin letters cannot hide a foreign word
            text = text.replace(name, " " * len(name))
    for pattern in (_PLACEHOLDER, _ABBREVIATED, _ADDRESS, _OPTION, _FILE, _ZONE):
        text = pattern.sub(_blank, text)
    found: dict[str, str] = {}
    for match in _RUN.finditer(text):
        word = match.group()
        if not _LETTER.search(word) or word in ALLOWED or word in found:
            continue
        if _HEX.fullmatch(word):
            continue
        if _CODE.fullmatch(word) and sum(ch != "-" for ch in word) >= 8:
            continue
        start, end = max(0, match.start() - 16), match.end() + 16
        context = " ".join(original[start:end].split())
        found[word] = f"{word} «{context}»"
    return list(found.values())


SHOWN_ATTRIBUTES: Final = frozenset({"alt", "title", "placeholder", "aria-label", "label"})
"""Attributes a browser shows or a screen reader reads out."""
_BUTTON_INPUTS: Final = frozenset({"submit", "button", "reset"})


class _Visible(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0
        self.script_data: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        for name in SHOWN_ATTRIBUTES & values.keys():
            self.parts.append(values[name])
        if tag == "input" and values.get("type") in _BUTTON_INPUTS:
            self.parts.append(values.get("value", ""))
        if tag == "script" and values.get("type") == "application/json":
            self.script_data = []
        elif tag in ("script", "style"):
            self.skipping += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self.script_data is not None:
            self.parts += json_strings(json.loads("".join(self.script_data)))
            self.script_data = None
        elif tag in ("script", "style"):
            self.skipping -= 1

    def handle_data(self, data: str) -> None:
        if self.script_data is not None:
            self.script_data.append(data)
        elif not self.skipping:
            self.parts.append(data)


MACHINE_KEYS: Final = frozenset({"lang", "ticket", "mode", "paths"})
"""Keys of a page's script data that hold values for the script, never shown."""


def json_strings(value: object) -> list[str]:
    """The strings of a page's script data a person may be shown."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() if k not in MACHINE_KEYS for s in json_strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in json_strings(v)]
    return []


def visible_text(html: str) -> str:
    """What a reader of the page sees or hears, one piece a line."""
    parser = _Visible()
    parser.feed(html)
    parser.close()
    return "\n".join(part.strip() for part in parser.parts if part.strip())


def report(hits: Mapping[str, list[str]]) -> str:
    """One message for every place with foreign words: ``place: word «context», …``."""
    lines = [f"  {place}: {'; '.join(words)}" for place, words in hits.items() if words]
    return (
        f"English or internal words in Chinese text ({len(lines)} places; allowed: "
        f"tests/support/chinese.py):\n" + "\n".join(lines)
    )
