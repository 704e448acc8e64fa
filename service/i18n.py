"""The message catalogue: every user-facing label in 简体中文 (first) and English.

Labels live in ``service/locale/*.toml``, one file per area (``counting.toml`` for the
result reports, ``pages.toml`` for the web pages, …), one table per key holding both
languages side by side::

    [ballots]
    zh = "选票数"
    en = "Ballots"

Dotted keys nest (``[rule.lot]`` is the key ``rule.lot``). Presentation code asks
:func:`text` for a key; nothing else holds user-facing strings. A refusal's entry
(``errors.toml``) also holds its HTTP ``status`` and, when several refusals answer with one
machine code, that ``code`` (:func:`facts`); :func:`said` fills its parameters.
"""

from __future__ import annotations

import hashlib
import importlib.util
import marshal
import os
import string
import sys
import tomllib
from collections.abc import Callable, Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any, Final

LANGUAGES: Final = ("zh", "en")
FACTS: Final = ("status", "code")
"""What an entry may hold besides its two languages (a refusal's HTTP status and code)."""
LOCALE: Final = Path(__file__).with_name("locale")


class CatalogueError(ValueError):
    """A catalogue file is malformed: a key without both languages, or defined twice."""


def _flatten(
    table: dict[str, Any],
    prefix: str,
    into: dict[str, dict[str, str]],
    where: str,
    facts: dict[str, dict[str, Any]] | None = None,
) -> None:
    languages = {k: v for k, v in table.items() if k in LANGUAGES}
    nested = {k: v for k, v in table.items() if isinstance(v, dict)}
    extra = {k: v for k, v in table.items() if k not in LANGUAGES and k not in nested}
    if set(extra) - set(FACTS):
        raise CatalogueError(f"{where}: [{prefix}] holds unknown fields {sorted(extra)}")
    if languages or extra:
        if set(languages) != set(LANGUAGES) or not all(
            isinstance(v, str) for v in languages.values()
        ):
            raise CatalogueError(
                f"{where}: [{prefix}] needs exactly {LANGUAGES}, has {sorted(languages)}"
            )
        if prefix in into:
            raise CatalogueError(f"{where}: [{prefix}] is defined twice")
        into[prefix] = languages
        if extra and facts is not None:
            facts[prefix] = extra
    for key, value in nested.items():
        _flatten(value, f"{prefix}.{key}" if prefix else key, into, where, facts)


Catalogue = tuple[dict[str, dict[str, str]], dict[str, dict[str, Any]]]
"""The entries (key → both languages) and their facts (key → status, code)."""


@cache
def _read() -> Catalogue:
    return read_catalogue(LOCALE)


def read_catalogue(folder: Path) -> Catalogue:
    """The catalogue of the ``*.toml`` files in ``folder``. Parsed once, it is kept as Python
    keeps bytecode (``__pycache__``, or under ``PYTHONPYCACHEPREFIX``; not written when
    ``PYTHONDONTWRITEBYTECODE`` is set) and read back while the files and this module are
    byte for byte the same: a command starts without parsing the TOML again."""
    sources = [(path.name, path.read_bytes()) for path in sorted(folder.glob("*.toml"))]
    digest = hashlib.sha256(Path(__file__).read_bytes())
    for name, data in sources:
        digest.update(b"\0%s\0%d\0%s" % (name.encode(), len(data), data))
    key = digest.digest()
    kept = Path(importlib.util.cache_from_source(str(folder / "catalogue.py")))
    kept = kept.with_suffix(".marshal")
    try:
        found = marshal.loads(kept.read_bytes())
        if isinstance(found, tuple) and len(found) == 3 and found[0] == key:
            return found[1], found[2]
    except (OSError, EOFError, ValueError, TypeError):
        pass
    entries: dict[str, dict[str, str]] = {}
    facts: dict[str, dict[str, Any]] = {}
    for name, data in sources:
        _flatten(tomllib.loads(data.decode()), "", entries, name, facts)
    if not sys.dont_write_bytecode:
        try:
            kept.parent.mkdir(parents=True, exist_ok=True)
            partial = kept.with_name(f"{kept.name}.{os.getpid()}")
            partial.write_bytes(marshal.dumps((key, entries, facts)))
            os.replace(partial, kept)
        except OSError:
            pass  # a folder that cannot be written: parse again next time
    return entries, facts


def catalogue() -> dict[str, dict[str, str]]:
    """Every key → ``{"zh": …, "en": …}``, read once from the locale folder."""
    return _read()[0]


def facts() -> dict[str, dict[str, Any]]:
    """Every key with more than words → its other fields (``{"status": 404, …}``)."""
    return _read()[1]


def text(lang: str, key: str, **values: object) -> str:
    """The label ``key`` in ``lang`` (falling back to Chinese, then to the key itself)."""
    entry = catalogue().get(key)
    if entry is None:
        return key
    template = entry.get(lang) or entry["zh"]
    return template.format(**values) if values else template


def asked_language(lang: str | None) -> str:
    """The language a ``?lang=`` parameter asks for: one of :data:`LANGUAGES`, else Chinese
    (Chinese first)."""
    return lang if lang in LANGUAGES else LANGUAGES[0]


def default_language(environ: dict[str, str] | None = None) -> str:
    """``en`` when the locale asks for English, else ``zh`` (Chinese first)."""
    env = os.environ if environ is None else environ
    for var in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = env.get(var, "")
        if value:
            return "en" if value.lower().startswith("en") else "zh"
    return "zh"


class _Saying(string.Formatter):
    """``str.format`` for one language, knowing three more kinds of parameter: a callable is
    asked for its words in the language (``moment`` with its time and zone bound); a list
    is joined (、 in Chinese); and the spec ``@prefix`` says each value by its label
    ``prefix.<value>`` (``{phase:@page.round_phase}`` → 投票中)."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def format_field(self, value: Any, format_spec: str) -> str:
        if callable(value):
            value = value(self.lang)
        many = isinstance(value, list | tuple)
        values: Iterable[Any] = value if many else (value,)
        if format_spec.startswith("@"):
            prefix = format_spec[1:]
            shown = [_label(self.lang, f"{prefix}.{v}", v) for v in values]
        else:
            shown = [format(v, format_spec) for v in values]
        return text(self.lang, "join.list", a="", b="").join(shown)


def _label(lang: str, key: str, fallback: object) -> str:
    shown = text(lang, key)
    return str(fallback) if shown == key else shown


def settled(values: Mapping[str, object]) -> dict[str, object]:
    """``values`` with each callable asked now for its words in every language (so that
    the words do not depend on objects, like database rows, that may be gone later)."""
    return {
        name: {lang: str(value(lang)) for lang in LANGUAGES}.__getitem__
        if callable(value)
        else value
        for name, value in values.items()
    }


def said(lang: str, key: str, **values: object | Callable[[str], object]) -> str:
    """The message ``key`` in ``lang`` with ``values`` filled in the way of
    :class:`_Saying` (a refusal's words)."""
    entry = catalogue().get(key)
    if entry is None:
        return key
    return _Saying(lang).format(entry.get(lang) or entry["zh"], **values)
