"""Printable paper ballots, one a page on A4 or A5: the process and its question, the
round, the instructions in large type, the slate in the round's order with a box per option,
the ballot's serial (printed at the top, never repeated in a round) and ten boxes for the
voter code, copied from the resident's slip (or the slip stapled beside them). Pure: takes
and returns plain data, so it runs in the worker process (:mod:`service.offload`)."""

from __future__ import annotations

import io
from dataclasses import dataclass, replace
from typing import Final

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, A5
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from service.i18n import text
from service.records.fonts import cjk_font
from service.voting.codes import CODE_LENGTH

RED: Final = colors.HexColor("#b03a2e")
GREY: Final = colors.HexColor("#777777")
SERIAL_FONT: Final[str] = "Courier-Bold"


@dataclass(frozen=True, slots=True)
class BallotFacts:
    """What a printing of paper ballots shows, and its serials (``first`` …)."""

    process: str
    question: str
    round_number: int
    round_title: str
    kind: str
    options: list[str]
    truncation: bool
    ties: bool
    first: int
    count: int


@dataclass(frozen=True, slots=True)
class Scale:
    """Sizes for one paper size (A5 is A4 scaled by about 0.7)."""

    margin: float
    heading: float
    body: float
    instruction: float
    option: float
    box: float
    code_box: float


SCALES: Final[dict[str, Scale]] = {
    "A4": Scale(18 * mm, 20, 12, 18, 16, 12 * mm, 10 * mm),
    "A5": Scale(12 * mm, 15, 9.5, 13.5, 12.5, 9 * mm, 8 * mm),
}


NO_LINE_START: Final[str] = "，。、；：！？）》」…,.;:!?)"
"""Punctuation never put at the start of a line (it stays at the end of the one before)."""


CODE_ROOM: Final[float] = 5.5
"""Height kept under the slate for the code field and the footer, in code boxes."""


def fitted(s: Scale, room: float, options: int) -> Scale:
    """The scale with boxes and option names small enough for ``options`` rows to fit
    ``room`` points (a long slate on A5), never larger than ``s``."""
    row = room / max(options, 1) - 3 * mm
    if row >= s.box:
        return s
    box = max(row, 5 * mm)
    return replace(s, box=box, option=min(s.option, box * 0.8))


def wrap(line: str, font: str, size: float, room: float) -> list[str]:
    """``line`` broken at any character into lines no wider than ``room`` points (a
    punctuation mark that would start a line ends the line before instead)."""
    lines: list[str] = []
    current = ""
    for ch in line:
        too_wide = current and stringWidth(current + ch, font, size) > room
        if too_wide and ch not in NO_LINE_START:
            lines.append(current)
            current = ch if not ch.isspace() else ""
        else:
            current += ch
    if current:
        lines.append(current)
    return lines


def serial_text(serial: int) -> str:
    """A serial as printed: six digits at least (``000012``)."""
    return f"{serial:06d}"


def instructions(facts: BallotFacts, lang: str) -> list[str]:
    """The instructions for the round's ballot kind and rules, one sentence a line."""
    if facts.kind == "approval":
        return [text(lang, "record.paper.approval")]
    said = [text(lang, "record.paper.ranked")]
    if facts.truncation:
        said.append(text(lang, "record.paper.truncation"))
    said.append(text(lang, "record.paper.ties" if facts.ties else "record.paper.no_ties"))
    return said


def paper_ballots_pdf(facts: BallotFacts, size: str = "A4", lang: str = "zh") -> bytes:
    """The printing's ballots, one a page, as PDF bytes."""
    font = cjk_font()
    pagesize = A5 if size == "A5" else A4
    scale = SCALES["A5" if size == "A5" else "A4"]
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=pagesize, invariant=1, pageCompression=1)
    canvas.setTitle(text(lang, "record.paper.title"))
    canvas.setAuthor("Red Bench 红板凳议事会")
    for serial in range(facts.first, facts.first + facts.count):
        _ballot(canvas, font, pagesize, scale, facts, serial, lang)
        canvas.showPage()
    canvas.save()
    return out.getvalue()


