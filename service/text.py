"""What people type, in one form: the rules every stored name, title, label and comment
goes through before it is kept, and the key that tells look-alike names apart.

- :func:`line` — one-line names and titles: compatibility forms folded (NFKC: full-width
  letters and digits become ASCII), Chinese punctuation kept as typed, invisible characters
  removed, line breaks and runs of spaces made one space, the ends trimmed.
- :func:`prose` — comments, descriptions, notes and reasons: canonical form only (NFC, so
  ``m²``, ``①`` and ``……`` stay as written), invisible characters removed, line ends made
  ``\\n``, tabs and line breaks kept, the ends trimmed.
- :func:`household` — a household label: :func:`line`, then every dash ``-`` and every
  decimal digit ASCII, so ``1－101``, ``1—101`` and ``１-１０１`` are one household.
- :func:`likeness` — the key under which two names look the same to a voter (case, spaces
  and invisible characters ignored).

Control characters other than tabs and line breaks are refused (:class:`Unprintable`), not
dropped: nobody types them, and quietly keeping the rest would hide what was sent.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from collections.abc import Callable
from typing import Final


class Unprintable(ValueError):
    """The text holds a character no text may hold: a control character (other than tab
    and line breaks), a lone surrogate or a noncharacter. ``position`` counts from 1."""

    def __init__(self, char: str, position: int) -> None:
        super().__init__(f"character {position} is U+{ord(char):04X}, which text may not hold")
        self.char = char
        self.position = position


def _ranges(*spans: tuple[int, int]) -> str:
    """A regular-expression character class body for inclusive code point ranges."""
    return "".join(f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in spans)


_NONCHARACTERS: Final = [(0xFDD0, 0xFDEF)] + [
    (plane + 0xFFFE, plane + 0xFFFF) for plane in range(0, sys.maxunicode + 1, 0x10000)
]
_REFUSED: Final = re.compile(
    "["
    + _ranges((0x00, 0x08), (0x0E, 0x1F), (0x7F, 0x84), (0x86, 0x9F), (0xD800, 0xDFFF))
    + _ranges(*_NONCHARACTERS)
    + "]"
)
"""C0 and C1 controls except tab and the line breaks, DEL, surrogates and noncharacters."""

INVISIBLE: Final = re.compile(
    "["
    + _ranges(
        (0x00AD, 0x00AD),  # soft hyphen
        (0x034F, 0x034F),  # combining grapheme joiner
        (0x061C, 0x061C),  # Arabic letter mark
        (0x115F, 0x1160),  # Hangul fillers
        (0x17B4, 0x17B5),  # Khmer inherent vowels
        (0x180B, 0x180F),  # Mongolian variation selectors and vowel separator
        (0x200B, 0x200F),  # zero-width space, non-joiner, joiner; left-to-right, right-to-left
        (0x202A, 0x202E),  # bidirectional embeddings and overrides
        (0x2060, 0x206F),  # word joiner, invisible operators, bidirectional isolates
        (0x3164, 0x3164),  # Hangul filler
        (0xFEFF, 0xFEFF),  # byte-order mark, zero-width no-break space
        (0xFFA0, 0xFFA0),  # half-width Hangul filler
        (0xFFF0, 0xFFF8),  # unassigned specials
        (0x1BCA0, 0x1BCA3),  # shorthand format controls
        (0x1D173, 0x1D17A),  # musical format controls
        (0xE0000, 0xE00FF),  # tags
        (0xE01F0, 0xE0FFF),  # the rest of the ignorable block after the variation selectors
    )
    + "]"
)
"""Unicode's default-ignorable code points (drawn as nothing), except the variation
selectors, which choose a glyph (an emoji's colour form, a rare form of a character) and
are kept in stored text; :func:`likeness` ignores them."""

VARIATION: Final = re.compile("[" + _ranges((0xFE00, 0xFE0F), (0xE0100, 0xE01EF)) + "]")
"""Variation selectors."""

BREAKS: Final = re.compile("\r\n|[\r\n\v\f\x85\u2028\u2029]")
"""Every line end people's systems write: CRLF, CR, LF, VT, FF, NEL, LS and PS."""

SPACES: Final = re.compile(r"[\s\u2800]+")
"""Runs of white space, line breaks and the blank Braille pattern (drawn as a space)."""

KEPT_AS_TYPED: Final = frozenset(
    chr(c)
    for a, b in ((0xFF01, 0xFF0F), (0xFF1A, 0xFF20), (0xFF3B, 0xFF40), (0xFF5B, 0xFF60))
    for c in range(a, b + 1)
) | frozenset("￠￡￢￣￤￥￦…‥")
"""Full-width punctuation (，。：；！？（）…) and the ellipsis: NFKC would turn them into
ASCII (``？`` into ``?``, ``……`` into ``......``), which is not how Chinese is written."""

_KEPT: Final = re.compile("([" + "".join(sorted(KEPT_AS_TYPED)) + "])")

DASHES: Final = frozenset(
    chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Pd"
) | frozenset("\u2043\u2212\u02d7\u2796")
"""Every dash and hyphen (Unicode's dash punctuation, the minus sign, the hyphen bullet);
``一`` is a Chinese numeral, not a dash, and is not among them."""

_DASH: Final = re.compile("[" + "".join(re.escape(d) for d in sorted(DASHES)) + "]")
_DASH_SPACED: Final = re.compile(r" ?- ?")
_DIGIT: Final = re.compile(r"\d")
"""A decimal digit of any script (``\\d`` matches all of Unicode's)."""


def refuse_unprintable(text: str) -> None:
    """Raise :class:`Unprintable` for the first character no text may hold."""
    found = _REFUSED.search(text)
    if found is not None:
        raise Unprintable(found.group(), found.start() + 1)


def _compatible(text: str) -> str:
    """NFKC, except the full-width punctuation of :data:`KEPT_AS_TYPED`."""
    if text.isascii():
        return text
    parts = _KEPT.split(text)  # odd positions hold the kept characters
    return "".join(
        part if i % 2 else unicodedata.normalize("NFKC", part) for i, part in enumerate(parts)
    )


def _canonical(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _settled(text: str, fold: Callable[[str], str]) -> str:
    """Invisible characters removed and ``fold`` applied until neither changes the text
    (removing a filler can let two neighbours compose)."""
    for _ in range(4):
        folded = fold(INVISIBLE.sub("", text))
        if folded == text:
            break
        text = folded
    return text


def line(text: str) -> str:
    """A one-line name or title as it is stored (raises :class:`Unprintable`)."""
    refuse_unprintable(text)
    return SPACES.sub(" ", _settled(text, _compatible)).strip()


def prose(text: str) -> str:
    """A comment, description, note or reason as it is stored: several lines, tabs kept
    (raises :class:`Unprintable`)."""
    refuse_unprintable(text)
    return _settled(BREAKS.sub("\n", text), _canonical).strip()


def _ascii_digit(found: re.Match[str]) -> str:
    char = found.group()
    value = unicodedata.decimal(char, None)
    return char if value is None else str(value)


def household(text: str) -> str:
    """A household label as it is stored: :func:`line`, every dash ``-`` (spaces around it
    dropped) and every decimal digit ASCII (raises :class:`Unprintable`)."""
    label = _DIGIT.sub(_ascii_digit, _DASH.sub("-", line(text)))
    return _DASH_SPACED.sub("-", label)


def likeness(text: str) -> str:
    """The key two names share when a voter cannot tell them apart: compatibility forms
    folded (punctuation too), case folded, spaces, invisible characters, variation selectors
    and control characters ignored. Never raises, so stored text of any age has a key."""
    text = VARIATION.sub("", _REFUSED.sub("", text))
    text = unicodedata.normalize("NFKC", INVISIBLE.sub("", text)).casefold()
    return SPACES.sub("", INVISIBLE.sub("", unicodedata.normalize("NFKC", text)))


def file_name(text: str) -> str:
    """An uploaded file's name as stored: like :func:`line`, but a control character is
    dropped rather than refused (the browser sends the name; nobody typed it here)."""
    return line(_REFUSED.sub("", text))


def blank(text: str) -> bool:
    """Whether nothing visible is left: only spaces, line breaks and invisible characters."""
    return not likeness(text)


def household_key(text: str) -> str:
    """The key under which two household labels are one household: the stored form with
    case and spaces ignored (``3a-101`` and ``3A - 101`` are one)."""
    return likeness(household(_REFUSED.sub("", text)))
