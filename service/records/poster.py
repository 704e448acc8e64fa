"""The result poster for the notice board: one page, A4 or A3, in large type, made from a
published round and showing only what the public board shows.

From top to bottom: the notice's heading, the community and the process, the round, the
question; the winners (or the funded projects of a budget round) in the largest type; the
count as a picture (:func:`service.records.chart.count_chart`: a line per option across
the elimination steps of a ranked round, bars of the totals otherwise); the ballots counted,
the method and when it was counted (in the community's zone, labelled); and a QR code of
the round's board page, where residents find the whole result and check their receipts.

The page is laid out once in A4 points; an A3 poster is the same page scaled up by √2, so
the two sizes never disagree. :func:`poster_pdf` takes plain data (:class:`PosterFacts`)
and runs in the worker process (:mod:`service.offload`).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal
from xml.sax.saxutils import escape

import msgspec
import segno
from reportlab.graphics import renderPDF
from reportlab.graphics.charts.barcharts import HorizontalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A3, A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph
from sqlalchemy.ext.asyncio import AsyncSession

from engine.result import Result
from service.auth.guard import ANONYMOUS
from service.communities.controllers import find_community
from service.errors import Conflict, Invalid
from service.i18n import text
from service.processes.repository import find_process
from service.records.chart import count_chart
from service.records.exports import safe_title
from service.records.fonts import cjk_font
from service.records.labels import grouped_number, method_name, separator
from service.records.slips import draw_qr
from service.results.controllers import counted_round
from service.results.explain import undecided_words
from service.rounds.titles import round_title
from service.zones import moment

Size = Literal["A4", "A3"]
SIZES: Final[dict[str, tuple[float, float]]] = {"A4": A4, "A3": A3}
"""The paper sizes a poster is printed on (portrait)."""
WIDTH, HEIGHT = A4
MARGIN: Final[float] = 40
BAND: Final[float] = 78
"""Height of the red band the heading stands in."""
QR_SIDE: Final[float] = 118
RED: Final = colors.HexColor("#b03a2e")
PALE: Final = colors.HexColor("#fbeeea")
GREY: Final = colors.HexColor("#444444")
WINNER_SIZES: Final[tuple[float, ...]] = (54, 48, 42, 36, 32, 28, 24, 20, 18)
"""Sizes tried for the winners' names, largest first: the first whose lines fit is used."""
QUESTION: Final[int] = 90
"""Characters of the question printed at most (the board page has all of it)."""
WINNER_LINES: Final[int] = 3
"""At most this many lines of winners' names (more names: smaller type)."""


@dataclass(frozen=True)
class PosterFacts:
    """What a poster shows, all of it public once the round is published."""

    community: str
    process: str
    question: str
    number: int
    title: str
    result: Result
    ballots: int
    counted_at: datetime
    zone: str
    board_url: str


def board_url(base: str, round_id: int) -> str:
    """The absolute address of a round's board page, for the poster's QR code: the
    service's address as the request reached it (``base``) and ``/board/rounds/<id>``."""
    return f"{base.rstrip('/')}/board/rounds/{round_id}"


def paper(size: str) -> Size:
    """``size`` as a paper size the poster is printed on (422 naming ``size`` otherwise)."""
    chosen = size.strip().upper()
    if chosen == "A4":
        return "A4"
    if chosen == "A3":
        return "A3"
    raise Invalid("poster-size", field="size", size=size)


async def poster_facts(db: AsyncSession, round_id: int, base: str) -> PosterFacts:
    """The facts of a published round's poster (404 for no round, 409 before it is
    published: a poster shows what the board shows, and nothing earlier, to anyone)."""
    try:
        round_row, stored = await counted_round(db, round_id, ANONYMOUS)
    except Conflict as exc:
        raise Conflict("poster-unpublished", round_id=round_id) from exc
    process = await find_process(db, round_row.process_id)
    community = await find_community(db, process.community_id)
    return PosterFacts(
        community=community.name,
        process=process.title,
        question=process.question,
        number=round_row.number,
        title=round_row.title,
        result=msgspec.json.decode(stored.result, type=Result),
        ballots=stored.ballots,
        counted_at=stored.counted_at,
        zone=community.time_zone,
        board_url=board_url(base, round_id),
    )


def poster_names(facts: PosterFacts, size: Size, lang: str) -> tuple[str, str]:
    """The poster's file name in ``lang`` and its ASCII fallback:
    ``口袋公园建设方案-第1轮结果海报-A3.pdf`` and ``redbench-round-1-poster-A3.pdf``."""
    name = text(lang, "poster.file", title=safe_title(facts.process), n=facts.number, size=size)
    return f"{name}.pdf", f"redbench-round-{facts.number}-poster-{size}.pdf"


