"""Printable voter-code slips: an A4 PDF of ten slips a page, each with a QR code of the
voter code (for the tablet's camera), the code in large type (to type it), the round and,
for household rolls, the household. Cut along the dashed lines.

The codes exist in plaintext only here and in the answer that issued them: the database
keeps keyed hashes, so slips are printed when the codes are issued and cannot be reprinted.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Final

import segno
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from service.i18n import text
from service.records.fonts import cjk_font

COLUMNS: Final[int] = 2
ROWS: Final[int] = 5
MARGIN: Final[float] = 12 * mm
QR_SIZE: Final[float] = 30 * mm
CODE_FONT: Final[str] = "Courier-Bold"
"""A standard PDF font every viewer has: the codes are ASCII (Crockford base 32 and a dash)."""


def qr_png(code: str) -> bytes:
    """The QR code of ``code`` as a PNG (error correction M, with a quiet zone of 3 modules
    so that a camera finds it next to the printed code)."""
    out = io.BytesIO()
    segno.make(code, error="m", micro=False).save(out, kind="png", scale=8, border=3)
    return out.getvalue()


def slips_pdf(codes: Sequence[tuple[str, str | None]], *, heading: str, lang: str = "zh") -> bytes:
    """Slips for ``codes`` — ``(code, household or None)`` pairs — under ``heading`` (the
    community, process and round), as PDF bytes."""
    font = cjk_font()
    out = io.BytesIO()
    page_w, page_h = A4
    canvas = Canvas(out, pagesize=A4, invariant=1, pageCompression=1)
    canvas.setTitle(text(lang, "record.slip.title"))
    canvas.setAuthor("Red Bench 红板凳议事会")
    slip_w = (page_w - 2 * MARGIN) / COLUMNS
    slip_h = (page_h - 2 * MARGIN) / ROWS
    per_page = COLUMNS * ROWS
    for i, (code, household) in enumerate(codes):
        if i and i % per_page == 0:
            canvas.showPage()
        place = i % per_page
        x = MARGIN + (place % COLUMNS) * slip_w
        y = page_h - MARGIN - (place // COLUMNS + 1) * slip_h
        _slip(canvas, font, x, y, slip_w, slip_h, code, household, heading, lang)
    if not codes:
        canvas.setFont(font, 12)
        canvas.drawString(MARGIN, page_h - MARGIN, heading)
    canvas.save()
    return out.getvalue()


def _slip(
    canvas: Canvas,
    font: str,
    x: float,
    y: float,
    w: float,
    h: float,
    code: str,
    household: str | None,
    heading: str,
    lang: str,
) -> None:
    canvas.saveState()
    canvas.setStrokeColor(colors.HexColor("#999999"))
    canvas.setDash(3, 3)
    canvas.rect(x, y, w, h)
    canvas.restoreState()
    pad = 5 * mm
    canvas.setFillColor(colors.HexColor("#b03a2e"))
    canvas.setFont(font, 10)
    canvas.drawString(x + pad, y + h - pad - 8, text(lang, "record.slip.title"))
    canvas.setFillColor(colors.black)
    canvas.setFont(font, 7.5)
    canvas.drawString(x + pad, y + h - pad - 19, _fit(heading, font, 7.5, w - 2 * pad))
    qr_y = y + h - pad - 24 - QR_SIZE
    canvas.drawImage(
        ImageReader(io.BytesIO(qr_png(code))), x + pad, qr_y, QR_SIZE, QR_SIZE, mask=None
    )
    text_x = x + pad + QR_SIZE + 4 * mm
    room = x + w - pad - text_x
    size = 22.0
    while size > 10 and stringWidth(code, CODE_FONT, size) > room:
        size -= 1
    canvas.setFont(CODE_FONT, size)
    canvas.drawString(text_x, qr_y + QR_SIZE / 2 - size / 3, code)
    if household:
        canvas.setFont(font, 9)
        line = text(lang, "record.slip.household", label=household)
        canvas.drawString(text_x, qr_y + QR_SIZE / 2 - size / 3 - 14, _fit(line, font, 9, room))
    canvas.setFont(font, 6.8)
    hint = text(lang, "record.slip.hint")
    for n, line in enumerate(_wrap(hint, font, 6.8, w - 2 * pad)[:2]):
        canvas.drawString(x + pad, qr_y - 10 - n * 9, line)


def _fit(line: str, font: str, size: float, room: float) -> str:
    """``line`` cut (with an ellipsis) to fit ``room`` points."""
    if stringWidth(line, font, size) <= room:
        return line
    while line and stringWidth(line + "…", font, size) > room:
        line = line[:-1]
    return line + "…"


def _wrap(line: str, font: str, size: float, room: float) -> list[str]:
    """``line`` broken into lines of at most ``room`` points, at any character."""
    lines: list[str] = []
    current = ""
    for ch in line:
        if current and stringWidth(current + ch, font, size) > room:
            lines.append(current)
            current = ch.lstrip()
        else:
            current += ch
    return [*lines, current] if current else lines
