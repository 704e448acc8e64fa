"""Text cells safe to open in a spreadsheet (OWASP's advice on CSV injection): text that
Excel, WPS or LibreOffice would run as a formula — it starts with ``=``, ``+``, ``-`` or
``@`` (full-width too), possibly after spaces, tabs or line breaks — is written as text, and
characters an XLSX file cannot hold are replaced by ``�``. Numbers are never touched: a count
stays a number. The tables of :mod:`service.records.tables` write every cell through here,
whatever the age of the stored text."""

from __future__ import annotations

import re
from typing import Final

FORMULA_START: Final = frozenset("=+-@＝＋－＠")
"""First characters that make a spreadsheet read a cell as a formula."""

LEADING: Final = " \t\r\n\u3000"
"""Characters a spreadsheet may pass over before the formula sign."""

ILLEGAL: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
"""Characters XML 1.0 (and so an XLSX file) cannot hold: C0 controls other than tab and
line breaks, lone surrogates, U+FFFE and U+FFFF."""

REPLACEMENT: Final = "\ufffd"

TEXT_MARK: Final = "'"
"""Put before a formula-like text in CSV: spreadsheets show the text and drop the mark."""


def cleaned(text: str) -> str:
    """``text`` with every character an XLSX file cannot hold replaced by ``�``."""
    return ILLEGAL.sub(REPLACEMENT, text)


def formula_like(text: str) -> bool:
    """Whether a spreadsheet would take ``text`` for a formula."""
    return text.lstrip(LEADING)[:1] in FORMULA_START


def csv_text(text: str) -> str:
    """A text cell for CSV: cleaned, and marked as text when it looks like a formula."""
    text = cleaned(text)
    return TEXT_MARK + text if formula_like(text) else text