def poster_pdf(facts: PosterFacts, size: Size = "A4", lang: str = "zh") -> bytes:
    """The poster as PDF bytes: one page of ``size``, laid out in A4 points and scaled."""
    font = cjk_font()
    page_w, page_h = SIZES[size]
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=(page_w, page_h), invariant=1, pageCompression=1)
    canvas.setTitle(f"{text(lang, 'poster.heading')} — {facts.process}")
    canvas.setAuthor("Red Bench 红板凳议事会")
    canvas.setSubject(round_title(facts.number, facts.title, lang))
    canvas.scale(page_w / WIDTH, page_h / HEIGHT)
    Layout(canvas, font, facts, lang).draw()
    canvas.showPage()
    canvas.save()
    return out.getvalue()


class Layout:
    """The poster drawn from the top down; ``top`` is where the next block starts."""

    def __init__(self, canvas: Canvas, font: str, facts: PosterFacts, lang: str) -> None:
        self.canvas, self.font, self.facts, self.lang = canvas, font, facts, lang
        self.top = HEIGHT
        self.room = WIDTH - 2 * MARGIN

    def style(
        self, size: float, colour: colors.Color = colors.black, align: int = 0
    ) -> ParagraphStyle:
        return ParagraphStyle(
            f"poster-{size}",
            fontName=self.font,
            fontSize=size,
            leading=size * 1.3,
            textColor=colour,
            alignment=align,
            wordWrap="CJK",
        )

    def paragraph(self, words: str, style: ParagraphStyle, *, gap: float = 0) -> None:
        """Draw ``words`` across the page under ``top`` and move ``top`` below them."""
        block = Paragraph(escape(words), style)
        _, height = block.wrap(self.room, HEIGHT)
        block.drawOn(self.canvas, MARGIN, self.top - height)
        self.top -= height + gap

    def draw(self) -> None:
        self.heading()
        self.about()
        self.winners()
        bottom = self.footer()
        self.chart(bottom)

    def heading(self) -> None:
        c = self.canvas
        c.setFillColor(RED)
        c.rect(0, HEIGHT - BAND, WIDTH, BAND, stroke=0, fill=1)
        c.setFillColor(colors.white)
        c.setFont(self.font, 34)
        c.drawCentredString(WIDTH / 2, HEIGHT - BAND / 2 - 12, text(self.lang, "poster.heading"))
        self.top = HEIGHT - BAND - 22

    def about(self) -> None:
        f, lang = self.facts, self.lang
        where = "　".join(part for part in (f.community, f.process) if part)
        self.paragraph(where, self.style(24, align=1), gap=6)
        self.paragraph(round_title(f.number, f.title, lang), self.style(18, GREY, 1), gap=10)
        if f.question:
            question = f.question if len(f.question) <= QUESTION else f.question[:QUESTION] + "…"
            asked = text(lang, "poster.question", question=question)
            self.paragraph(asked, self.style(15, GREY, 1), gap=16)

    def winners(self) -> None:
        """The decision in the largest type that fits, on a pale panel: the names broken
        into lines only between two names (never inside one); why nothing was decided,
        when nothing was."""
        result, lang, c = self.facts.result, self.lang, self.canvas
        undecided = undecided_words(result, lang)
        key = "poster.funded" if result.decisions else "poster.winners"
        label = Paragraph(
            escape(text(lang, "poster.outcome" if undecided else key)), self.style(20, RED, 1)
        )
        _, label_h = label.wrap(self.room - 24, HEIGHT)
        names = [undecided] if undecided else list(result.winners)
        size, lines = self.name_lines(names or [text(lang, "record.no_winner")])
        height = len(lines) * size * 1.3
        panel = label_h + height + 30
        c.setFillColor(PALE)
        c.setStrokeColor(RED)
        c.setLineWidth(1.5)
        c.roundRect(MARGIN, self.top - panel, self.room, panel, 10, stroke=1, fill=1)
        label.drawOn(c, MARGIN + 12, self.top - 12 - label_h)
        c.setFillColor(colors.black)
        c.setFont(self.font, size)
        baseline = self.top - 18 - label_h - size
        for line in lines:
            c.drawCentredString(WIDTH / 2, baseline, line)
            baseline -= size * 1.3
        self.top -= panel + 14

    def name_lines(self, names: list[str]) -> tuple[float, list[str]]:
        """The largest of :data:`WINNER_SIZES` at which ``names``, joined and broken only
        between two names, take at most :data:`WINNER_LINES` lines; at the smallest, the
        lines as they come (a name longer than the page is wrapped at any character)."""
        room = self.room - 24
        joint = separator(self.lang)
        for size in WINNER_SIZES:
            lines: list[str] = []
            for name in names:
                joined = f"{lines[-1]}{joint}{name}" if lines else name
                if lines and stringWidth(joined, self.font, size) <= room:
                    lines[-1] = joined
                else:
                    lines.append(name)
            fits = all(stringWidth(line, self.font, size) <= room for line in lines)
            if fits and len(lines) <= WINNER_LINES:
                return size, lines
        size = WINNER_SIZES[-1]
        return size, simpleSplit(joint.join(names), self.font, size, room) or [""]

    def footer(self) -> float:
        """The turnout, method and time of the count beside the QR code; the height above
        the page's foot that they take."""
        f, lang, c = self.facts, self.lang, self.canvas
        qr = segno.make(f.board_url, error="m", micro=False)
        x = WIDTH - MARGIN - QR_SIDE
        y = MARGIN + 16
        c.setFillColor(colors.black)
        draw_qr(c, [bytes(row) for row in qr.matrix], x, y, QR_SIDE)
        c.setFont(self.font, 11)
        c.drawCentredString(x + QR_SIDE / 2, y - 12, text(lang, "poster.scan"))
        lines = [
            (text(lang, "poster.ballots", count=grouped_number(f.ballots)), 20.0),
            (text(lang, "poster.method", method=method_name(f.result.method, lang)), 14.0),
            (text(lang, "poster.counted", time=moment(f.counted_at, f.zone, lang)), 14.0),
        ]
        line_y = y + QR_SIDE - 20
        for words, size in lines:
            c.setFont(self.font, size)
            c.drawString(MARGIN, line_y, words)
            line_y -= size * 1.8
        c.setFont(self.font, 9)
        c.setFillColor(GREY)
        c.drawString(MARGIN, y - 12, text(lang, "poster.more", url=f.board_url))
        c.setStrokeColor(RED)
        c.setLineWidth(1)
        rule = y + QR_SIDE + 14
        c.line(MARGIN, rule, WIDTH - MARGIN, rule)
        return rule + 10

    def chart(self, bottom: float) -> None:
        """The count as a picture, as large as the room between the winners and the foot
        allows (centred in it)."""
        result, lang = self.facts.result, self.lang
        key = "poster.chart.totals"
        if result.decisions:
            key = "poster.chart.support"
        elif len(result.rounds) >= 2:
            key = "poster.chart.steps"
        drawing = count_chart(result, self.font, text(lang, key))
        room = self.top - bottom
        if drawing is None or room < 60:
            return
        readable(drawing, text(lang, "poster.chart.axis"))
        scale = min(self.room / drawing.width, room / drawing.height, 1.6)
        x = MARGIN + (self.room - drawing.width * scale) / 2
        y = bottom + (room - drawing.height * scale) / 2
        self.canvas.saveState()
        self.canvas.translate(x, y)
        self.canvas.scale(scale, scale)
        renderPDF.draw(drawing, self.canvas, 0, 0)
        self.canvas.restoreState()


CHART_TEXT: Final[float] = 11
"""The size of the chart's names and numbers on the poster (the record's are 8 points: a
poster is read from a step or two away)."""


def readable(drawing: Drawing, steps: str) -> None:
    """The record's chart (:func:`~service.records.chart.count_chart`) with its title,
    axis labels and legend set larger, for reading on the notice board, and a line chart's
    count-by-count axis named ``steps``."""
    for part in list(drawing.contents):
        if isinstance(part, String):
            part.fontSize = CHART_TEXT + 2
        elif isinstance(part, Legend):
            part.fontSize = CHART_TEXT
            part.deltay = CHART_TEXT * 1.5
        elif isinstance(part, LinePlot):
            part.xValueAxis.labels.fontSize = part.yValueAxis.labels.fontSize = CHART_TEXT
            middle = part.x + part.width / 2
            drawing.add(
                String(
                    middle,
                    0,
                    steps,
                    fontName=part.xValueAxis.labels.fontName,
                    fontSize=CHART_TEXT,
                    textAnchor="middle",
                )
            )
        elif isinstance(part, HorizontalBarChart):
            part.categoryAxis.labels.fontSize = part.valueAxis.labels.fontSize = CHART_TEXT
