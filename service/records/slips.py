"""Printable voter-code slips: an A4 PDF of ten slips a page, each with a QR code of the
voter code (for the tablet's camera) — or, given the phone ballot's address, of the link
``<address>#<code>`` that opens the phone ballot with the code filled in (the tablet takes the
code out of it when scanned), the code in large type (to type it), the round's title
(wrapped, and smaller when it is long: never cut) and, for household rolls, the household.
Cut along the dashed lines.

Every slip carries its number in the round (``第12号``): a batch that was never printed,
or was lost, is voided by its numbers. The database keeps no readable code, only keyed
hashes; an unused slip is printed again by making its code again from the server's slip key
(:mod:`service.voting.slip_codes`).

The QR codes are drawn as vector squares (sharp at any printer resolution, and some twenty
times cheaper than a PNG per slip), their masks chosen for all slips at once
(:mod:`service.records.qr`); the functions here take and return plain data, so that they
run in the worker process (:mod:`service.offload`).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Final, NamedTuple

import segno
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from service.i18n import text
from service.records.fonts import cjk_font
from service.records.qr import Modules, qr_symbols

COLUMNS: Final[int] = 2
ROWS: Final[int] = 5
MARGIN: Final[float] = 12 * mm
PAD: Final[float] = 5 * mm
"""Space between a slip's cut line and what is printed on it."""
QR_SIZE: Final[float] = 30 * mm
QUIET_ZONE: Final[int] = 3
"""Light modules around the QR code (inside :data:`QR_SIZE`), so that a camera finds it next
to the printed code."""
CODE_FONT: Final[str] = "Courier-Bold"
"""A standard PDF font every viewer has: the codes are ASCII (Crockford base 32 and a dash)."""
HEADING_SIZES: Final[tuple[float, ...]] = (7.5, 7.0, 6.5, 6.0)
"""Sizes tried for the community and process line before it is cut."""
TITLE_SIZES: Final[tuple[float, ...]] = (10, 9, 8, 7, 6.5, 6, 5.5, 5, 4.5, 4, 3.5, 3)
"""Sizes tried for the round's title beside the QR code, largest first: the first at which
the wrapped title fits is used (a title of 200 characters fits at 4 points)."""
LEADING: Final[float] = 1.2
CODE_ROOM: Final[float] = 40
"""Height kept under the round's title for the code and the household (points)."""


class TitleBlock(NamedTuple):
    """The round's title as it is printed beside the QR code: its lines and their size,
    and how far below the QR code's top the code's baseline goes (``None``: centred)."""

    lines: list[str]
    size: float
    code_drop: float | None


class Furniture(NamedTuple):
    """What every slip of a document shares, worked out once: the heading fitted to its
    line, the round's title fitted beside the QR code, and the hint's lines."""

    heading: str
    heading_size: float
    title: TitleBlock
    hint: list[str]
    scan: str
    """The small print beside the QR code when it opens the phone ballot (else empty)."""


class SlipText(NamedTuple):
    """What one slip says: its code, its household (or ``None``) and its number."""

    code: str
    household: str | None
    number: int | None


def qr_svg(code: str, label: str) -> str:
    """The QR code of ``code`` as inline SVG markup with ``label`` as its title (for the
    console's printable page of slips)."""
    svg = segno.make_qr(code, error="m").svg_inline(scale=4, title=label)
    return svg.replace("<svg ", '<svg role="img" ', 1)


def qr_svgs(codes: Sequence[str], phone: str = "") -> list[str]:
    """:func:`qr_svg` of each code (of its :func:`slip_link` to ``phone``), labelled with the
    code (one trip to the worker)."""
    return [qr_svg(slip_link(phone, code), code) for code in codes]


def phone_ballot(base: str, round_id: int) -> str:
    """The phone ballot's address for a round (``base`` ends with ``/``, as
    :meth:`service.settings.Settings.public_base` gives it)."""
    return f"{base}vote/{round_id}"


