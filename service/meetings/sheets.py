"""The two printed papers of a meeting, A4, Chinese first (``lang="en"`` for English), set
in the embedded CJK font: the sign-in sheet (签到表) to pass round the benches, and the
meeting record (会议记录) to sign and file. Pure: plain data in
(:class:`~service.meetings.record.MeetingFacts`), PDF bytes out, so they are drawn in the
worker process (:mod:`service.offload`)."""

from __future__ import annotations

import io
from typing import Any, Final
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.flowables import Flowable

from service.i18n import text
from service.meetings.record import MeetingFacts
from service.records.document import LANGUAGE_TAGS, LINE, MARGIN, PALE, Styles
from service.records.fonts import cjk_font
from service.records.labels import listed
from service.records.loop_pages import printable
from service.zones import long_date, moment

SHEET_ROWS: Final[int] = 22
"""Rows of the sign-in sheet's first page (a second page follows with as many again)."""
WIDTH: Final[float] = A4[0] - 2 * MARGIN


def _x(value: object) -> str:
    return escape(str(value))


def _document(out: io.BytesIO, title: str, lang: str) -> SimpleDocTemplate:
    return SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=title,
        author="Red Bench 红板凳议事会",
        creator="redbench",
        lang=LANGUAGE_TAGS.get(lang, "en"),
        invariant=1,
    )


def _grid(rows: list[list[Any]], s: Styles, widths: list[float], **extra: Any) -> Table:
    cells = [[c if isinstance(c, Flowable) else Paragraph(_x(c), s.cell) for c in r] for r in rows]
    table = Table(cells, colWidths=widths, repeatRows=1, hAlign="LEFT", **extra)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, LINE),
                ("BACKGROUND", (0, 0), (-1, 0), PALE),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    return table


def _when(f: MeetingFacts, lang: str) -> str:
    start = moment(f.starts_at, f.zone, lang)
    if f.ends_at is None:
        return start
    end = moment(f.ends_at, f.zone, lang)
    return text(lang, "meeting.sheet.span", start=start, end=end)


def _head(f: MeetingFacts, title_key: str, lang: str, s: Styles) -> list[Flowable]:
    kind = text(lang, f"meeting.kind.{f.kind}")
    return [
        Paragraph(_x(text(lang, title_key)), s.title),
        Paragraph(
            _x(text(lang, "meeting.sheet.subtitle", community=f.community, title=f.title)),
            s.subtitle,
        ),
        Paragraph(
            _x(
                text(
                    lang, "meeting.sheet.line", kind=kind, when=_when(f, lang), place=f.place or "—"
                )
            ),
            s.body,
        ),
        Spacer(1, 4 * mm),
    ]


def sign_in_sheet_pdf(f: MeetingFacts, lang: str = "zh") -> bytes:
    """The sign-in sheet: the meeting's title, place and time (in the community's zone,
    labelled), how to fill it in, and two pages of rows: number, name, category, signature."""
    s = Styles(cjk_font(), f.zone)
    out = io.BytesIO()
    doc = _document(out, f"{text(lang, 'meeting.sheet.title')} — {f.title}", lang)
    categories = listed(lang, (text(lang, f"meeting.category.{c}") for c, _ in f.attendance))
    story = _head(f, "meeting.sheet.title", lang, s)
    story.append(Paragraph(_x(text(lang, "meeting.sheet.how", categories=categories)), s.small))
    story.append(Spacer(1, 3 * mm))
    header = [text(lang, f"meeting.sheet.{c}") for c in ("number", "name", "category", "signature")]
    rows: list[list[Any]] = [header] + [[str(n), "", "", ""] for n in range(1, 2 * SHEET_ROWS + 1)]
    story.append(
        _grid(
            rows,
            s,
            [14 * mm, 50 * mm, 40 * mm, WIDTH - 104 * mm],
            rowHeights=[8 * mm] + [10 * mm] * (len(rows) - 1),
        )
    )
    doc.build(story)
    return out.getvalue()


def meeting_record_pdf(f: MeetingFacts, lang: str = "zh") -> bytes:
    """The meeting record: the facts, attendance by category, the agenda with each item's
    speakers, result, decision and follow-up, the site surveys of its processes, the
    minutes, the photos with their captions, and lines for the signatures of the
    facilitator, the recorder and the residents' representatives, each with its date."""
    s = Styles(cjk_font(), f.zone)
    out = io.BytesIO()
    doc = _document(out, f"{text(lang, 'meeting.record.title')} — {f.title}", lang)
    story = _head(f, "meeting.record.title", lang, s)
    story += _facts(f, lang, s)
    story += _attendance(f, lang, s)
    story += _agenda(f, lang, s)
    story += _surveys(f, lang, s)
    story += _minutes(f, lang, s)
    story += _photos(f, lang, s)
    story += _signatures(lang, s)
    doc.build(story)
    return out.getvalue()


def _pairs(pairs: list[tuple[str, str]], s: Styles) -> Table:
    table = Table(
        [[Paragraph(_x(a), s.cell), Paragraph(_x(b), s.cell)] for a, b in pairs],
        colWidths=[36 * mm, WIDTH - 36 * mm],
        hAlign="LEFT",
    )
    table.setStyle(
        TableStyle([("GRID", (0, 0), (-1, -1), 0.5, LINE), ("VALIGN", (0, 0), (-1, -1), "TOP")])
    )
    return table


