"""The printed decision record: an A4 PDF in Chinese (or English) made from a sealed bundle,
set in an embedded CJK TrueType font (:mod:`service.records.fonts`).

It holds the process and question, and per round the slate with descriptions, the
deliberation (comments per option by stance, the prompts, notable comments), the turnout,
the counting rules declared before voting, the count as :mod:`service.results.explain`
tells it (every counting step in tables, a sentence per step and a chart; or the
head-to-head table with the winners' rows shaded and why they won), every tie and how it
was broken (and how to draw a lot again), the decision, the method comparison and the
ballot-box digest; then the package digest and lines for the facilitator's and the secretary's
signatures. Page furniture repeats the title and the package digest on every page.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from typing import Any, Final
from xml.sax.saxutils import escape

from msgspec import UNSET, UnsetType
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    CondPageBreak,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.flowables import Flowable

from ballots.bundle import Bundle, RoundRecord
from ballots.recount import seed_for
from engine.process import ProcessPhase
from engine.result import Result
from service.i18n import text
from service.records.channel_lines import turnout_lines, validity_lines
from service.records.chart import count_chart
from service.records.fonts import cjk_font
from service.records.labels import (
    aside,
    counting_options,
    label,
    labelled,
    listed,
    method_name,
    method_summary,
    option_name,
    option_value,
    plain_number,
    separator,
    yuan,
)
from service.results.explain import (
    Explanation,
    HeadToHead,
    Step,
    condorcet_note,
    explain,
    outcome_words,
    step_grid,
    verdict_words,
)
from service.results.ties import answer_words
from service.rounds.titles import round_title
from service.zones import DEFAULT_ZONE, moment

RED: Final = colors.HexColor("#b03a2e")
PALE: Final = colors.HexColor("#f6e3df")
WON: Final = colors.HexColor("#e3f1e6")
LINE: Final = colors.HexColor("#c8c8c8")
MARGIN: Final = 18 * mm
LANGUAGE_TAGS: Final = {"zh": "zh-CN", "en": "en"}
"""The language each record language is tagged with in the PDF (BCP 47)."""


class Styles:
    """The paragraph styles of the record, all in the CJK font."""

    def __init__(self, font: str, zone: str = DEFAULT_ZONE) -> None:
        def style(name: str, size: float, **extra: Any) -> ParagraphStyle:
            return ParagraphStyle(
                name, fontName=font, fontSize=size, leading=size * 1.45, wordWrap="CJK", **extra
            )

        self.font = font
        self.zone = zone
        """The time zone times are shown in (it travels with the styles to every section)."""
        self.title = style("title", 18, alignment=1, textColor=RED, spaceAfter=4)
        self.subtitle = style("subtitle", 11.5, alignment=1, spaceAfter=10)
        self.h1 = style("h1", 13.5, textColor=RED, spaceBefore=10, spaceAfter=4, keepWithNext=1)
        self.h2 = style("h2", 11, spaceBefore=8, spaceAfter=3, keepWithNext=1)
        self.body = style("body", 9.5)
        self.cell = style("cell", 8.5)
        self.small = style("small", 8, textColor=colors.HexColor("#444444"))
        self.digest = ParagraphStyle("digest", fontName="Courier", fontSize=8.5, leading=11)


More = Callable[[Styles], list[Flowable]]
"""Pages to add after the rounds, set in the record's styles."""


def decision_pdf(
    bundle: Bundle, lang: str = "zh", zone: str = DEFAULT_ZONE, *, more: More | None = None
) -> bytes:
    """The record of ``bundle`` as PDF bytes, times shown in ``zone`` (the same bundle,
    language and zone give the same bytes); a process's whole record has ``more`` pages
    after its rounds (the loop: :func:`service.records.loop_pages.loop_pages`)."""
    font = cjk_font()
    s = Styles(font, zone)
    out = io.BytesIO()
    title = text(lang, "record.title" if bundle.loop is UNSET else "record.title.process")
    process = bundle.process
    subtitle = text(lang, "record.subtitle", community=process.community, title=process.title)
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN + 4 * mm,
        bottomMargin=MARGIN,
        title=f"{title} — {process.title}",
        author="Red Bench 红板凳议事会",
        subject=bundle.digest,
        creator="redbench",
        lang=LANGUAGE_TAGS.get(lang, "en"),
        invariant=1,
    )
    story: list[Flowable] = [Paragraph(_x(title), s.title), Paragraph(_x(subtitle), s.subtitle)]
    story.append(_summary(bundle, lang, s))
    story += _process(bundle, lang, s)
    for record in bundle.rounds:
        story += _round(record, lang, s)
    if more is not None:
        story += more(s)
    story += _closing(bundle, lang, s)

    def furniture(canvas: Canvas, document: Any) -> None:
        canvas.saveState()
        canvas.setFont(font, 7.5)
        canvas.setFillColor(colors.HexColor("#666666"))
        width, height = A4
        canvas.drawString(MARGIN, height - MARGIN + 2 * mm, f"{title}　{process.title}")
        page = text(lang, "record.page", page=document.page)
        canvas.drawRightString(width - MARGIN, height - MARGIN + 2 * mm, page)
        footer = f"{text(lang, 'record.package_digest')}: {bundle.digest}"
        canvas.drawString(MARGIN, MARGIN - 8 * mm, footer)
        canvas.restoreState()

    doc.build(story, onFirstPage=furniture, onLaterPages=furniture)
    return out.getvalue()


