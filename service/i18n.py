"""The message catalogue: every user-facing label in 简体中文 (first) and English.

Labels live in ``service/locale/*.toml``, one file per area (``counting.toml`` for the
result reports, ``pages.toml`` for the web pages, …), one table per key holding both
languages side by side::

    [ballots]
    zh = "选票数"
    en = "Ballots"

Dotted keys nest (``[rule.lot]`` is the key ``rule.lot``). Presentation code asks
:func:`text` for a key; nothing else holds user-facing strings.
"""

from __future__ import annotations

import os
import tomllib
from functools import cache
from pathlib import Path
from typing import Any, Final

LANGUAGES: Final = ("zh", "en")
LOCALE: Final = Path(__file__).with_name("locale")


class CatalogueError(ValueError):
    """A catalogue file is malformed: a key without both languages, or defined twice."""


def _flatten(
    table: dict[str, Any], prefix: str, into: dict[str, dict[str, str]], where: str
) -> None:
    languages = {k: v for k, v in table.items() if isinstance(v, str)}
    nested = {k: v for k, v in table.items() if isinstance(v, dict)}
    if languages:
        if set(languages) != set(LANGUAGES):
            raise CatalogueError(
                f"{where}: [{prefix}] needs exactly {LANGUAGES}, has {sorted(languages)}"
            )
        if prefix in into:
            raise CatalogueError(f"{where}: [{prefix}] is defined twice")
        into[prefix] = languages
    for key, value in nested.items():
        _flatten(value, f"{prefix}.{key}" if prefix else key, into, where)


@cache
def catalogue() -> dict[str, dict[str, str]]:
    """Every key → ``{"zh": …, "en": …}``, read once from the locale folder."""
    entries: dict[str, dict[str, str]] = {}
    for path in sorted(LOCALE.glob("*.toml")):
        with path.open("rb") as file:
            _flatten(tomllib.load(file), "", entries, path.name)
    return entries


def text(lang: str, key: str, **values: object) -> str:
    """The label ``key`` in ``lang`` (falling back to Chinese, then to the key itself)."""
    entry = catalogue().get(key)
    if entry is None:
        return key
    template = entry.get(lang) or entry["zh"]
    return template.format(**values) if values else template


def default_language(environ: dict[str, str] | None = None) -> str:
    """``en`` when the locale asks for English, else ``zh`` (Chinese first)."""
    env = os.environ if environ is None else environ
    for var in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = env.get(var, "")
        if value:
            return "en" if value.lower().startswith("en") else "zh"
    return "zh"