def slip_link(phone: str, code: str) -> str:
    """What a slip's QR code holds: ``<phone ballot>#<code>``, the code in the fragment, which
    a browser never sends to the server (no log, no ``Referer``); the code alone without a
    phone ballot."""
    return f"{phone}#{code}" if phone else code


def qr_operators(matrix: Sequence[Sequence[int]]) -> str:
    """PDF path operators filling the dark modules of ``matrix`` in a unit grid (one module
    = 1 unit, row 0 at the top, the quiet zone included), one rectangle per horizontal run."""
    size = len(matrix)
    ops: list[str] = []
    for r, row in enumerate(matrix):
        y = QUIET_ZONE + size - 1 - r
        c = 0
        while c < size:
            if not row[c]:
                c += 1
                continue
            start = c
            while c < size and row[c]:
                c += 1
            ops.append(f"{QUIET_ZONE + start} {y} {c - start} 1 re")
    ops.append("f")
    return "\n".join(ops)


def draw_qr(canvas: Canvas, matrix: Modules, x: float, y: float, size: float) -> None:
    """A QR symbol as filled squares in the square ``size`` wide at ``(x, y)`` (bottom
    left), quiet zone included, in the current fill colour."""
    cell = size / (len(matrix) + 2 * QUIET_ZONE)
    canvas.saveState()
    canvas.transform(cell, 0, 0, cell, x, y)
    canvas.addLiteral(qr_operators(matrix))
    canvas.restoreState()


def slips_file_names(round_number: int, numbers: Sequence[int], lang: str) -> tuple[str, str]:
    """The slips' file name and its ASCII fallback: ``第3轮投票码-第12至18号.pdf`` and
    ``round-3-voter-codes-12-18.pdf`` (one slip: ``第3轮投票码-第12号.pdf``)."""
    first, last = (min(numbers), max(numbers)) if numbers else (0, 0)
    if first == last:
        key, ascii_name = "record.slip.file_one", f"round-{round_number}-voter-codes-{first}"
    else:
        key, ascii_name = "record.slip.file", f"round-{round_number}-voter-codes-{first}-{last}"
    name = text(lang, key, round=round_number, first=first, last=last)
    return f"{name}.pdf", f"{ascii_name}.pdf"


