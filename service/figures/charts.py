"""The figures as SVG charts drawn on the server, for the street dashboard and the board:
meetings by month stacked by kind, requests collected and closed by month, the requests'
way (collected, on the spot, at meetings, escalated, closed), days to 销号 (median, 90th
percentile), and requests by community and in the busiest grids.

Each chart is an ``<svg role="img">`` with a title and a description of its own ids, every
bar carries its number as text and its own ``<title>``, and the series differ by pattern
(solid, hatched, dotted) as well as by colour, so nothing is told by colour alone; the
tables beside the charts hold the same numbers.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from markupsafe import Markup, escape

from service.db.street import MEETING_KINDS
from service.figures.schemas import Figures
from service.i18n import text
from service.records.labels import grouped_number

FONT: Final = "Noto Sans CJK SC, WenQuanYi Micro Hei, Microsoft YaHei, PingFang SC, sans-serif"
INK, MUTED, RULE = "#111111", "#4a4a4a", "#c8c8c8"
COLOURS: Final = ("#1f4e9c", "#b3261e", "#1b7f3b", "#8a5a00", "#5b3f8c")
FILLS: Final = ("solid", "hatch", "dots")
"""How the first, second and third series are filled (each in its own colour too)."""
WIDTH, SIZE = 960, 18
TOP_GRIDS: Final = 10


@dataclass(frozen=True, slots=True)
class Series:
    """A named series of a chart: its label and index (which fixes its colour and fill)."""

    label: str
    index: int


def text_width(label: str, size: float = SIZE) -> float:
    """Rough rendered width: wide (CJK) characters one em, others about half."""
    return sum(size if unicodedata.east_asian_width(ch) in "WF" else size * 0.58 for ch in label)


def _fill(chart: str, series: int) -> str:
    style = FILLS[series % len(FILLS)]
    return COLOURS[series % len(COLOURS)] if style == "solid" else f"url(#{chart}-{style}-{series})"


def _defs(chart: str, count: int) -> str:
    """The hatched and dotted patterns of the series ``0 .. count-1``."""
    out = []
    for i in range(count):
        colour, style = COLOURS[i % len(COLOURS)], FILLS[i % len(FILLS)]
        if style == "hatch":
            out.append(
                f'<pattern id="{chart}-hatch-{i}" width="8" height="8" '
                'patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
                f'<rect width="8" height="8" fill="#ffffff"/><rect width="4" height="8" '
                f'fill="{colour}"/></pattern>'
            )
        elif style == "dots":
            out.append(
                f'<pattern id="{chart}-dots-{i}" width="8" height="8" '
                'patternUnits="userSpaceOnUse"><rect width="8" height="8" fill="#ffffff"/>'
                f'<circle cx="4" cy="4" r="2.6" fill="{colour}"/></pattern>'
            )
    return f"<defs>{''.join(out)}</defs>"


def _open(chart: str, title: str, description: str, height: float, series: int) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height:.0f}" '
        f'width="100%" role="img" aria-labelledby="{chart}-title {chart}-desc" '
        f'class="chart" id="{chart}" font-family="{FONT}" font-size="{SIZE}">',
        f'<title id="{chart}-title">{escape(title)}</title>',
        f'<desc id="{chart}-desc">{escape(description)}</desc>',
        _defs(chart, series),
        f'<rect width="{WIDTH}" height="{height:.0f}" fill="#ffffff"/>',
        f'<text x="12" y="28" font-weight="bold" fill="{INK}">{escape(title)}</text>',
    ]


def _legend(chart: str, series: Sequence[Series], y: float) -> str:
    out, x = [], 12.0
    for s in series:
        out.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="22" height="22" fill="{_fill(chart, s.index)}" '
            f'stroke="{INK}" stroke-width="1"/>'
        )
        out.append(
            f'<text x="{x + 30:.1f}" y="{y + 16:.1f}" fill="{MUTED}">{escape(s.label)}</text>'
        )
        x += 30 + text_width(s.label) + 28
    return "".join(out)


def _bar(chart: str, series: int, x: float, y: float, w: float, h: float, said: str) -> str:
    return (
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 0):.1f}" height="{max(h, 0):.1f}" '
        f'fill="{_fill(chart, series)}" stroke="{INK}" stroke-width="1">'
        f"<title>{escape(said)}</title></rect>"
    )


def columns(
    chart: str,
    title: str,
    description: str,
    labels: Sequence[str],
    series: Sequence[Series],
    values: Sequence[Sequence[int]],
    *,
    stacked: bool,
) -> Markup:
    """Vertical bars, one group per label: ``values[s][i]`` is series ``s`` at label ``i``,
    stacked (with the total on top) or side by side (each with its number)."""
    height, top, foot = 420.0, 60.0, 90.0
    plot = height - top - foot
    slot = (WIDTH - 24) / max(1, len(labels))
    totals = [sum(v[i] for v in values) for i in range(len(labels))]
    largest = max([*(totals if stacked else [x for v in values for x in v]), 1])
    parts = _open(chart, title, description, height, len(series))
    base = top + plot
    parts.append(
        f'<line x1="12" y1="{base:.1f}" x2="{WIDTH - 12}" y2="{base:.1f}" stroke="{RULE}"/>'
    )
    for i, label in enumerate(labels):
        x0 = 12 + i * slot
        if stacked:
            w, y = slot * 0.6, base
            for s in series:
                h = plot * values[s.index][i] / largest
                y -= h
                said = f"{label} {s.label} {values[s.index][i]}"
                if values[s.index][i]:
                    parts.append(_bar(chart, s.index, x0 + slot * 0.2, y, w, h, said))
            parts.append(_number(x0 + slot / 2, y - 6, totals[i]))
        else:
            w = slot * 0.8 / max(1, len(series))
            for k, s in enumerate(series):
                v = values[s.index][i]
                h = plot * v / largest
                x = x0 + slot * 0.1 + k * w
                parts.append(_bar(chart, s.index, x, base - h, w, h, f"{label} {s.label} {v}"))
                parts.append(_number(x + w / 2, base - h - 6, v, size=SIZE * 0.8))
        parts.append(
            f'<text x="{x0 + slot / 2:.1f}" y="{base + 24:.1f}" text-anchor="middle" '
            f'fill="{INK}">{escape(label)}</text>'
        )
    parts.append(_legend(chart, series, height - 40))
    parts.append("</svg>")
    return Markup("".join(parts))  # every text above went through escape()


def _number(x: float, y: float, value: float, size: float = SIZE) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="middle" font-size="{size:.1f}" '
        f'fill="{INK}">{escape(grouped_number(value))}</text>'
    )


def rows(
    chart: str,
    title: str,
    description: str,
    lines: Sequence[tuple[str, Sequence[tuple[Series, float | None]]]],
    series: Sequence[Series],
    *,
    unit: str = "",
    empty: str = "",
) -> Markup:
    """Horizontal bars, one line per label, each with one bar per series and its number
    (``None``: no bar, ``—``); ``empty`` is said when there are no lines."""
    bar, gap = 26.0, 14.0
    line_h = bar * max(1, max((len(v) for _, v in lines), default=1)) + gap
    names_w = min(320.0, max([text_width(name) for name, _ in lines] + [60.0]) + 24)
    top = 52.0
    height = top + line_h * max(1, len(lines)) + (56 if len(series) > 1 else 16)
    largest = max([v or 0 for _, vals in lines for _, v in vals] + [1])
    longest = max((text_width(s.label) for s in series), default=0.0) if len(series) > 1 else 0
    room = WIDTH - names_w - 24 - text_width("00000" + unit) - longest - 8
    parts = _open(chart, title, description, height, max(s.index for s in series) + 1)
    if not lines:
        parts.append(f'<text x="12" y="{top + 24}" fill="{MUTED}">{escape(empty)}</text>')
    for r, (name, vals) in enumerate(lines):
        y = top + r * line_h
        parts.append(
            f'<text x="{names_w - 12:.1f}" y="{y + line_h / 2:.1f}" text-anchor="end" '
            f'dominant-baseline="middle" fill="{INK}">{escape(name)}</text>'
        )
        for k, (s, v) in enumerate(vals):
            by = y + k * bar + 2
            shown = "—" if v is None else grouped_number(v)
            w = 0.0 if v is None else room * v / largest
            if w > 0:
                said = f"{name} {s.label} {shown}{unit}"
                parts.append(_bar(chart, s.index, names_w, by, w, bar - 4, said))
            parts.append(
                f'<text x="{names_w + w + 6:.1f}" y="{by + bar / 2:.1f}" '
                f'dominant-baseline="middle" fill="{INK}">'
                f"{escape(shown + unit)}{escape(' ' + s.label) if len(vals) > 1 else ''}</text>"
            )
    if len(series) > 1:
        parts.append(_legend(chart, series, height - 36))
    parts.append("</svg>")
    return Markup("".join(parts))


def dashboard_charts(
    figures: Figures, kind_months: Sequence[Sequence[int]], lang: str
) -> dict[str, Markup]:
    """Every chart of the figures, by name: ``meetings`` (``kind_months[k][m]``: held
    meetings of kind ``k`` of :data:`MEETING_KINDS` in month ``m + 1``), ``requests``,
    ``funnel``, ``days``, ``communities``, ``grids``."""

    def t(key: str, **values: object) -> str:
        return text(lang, f"figures.{key}", **values)

    months = [t(f"month.{m}") for m in range(1, 13)]
    kinds = [Series(t(f"meetings.{k}"), i) for i, k in enumerate(MEETING_KINDS)]
    in_and_out = [Series(t("requests.collected"), 0), Series(t("requests.closed"), 1)]
    one = [Series(t("chart.count"), 0)]
    r = figures.requests
    funnel = [
        (t(f"requests.{key}"), [(one[0], float(getattr(r, key)))])
        for key in ("collected", "on_spot", "meeting", "escalated", "closed")
    ]
    days = figures.days_to_close
    day_lines = (
        [
            (t("days.median"), [(one[0], days.median)]),
            (t("days.p90"), [(one[0], days.p90)]),
        ]
        if days.count
        else []
    )
    busiest = sorted(
        (g for g in figures.by_grid if g.collected), key=lambda g: (-g.collected, -g.closed)
    )[:TOP_GRIDS]
    return {
        "meetings": columns(
            "chart-meetings",
            t("chart.meetings", year=figures.year),
            t("chart.meetings.desc"),
            months,
            kinds,
            kind_months,
            stacked=True,
        ),
        "requests": columns(
            "chart-requests",
            t("chart.requests", year=figures.year),
            t("chart.requests.desc"),
            months,
            in_and_out,
            [[m.collected for m in figures.by_month], [m.closed for m in figures.by_month]],
            stacked=False,
        ),
        "funnel": rows(
            "chart-funnel",
            t("chart.funnel", year=figures.year),
            t("chart.funnel.desc"),
            funnel,
            one,
        ),
        "days": rows(
            "chart-days",
            t("chart.days", year=figures.year),
            t("chart.days.desc", count=days.count),
            day_lines,
            one,
            unit=t("days.unit"),
            empty=t("days.none"),
        ),
        "communities": rows(
            "chart-communities",
            t("chart.communities", year=figures.year),
            t("chart.communities.desc"),
            [
                (
                    c.community,
                    [(in_and_out[0], float(c.collected)), (in_and_out[1], float(c.closed))],
                )
                for c in figures.by_community
            ],
            in_and_out,
        ),
        "grids": rows(
            "chart-grids",
            t("chart.grids", year=figures.year, count=TOP_GRIDS),
            t("chart.grids.desc"),
            [
                (
                    t("grid_of", community=g.community, grid=g.grid),
                    [(in_and_out[0], float(g.collected)), (in_and_out[1], float(g.closed))],
                )
                for g in busiest
            ],
            in_and_out,
            empty=t("chart.grids.none"),
        ),
    }