def _x(value: object) -> str:
    """Text made safe for a reportlab paragraph (its mini-markup)."""
    return escape(str(value))


def _table(rows: list[list[Any]], s: Styles, widths: list[float], *, header: bool = True) -> Table:
    cells = [
        [c if isinstance(c, Flowable) else Paragraph(_x(c), s.cell) for c in row] for row in rows
    ]
    table = Table(cells, colWidths=widths, repeatRows=1 if header else 0, hAlign="LEFT")
    commands: list[tuple[Any, ...]] = [
        ("GRID", (0, 0), (-1, -1), 0.4, LINE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    if header:
        commands.append(("BACKGROUND", (0, 0), (-1, 0), PALE))
    table.setStyle(TableStyle(commands))
    return table


def _facts(pairs: list[tuple[str, str]], s: Styles) -> Table:
    return _table([list(p) for p in pairs], s, [38 * mm, 136 * mm], header=False)


def _summary(bundle: Bundle, lang: str, s: Styles) -> Table:
    """The decision at a glance, first on the first page: each round's outcome and the
    package digest."""
    rows: list[list[Any]] = []
    for record in bundle.rounds:
        result = record.result
        key = "record.funded" if result.decisions else "record.winners"
        winners = outcome_words(result, lang, nobody=text(lang, "record.no_winner"))
        heading = round_title(record.number, record.title, lang)
        rows.append(
            [
                Paragraph(_x(heading), s.body),
                Paragraph(f"<b>{_x(text(lang, key))}</b>　{_x(winners)}", s.body),
            ]
        )
    if bundle.loop is not UNSET:  # where the decision stands: implementing, closed …
        phase = label(lang, "phase", bundle.loop.phase)
        if bundle.loop.phase == ProcessPhase.CLOSED:
            phase += f"　{moment(bundle.loop.closed_at, s.zone, lang)}"
        rows.append(
            [
                Paragraph(_x(text(lang, "record.process.phase")), s.body),
                Paragraph(f"<b>{_x(phase)}</b>", s.body),
            ]
        )
    rows.append(
        [
            Paragraph(_x(text(lang, "record.package_digest")), s.body),
            Paragraph(bundle.digest, s.digest),
        ]
    )
    table = Table(rows, colWidths=[46 * mm, 128 * mm], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), PALE),
                ("BOX", (0, 0), (-1, -1), 0.8, RED),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
            ]
        )
    )
    return table


def _process(bundle: Bundle, lang: str, s: Styles) -> list[Flowable]:
    p = bundle.process
    pairs = [
        (text(lang, "record.process.community"), p.community or "—"),
        (text(lang, "record.process.title"), p.title),
        (text(lang, "record.process.question"), p.question or "—"),
        (text(lang, "record.process.created"), moment(p.created_at, s.zone, lang)),
        (text(lang, "record.process.deliberating"), moment(p.deliberating_at, s.zone, lang)),
        (text(lang, "record.process.decided"), moment(p.decided_at, s.zone, lang)),
    ]
    if bundle.loop is not UNSET:
        pairs.append((text(lang, "record.process.phase"), label(lang, "phase", bundle.loop.phase)))
        if bundle.loop.phase == ProcessPhase.CLOSED:
            pairs.append(
                (text(lang, "record.process.closed"), moment(bundle.loop.closed_at, s.zone, lang))
            )
    return [Paragraph(_x(text(lang, "record.section.process")), s.h1), _facts(pairs, s)]