def slips_pdf(
    codes: Sequence[tuple[str, str | None, int | None]],
    *,
    heading: str,
    round_title: str = "",
    lang: str = "zh",
    phone: str = "",
) -> bytes:
    """Slips for ``codes`` — ``(code, household or None, slip number or None)`` — under
    ``heading`` (the community and process), each with ``round_title`` beside its code and
    its number in the top corner, as PDF bytes. With ``phone`` (the phone ballot's address,
    :func:`phone_ballot`) each QR code is the slip's :func:`slip_link`, with a line saying
    so beside it."""
    font = cjk_font()
    out = io.BytesIO()
    page_w, page_h = A4
    canvas = Canvas(out, pagesize=A4, invariant=1, pageCompression=1)
    canvas.setTitle(text(lang, "record.slip.title"))
    canvas.setAuthor("Red Bench 红板凳议事会")
    slip_w = (page_w - 2 * MARGIN) / COLUMNS
    slip_h = (page_h - 2 * MARGIN) / ROWS
    room = slip_w - 2 * PAD
    heading_size = next(
        (size for size in HEADING_SIZES if stringWidth(heading, font, size) <= room),
        HEADING_SIZES[-1],
    )
    shared = Furniture(
        heading=_fit(heading, font, heading_size, room),
        heading_size=heading_size,
        title=title_block(round_title, font, slip_w - 2 * PAD - QR_SIZE - 4 * mm),
        hint=_wrap(text(lang, "record.slip.hint"), font, 6.8, room)[:2],
        scan=_fit(text(lang, "phone.slip.scan"), font, 6.5, slip_w - 2 * PAD - QR_SIZE - 4 * mm)
        if phone
        else "",
    )
    per_page = COLUMNS * ROWS
    symbols = qr_symbols([slip_link(phone, code) for code, _, _ in codes])
    for i, ((code, household, number), symbol) in enumerate(zip(codes, symbols, strict=True)):
        if i and i % per_page == 0:
            canvas.showPage()
        place = i % per_page
        x = MARGIN + (place % COLUMNS) * slip_w
        y = page_h - MARGIN - (place // COLUMNS + 1) * slip_h
        slip = SlipText(code, household, number)
        _slip(canvas, font, x, y, slip_w, slip_h, slip, symbol, shared, lang)
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
    slip: SlipText,
    symbol: Modules,
    shared: Furniture,
    lang: str,
) -> None:
    code, household = slip.code, slip.household
    canvas.saveState()
    canvas.setStrokeColor(colors.HexColor("#999999"))
    canvas.setDash(3, 3)
    canvas.rect(x, y, w, h)
    canvas.restoreState()
    pad = PAD
    canvas.setFillColor(colors.HexColor("#b03a2e"))
    canvas.setFont(font, 10)
    canvas.drawString(x + pad, y + h - pad - 8, text(lang, "record.slip.title"))
    if slip.number is not None:
        canvas.setFont(font, 11)
        number = text(lang, "record.slip.number", number=slip.number)
        canvas.drawRightString(x + w - pad, y + h - pad - 8, number)
    canvas.setFillColor(colors.black)
    canvas.setFont(font, shared.heading_size)
    canvas.drawString(x + pad, y + h - pad - 19, shared.heading)
    qr_y = y + h - pad - 24 - QR_SIZE
    draw_qr(canvas, symbol, x + pad, qr_y, QR_SIZE)
    text_x = x + pad + QR_SIZE + 4 * mm
    room = x + w - pad - text_x
    title = shared.title
    if title.lines:
        canvas.setFont(font, title.size)
        for n, line in enumerate(title.lines):
            canvas.drawString(text_x, qr_y + QR_SIZE - title.size - n * title.size * LEADING, line)
    size = 22.0
    while size > 10 and stringWidth(code, CODE_FONT, size) > room:
        size -= 1
    canvas.setFont(CODE_FONT, size)
    code_y = qr_y + QR_SIZE / 2 - size / 3
    if title.code_drop is not None:
        code_y = min(code_y, qr_y + QR_SIZE - title.code_drop)
    canvas.drawString(text_x, code_y, code)
    if household:
        canvas.setFont(font, 9)
        line = text(lang, "record.slip.household", label=household)
        canvas.drawString(text_x, code_y - 14, _fit(line, font, 9, room))
    if shared.scan:
        canvas.setFont(font, 6.5)
        canvas.drawString(text_x, qr_y + 3, shared.scan)
    canvas.setFont(font, 6.8)
    for n, line in enumerate(shared.hint):
        canvas.drawString(x + pad, qr_y - 10 - n * 9, line)


def title_block(title: str, font: str, room: float) -> TitleBlock:
    """The round's title wrapped to ``room`` points: at the largest of :data:`TITLE_SIZES`
    (6 points or more) whose lines fit above the code where it stands, centred beside the QR
    code; else at the largest whose lines fit above the code moved down as far as the
    household line allows. Never cut."""
    if not title:
        return TitleBlock([], 0, None)
    centred = QR_SIZE / 2 - 16  # the code's top when it is centred, from the QR code's top
    lowest = QR_SIZE - CODE_ROOM  # the lowest the title may reach
    readable = tuple(size for size in TITLE_SIZES if size >= 6)
    for limit, sizes, moved in ((centred - 4, readable, False), (lowest, TITLE_SIZES, True)):
        for size in sizes:
            lines = _wrap(title, font, size, room)
            height = size + (len(lines) - 1) * size * LEADING
            if height <= limit:
                drop = height + 4 + 16 if moved else None
                return TitleBlock(lines, size, drop)
    size = TITLE_SIZES[-1]
    lines = _wrap(title, font, size, room)
    return TitleBlock(lines, size, size + (len(lines) - 1) * size * LEADING + 20)


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
