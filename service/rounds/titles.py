"""A round's title as people read it: its number, then its name when it has one of its own.

A round's name is optional in spirit: the console offers "第2轮" as the name of round 2, and
people often begin a name with the round it is ("第二轮：预算分配"). Shown as typed, both would
say the number twice ("第2轮：第2轮", "第2轮：第二轮：预算分配"). :func:`round_title` is the one
place every page, document and table gets a round's title from, so the number is said once.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from typing import Final

from service.i18n import text

_DIGITS: Final = "零一二三四五六七八九"
_SEPARATORS: Final = " \t:：,，、.。·・-–—_|/／"
"""What may stand between a name's own "第2轮" and the rest of it."""


def chinese_numeral(number: int) -> str:
    """``1`` → 一, ``10`` → 十, ``12`` → 十二, ``20`` → 二十, ``99`` → 九十九 (1–99; other
    numbers as digits)."""
    if not 0 < number < 100:
        return str(number)
    tens, ones = divmod(number, 10)
    if not tens:
        return _DIGITS[ones]
    return ("" if tens == 1 else _DIGITS[tens]) + "十" + (_DIGITS[ones] if ones else "")


@cache
def _own_prefix(number: int) -> re.Pattern[str]:
    """A name's beginning that says it is round ``number``: 第2轮, 第 2 轮, 第二轮, 第二轮次,
    Round 2, round #2 (not Round 23)."""
    zh = "|".join(re.escape(n) for n in sorted({str(number), chinese_numeral(number)}))
    return re.compile(
        rf"^(?:第\s*(?:{zh})\s*轮次?|round\s*(?:no\.?\s*|#\s*)?{number}(?!\d))",
        re.IGNORECASE,
    )


def own_name(number: int, title: str | None) -> str:
    """What a round's name says besides its number: ``""`` for no name, or a name that only
    says which round it is; the rest of a name that begins with its round, else the name."""
    name = unicodedata.normalize("NFKC", title or "").strip()
    found = _own_prefix(number).match(name)
    if found is None:
        return name
    return name[found.end() :].lstrip(_SEPARATORS).strip()


def round_title(number: int, title: str | None, lang: str = "zh") -> str:
    """The round's title for people: ``第2轮`` when it has no name of its own, else
    ``第2轮：预算分配`` (``Round 2``, ``Round 2: 预算分配`` in English)."""
    name = own_name(number, title)
    if not name:
        return text(lang, "round.title.bare", number=number)
    return text(lang, "round.title.named", number=number, title=name)