def _round(record: RoundRecord, lang: str, s: Styles) -> list[Flowable]:
    heading = round_title(record.number, record.title, lang)
    story: list[Flowable] = [CondPageBreak(60 * mm), Paragraph(_x(heading), s.h1)]
    story += _slate(record, lang, s)
    story += _deliberation(record, lang, s)
    story += _turnout(record, lang, s)
    story += _rules(record, lang, s)
    story += _count(record, lang, s)
    story += _outcome(record, lang, s)
    return story


def _slate(record: RoundRecord, lang: str, s: Styles) -> list[Flowable]:
    budget = record.rules.kind == "budget"
    rows: list[list[Any]] = [
        [
            text(lang, "record.col.no"),
            text(lang, "record.col.option"),
            text(lang, "record.col.description"),
            text(lang, "record.col.cost") if budget else text(lang, "record.col.author"),
        ]
    ]
    for i, option in enumerate(record.slate, start=1):
        last = yuan(option.cost) if budget else (option.author or "—")
        rows.append([i, option.name, option.description or "—", last])
    widths = [12 * mm, 38 * mm, 94 * mm, 30 * mm]
    return [Paragraph(_x(text(lang, "record.section.slate")), s.h2), _table(rows, s, widths)]


def _deliberation(record: RoundRecord, lang: str, s: Styles) -> list[Flowable]:
    talk = record.deliberation
    story: list[Flowable] = [Paragraph(_x(text(lang, "record.section.deliberation")), s.h2)]
    if talk.prompts:
        prompts = separator(lang, "items").join(talk.prompts)
        story.append(Paragraph(_x(labelled(lang, text(lang, "record.prompts"), prompts)), s.body))
    if not talk.comments:
        story.append(Paragraph(_x(text(lang, "record.no_comments")), s.body))
    else:
        stances = ("support", "oppose", "neutral", "question")
        rows: list[list[Any]] = [
            [text(lang, "record.col.option")]
            + [label(lang, "stance", st) for st in stances]
            + [text(lang, "record.col.total")]
        ]
        for entry in talk.per_option:
            counts = [getattr(entry.counts, st) for st in stances]
            if entry.option is None and not sum(counts):
                continue
            name = entry.option if entry.option is not None else text(lang, "record.whole_round")
            rows.append([name, *counts, sum(counts)])
        story.append(Spacer(1, 3))
        story.append(_table(rows, s, [64 * mm] + [22 * mm] * 5))
        by_id = {c.id: c for c in talk.comments}
        notable = [by_id[i] for i in talk.notable if i in by_id]
        if notable:
            story.append(Paragraph(_x(text(lang, "record.notable")), s.h2))
        for c in notable:
            about = (
                text(lang, "record.about", option=c.option)
                if c.option
                else text(lang, "record.whole_round")
            )
            said = text(lang, "join.tagged", a=label(lang, "stance", c.stance), b=c.body)
            line = aside(lang, said, about)
            story.append(Paragraph(_x(line), s.body))
    if talk.hidden:
        story.append(Paragraph(_x(text(lang, "record.hidden", count=talk.hidden)), s.small))
    return story


def _turnout(record: RoundRecord, lang: str, s: Styles) -> list[Flowable]:
    t, d = record.turnout, record.dates
    rate = "—"
    if t.codes_issued:
        rate = f"{100 * t.ballots_cast / t.codes_issued:.1f}%"
    pairs = [
        (text(lang, "record.codes_issued"), "—" if t.codes_issued is None else str(t.codes_issued)),
        (text(lang, "record.codes_used"), "—" if t.codes_used is None else str(t.codes_used)),
        (text(lang, "record.codes_void"), "—" if t.codes_void is None else str(t.codes_void)),
        (text(lang, "record.ballots_cast"), str(t.ballots_cast)),
        (text(lang, "record.turnout_rate"), rate),
        (text(lang, "record.date.commenting"), moment(d.commenting_at, s.zone, lang)),
        (text(lang, "record.date.voting"), moment(d.voting_at, s.zone, lang)),
        (text(lang, "record.date.closed"), moment(d.closed_at, s.zone, lang)),
        (text(lang, "record.date.published"), moment(d.published_at, s.zone, lang)),
    ]
    # --- issue 16: ballots by channel, reconciliation, assistance, validity ---
    pairs += turnout_lines(record, lang) + validity_lines(record, lang)
    pairs += _proxy_pairs(record, lang)
    return [Paragraph(_x(text(lang, "record.section.turnout")), s.h2), _facts(pairs, s)]


def _proxy_pairs(record: RoundRecord, lang: str) -> list[tuple[str, str]]:
    """The proxies line of a household round: 委托代投 N 户（授权 M 份）."""
    t = record.turnout
    if t.proxies is UNSET or t.proxy_votes is UNSET:
        return []
    said = text(lang, "record.turnout.proxies", votes=t.proxy_votes, proxies=t.proxies)
    return [(text(lang, "record.turnout.proxies_label"), said)]