def _facts(f: MeetingFacts, lang: str, s: Styles) -> list[Flowable]:
    def label(key: str) -> str:
        return text(lang, f"meeting.record.{key}")

    pairs = [
        (label("facilitator"), f.facilitator or "—"),
        (label("status"), text(lang, f"meeting.status.{f.status}")),
    ]
    if f.grid:
        pairs.append((label("grid"), f.grid))
    if f.topic:
        pairs.append((label("topic"), f.topic))
    if f.reached:
        pairs.append((label("reached"), text(lang, "meeting.people", count=f.reached)))
    if f.cancel_reason:
        pairs.append((label("cancel_reason"), f.cancel_reason))
    return [_pairs(pairs, s)]


def _attendance(f: MeetingFacts, lang: str, s: Styles) -> list[Flowable]:
    header = [text(lang, f"meeting.category.{c}") for c, _ in f.attendance]
    header.append(text(lang, "meeting.record.total"))
    counts = [str(n) for _, n in f.attendance] + [str(f.total)]
    width = WIDTH / len(header)
    return [
        Paragraph(_x(text(lang, "meeting.record.attendance")), s.h1),
        _grid([header, counts], s, [width] * len(header)),
    ]


def _agenda(f: MeetingFacts, lang: str, s: Styles) -> list[Flowable]:
    story: list[Flowable] = [Paragraph(_x(text(lang, "meeting.record.agenda")), s.h1)]
    if not f.items:
        return [*story, Paragraph(_x(text(lang, "meeting.record.no_agenda")), s.body)]
    for n, item in enumerate(f.items, start=1):
        pairs = [
            (text(lang, f"meeting.record.{key}"), value)
            for key, value in (
                ("speakers", item.speakers),
                ("result", item.result),
                ("decision", item.decision),
                ("follow_up", item.follow_up),
            )
            if value
        ]
        heading = Paragraph(
            _x(text(lang, "meeting.record.item", number=n, subject=item.subject)), s.h2
        )
        story.append(KeepTogether([heading, _pairs(pairs, s)] if pairs else [heading]))
    return story


def _surveys(f: MeetingFacts, lang: str, s: Styles) -> list[Flowable]:
    if not f.surveys:
        return []
    story: list[Flowable] = [Paragraph(_x(text(lang, "meeting.record.surveys")), s.h1)]
    for survey in f.surveys:
        said = text(
            lang,
            "meeting.record.survey",
            process=survey.process,
            on=long_date(survey.surveyed_on, lang),
            surveyor=survey.surveyor,
        )
        story.append(Paragraph(_x(said), s.h2))
        if survey.notes:
            story.append(Paragraph(_x(survey.notes).replace("\n", "<br/>"), s.body))
        if survey.measurements:
            rows = [[text(lang, f"meeting.record.measure.{k}") for k in ("label", "value", "unit")]]
            rows += [list(m) for m in survey.measurements]
            story.append(_grid(rows, s, [70 * mm, 50 * mm, 30 * mm]))
    return story


def _minutes(f: MeetingFacts, lang: str, s: Styles) -> list[Flowable]:
    story: list[Flowable] = [Paragraph(_x(text(lang, "meeting.record.minutes")), s.h1)]
    if not f.minutes.strip():
        return [*story, Paragraph(_x(text(lang, "meeting.record.no_minutes")), s.body)]
    return story + [Paragraph(_x(line) or "&nbsp;", s.body) for line in f.minutes.split("\n")]


def _photos(f: MeetingFacts, lang: str, s: Styles) -> list[Flowable]:
    if not f.photos:
        return []
    cells: list[list[Flowable]] = []
    for n, photo in enumerate(f.photos, start=1):
        caption = photo.caption or text(lang, "meeting.record.photo", number=n)
        image = printable(photo.data)
        shown: Flowable = image if image is not None else Spacer(1, 1)
        cells.append([shown, Spacer(1, 2), Paragraph(_x(caption), s.small)])
    rows: list[list[Any]] = [cells[i : i + 2] for i in range(0, len(cells), 2)]
    if len(rows[-1]) == 1:
        rows[-1].append([])
    grid = Table(rows, colWidths=[WIDTH / 2] * 2, hAlign="LEFT")
    grid.setStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)])
    return [Paragraph(_x(text(lang, "meeting.record.photos")), s.h1), grid]


def _signatures(lang: str, s: Styles) -> list[Flowable]:
    who = ("facilitator", "recorder", "representatives", "representatives")
    date_word = text(lang, "meeting.sign.date")
    rows = [[text(lang, f"meeting.sign.{w}"), "", date_word, ""] for w in who]
    lines = Table(
        [[Paragraph(_x(c), s.body) for c in row] for row in rows],
        colWidths=[40 * mm, 70 * mm, 16 * mm, 40 * mm],
        rowHeights=[16 * mm] * len(rows),
        hAlign="LEFT",
    )
    lines.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                ("LINEBELOW", (1, 0), (1, -1), 0.6, colors.black),
                ("LINEBELOW", (3, 0), (3, -1), 0.6, colors.black),
            ]
        )
    )
    heading = Paragraph(_x(text(lang, "meeting.sign.heading")), s.h1)
    return [KeepTogether([heading, lines])]