def _ballot(
    canvas: Canvas,
    font: str,
    pagesize: tuple[float, float],
    s: Scale,
    facts: BallotFacts,
    serial: int,
    lang: str,
) -> None:
    width, height = pagesize
    room = width - 2 * s.margin
    y = height - s.margin - s.heading
    canvas.setFillColor(RED)
    canvas.setFont(font, s.heading)
    canvas.drawString(s.margin, y, text(lang, "record.paper.title"))
    canvas.setFont(SERIAL_FONT, s.heading)
    number = serial_text(serial)
    canvas.drawRightString(width - s.margin, y, number)
    canvas.setFont(font, s.body)
    label = text(lang, "record.paper.serial")
    canvas.drawRightString(
        width - s.margin - stringWidth(number, SERIAL_FONT, s.heading) - 2 * mm, y, label
    )
    canvas.setFillColor(colors.black)
    y -= s.body * 2
    round_line = text(
        lang, "record.paper.round", number=facts.round_number, title=facts.round_title
    )
    for line, size in (
        (facts.process, s.body * 1.2),
        (facts.question, s.body),
        (round_line, s.body),
    ):
        if not line:
            continue
        canvas.setFont(font, size)
        for part in wrap(line, font, size, room):
            canvas.drawString(s.margin, y, part)
            y -= size * 1.35
    y -= s.body * 0.5
    canvas.setFont(font, s.instruction)
    for sentence in instructions(facts, lang):
        for part in wrap(sentence, font, s.instruction, room):
            canvas.drawString(s.margin, y, part)
            y -= s.instruction * 1.35
    y -= s.body * 0.6
    canvas.setLineWidth(1.2)
    room_h = y - s.margin - CODE_ROOM * s.code_box
    columns = 1 if len(facts.options) * (5 * mm + 3 * mm) <= room_h else 2
    rows = -(-len(facts.options) // columns)
    s = fitted(s, room_h, rows)
    column_w = room / columns
    top = lowest = y
    for place, name in enumerate(facts.options, start=1):
        column, row = divmod(place - 1, rows)
        x = s.margin + column * column_w
        if row == 0:
            y = top
        bottom = y - s.box
        canvas.rect(x, bottom, s.box, s.box)
        canvas.setFont(font, s.option)
        lines = wrap(f"{place}. {name}", font, s.option, column_w - s.box - 7 * mm)
        first = bottom + (s.box - s.option * 0.72) / 2  # the first line centred on the box
        for n, part in enumerate(lines):
            canvas.drawString(x + s.box + 5 * mm, first - n * s.option * 1.3, part)
        y -= max(s.box, s.box / 2 + len(lines) * s.option * 1.3) + 3 * mm
        lowest = min(lowest, y)
    y = lowest
    _code_field(canvas, font, s, room, y - s.body, lang)
    canvas.setFillColor(GREY)
    canvas.setFont(font, s.body * 0.85)
    for n, part in enumerate(wrap(text(lang, "record.paper.secret"), font, s.body * 0.85, room)):
        canvas.drawString(s.margin, s.margin + n * -s.body + s.body, part)
    canvas.setFillColor(colors.black)


def _code_field(canvas: Canvas, font: str, s: Scale, room: float, y: float, lang: str) -> None:
    """The code's ten boxes (a dash after the fifth, as on the slip) under its label."""
    canvas.setFont(font, s.body)
    for part in wrap(text(lang, "record.paper.code"), font, s.body, room):
        canvas.drawString(s.margin, y, part)
        y -= s.body * 1.35
    y -= s.code_box
    x = s.margin
    canvas.setLineWidth(1)
    for n in range(CODE_LENGTH):
        if n == CODE_LENGTH // 2:
            canvas.line(x + 1 * mm, y + s.code_box / 2, x + 3 * mm, y + s.code_box / 2)
            x += 4 * mm
        canvas.rect(x, y, s.code_box, s.code_box)
        x += s.code_box + 1 * mm