def _rules(record: RoundRecord, lang: str, s: Styles) -> list[Flowable]:
    c = record.counting
    method = f"{method_name(c.method, lang)} — {method_summary(c.method, lang)}"
    pairs = [
        (text(lang, "record.rules.kind"), label(lang, "kind", record.rules.kind)),
        (text(lang, "record.rules.method"), method),
        (text(lang, "record.rules.seats"), str(c.seats)),
    ]
    if record.rules.budget is not None:
        pairs.append((text(lang, "record.rules.budget"), yuan(record.rules.budget)))
    for name, value in counting_options(c.method, c.method_options).items():
        pairs.append((option_name(name, lang), option_value(name, value, lang)))
    pairs.append((text(lang, "record.rules.tie_policy"), label(lang, "tie_policy", c.tie_policy)))
    pairs += tie_break_pairs(record.result, lang)
    seed = seed_for(c, record.ballot_box_digest)
    if seed is not None:
        pairs.append((text(lang, "record.rules.seed"), seed))
    fixed = text(lang, "record.rules.fixed", time=moment(record.dates.voting_at, s.zone, lang))
    return [
        Paragraph(_x(text(lang, "record.section.rules")), s.h2),
        _facts(pairs, s),
        Paragraph(_x(fixed), s.small),
    ]


def tie_break_pairs(result: Result, lang: str) -> list[tuple[str, str]]:
    """The rules' lines of a count with a tie-break mode: the mode, and the order it
    followed (the configured order, or the permutation drawn at the start)."""
    stated = result.tie_break
    if isinstance(stated, UnsetType):
        return []
    pairs = [(text(lang, "record.ties.mode"), option_value("tie_break", stated.mode, lang))]
    if stated.order:
        key = "record.ties.permutation" if stated.mode == "permutation" else "record.ties.order"
        pairs.append((text(lang, key), listed(lang, stated.order)))
    return pairs


def answer_lines(result: Result, lang: str) -> list[str]:
    """Every answer the facilitator gave, as the record states it."""
    stated = result.tie_break
    if isinstance(stated, UnsetType):
        return []
    return [answer_words(a, lang) for a in stated.answers]


STEP_COLUMNS: Final = 6
"""At most this many counting steps side by side; a longer count takes several tables."""


def _count(record: RoundRecord, lang: str, s: Styles) -> list[Flowable]:
    result = record.result
    told = explain(result, lang)
    story: list[Flowable] = [Paragraph(_x(text(lang, "record.section.rounds")), s.h2)]
    if result.decisions:
        rows: list[list[Any]] = [
            [
                text(lang, "record.col.option"),
                text(lang, "support"),
                text(lang, "record.col.cost"),
                text(lang, "decision"),
            ]
        ]
        for d in result.decisions:
            reason = text(lang, f"reason.{d.reason}")
            rows.append([d.candidate, plain_number(d.support), yuan(d.cost), reason])
        story.append(_table(rows, s, [56 * mm, 26 * mm, 30 * mm, 62 * mm]))
    elif told.head_to_head is not None:
        story += _head_to_head(told.head_to_head, lang, s)
        story.append(Paragraph(_x(text(lang, "explain.heading.why")), s.h2))
        story += [Paragraph(_x(line), s.body) for line in told.reasons]
        return story
    elif told.steps:
        for start in range(0, len(told.steps), STEP_COLUMNS):
            chunk = told.steps[start : start + STEP_COLUMNS]
            story.append(KeepTogether([_steps_table(told, chunk, lang, s), Spacer(1, 4)]))
        legend = f"✓ {text(lang, 'elected')}　× {text(lang, 'eliminated')}"
        story.append(Paragraph(_x(legend), s.small))
        story.append(Paragraph(_x(text(lang, "explain.heading.steps")), s.h2))
        story += [
            Paragraph(f"<b>{_x(step.lead)}</b>{_x(step.story)}", s.body)
            for step in told.steps
            if step.story
        ]
    chart = count_chart(result, s.font, text(lang, "record.chart.title"))
    if chart is not None:
        story += [Spacer(1, 6), chart]
    return story


def _steps_table(told: Explanation, steps: Sequence[Step], lang: str, s: Styles) -> Table:
    """Some counting steps side by side: each option's votes, ✓ elected, × eliminated."""
    header, rows = step_grid(told, lang, steps, crossed="×")
    header[0] = text(lang, "record.col.option")
    first = 40 * mm
    rest = (174 * mm - first) / STEP_COLUMNS
    return _table([header, *rows], s, [first] + [rest] * len(steps))


def _head_to_head(table: HeadToHead, lang: str, s: Styles) -> list[Flowable]:
    """The head-to-head table, the winners' rows shaded, with how to read it."""
    extra = [table.score[0]] if table.score else []
    rows: list[list[Any]] = [[text(lang, "explain.pw.corner"), *table.names, *extra]]
    for i, name in enumerate(table.names):
        mark = " ✓" if name in table.winners else ""
        score = [table.score[1][i]] if table.score else []
        rows.append([name + mark, *table.cells[i], *score])
    first = 36 * mm
    rest = (174 * mm - first) / (len(table.names) + len(extra))
    grid = _table(rows, s, [first] + [rest] * (len(table.names) + len(extra)))
    shade = [
        ("BACKGROUND", (0, i), (-1, i), WON)
        for i, name in enumerate(table.names, start=1)
        if name in table.winners
    ]
    grid.setStyle(TableStyle(shade))
    return [
        Paragraph(_x(text(lang, "explain.heading.pairwise")), s.h2),
        Paragraph(_x(text(lang, "explain.pw.read")), s.small),
        Spacer(1, 3),
        grid,
    ]


def _outcome(record: RoundRecord, lang: str, s: Styles) -> list[Flowable]:
    result = record.result
    story: list[Flowable] = [Paragraph(_x(text(lang, "record.section.ties")), s.h2)]
    told = explain(result, lang)
    if not told.ties:
        story.append(Paragraph(_x(text(lang, "no_ties")), s.body))
    story += [Paragraph(_x(line), s.body) for line in told.ties]
    story += [Paragraph(_x(line), s.body) for line in answer_lines(result, lang)]
    if told.lot:
        story.append(Paragraph(_x(text(lang, "explain.heading.lot")), s.h2))
        story += [Paragraph(_x(line), s.small) for line in told.lot]
    key = "record.funded" if result.decisions else "record.winners"
    winners = outcome_words(result, lang, nobody=text(lang, "record.no_winner"))
    decided = [Paragraph(_x(text(lang, "record.section.result")), s.h2)]
    decided.append(Paragraph(f"<b>{_x(labelled(lang, text(lang, key), winners))}</b>", s.h2))
    if result.decisions:
        spent = sum(d.cost for d in result.decisions if d.funded)
        line = labelled(lang, text(lang, "record.total_cost"), yuan(spent))
        decided.append(Paragraph(_x(line), s.body))
    story.append(KeepTogether(decided))
    if record.comparison is not None:
        rows: list[list[Any]] = [[text(lang, "method"), text(lang, "winners")]]
        for v in record.comparison.verdicts:
            rows.append([method_name(v.method, lang), verdict_words(v, lang)])
        story.append(Paragraph(_x(text(lang, "record.section.comparison")), s.h2))
        story.append(_table(rows, s, [60 * mm, 114 * mm]))
        verdict = text(lang, "compare.agree" if record.comparison.agree else "compare.disagree")
        note = condorcet_note(record.comparison, result, lang)
        story.append(Paragraph(_x(f"{verdict} {note}".strip()), s.small))
    story.append(Paragraph(_x(text(lang, "record.box_digest")), s.h2))
    story.append(Paragraph(record.ballot_box_digest, s.digest))
    return story


def _closing(bundle: Bundle, lang: str, s: Styles) -> list[Flowable]:
    sign = [
        [text(lang, "record.sign.facilitator"), "", text(lang, "record.sign.date"), ""],
        [text(lang, "record.sign.secretary"), "", text(lang, "record.sign.date"), ""],
    ]
    if bundle.loop is not UNSET:  # the whole record is posted on the notice board
        sign.append([text(lang, "record.sign.posted"), "", text(lang, "record.sign.date"), ""])
    lines = Table(
        [[Paragraph(_x(c), s.body) for c in row] for row in sign],
        colWidths=[44 * mm, 66 * mm, 16 * mm, 40 * mm],
        rowHeights=[16 * mm] * len(sign),
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
    return [
        KeepTogether(
            [
                Paragraph(_x(text(lang, "record.section.digests")), s.h1),
                Paragraph(_x(text(lang, "record.package_digest")), s.h2),
                Paragraph(bundle.digest, s.digest),
                Spacer(1, 4),
                Paragraph(_x(text(lang, "record.verify_hint")), s.small),
                Paragraph(_x(text(lang, "record.signatures")), s.h1),
                lines,
            ]
        )
    ]
