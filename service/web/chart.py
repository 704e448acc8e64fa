"""The result as a chart, drawn as SVG on the server from the engine's
:class:`~engine.result.Result`, big and plain enough to read on a TV across a courtyard.

Counts in steps (instant runoff, STV, Borda's one step) get one column per counting step
and one row per option, as :mod:`service.results.explain` tells them: each bar is the
option's votes at the step, the part it received at that step drawn in a second colour,
options green while elected and red at the step they are knocked out, with ✓ and ✗; a last
row holds the ballots with no further choice, those that ran out at the step in the second
colour. Pairwise methods have no chart (their head-to-head table is the explanation);
budget counts draw each project's support with its cost and whether it was funded. The
chart carries a title and a description; the table beside it holds the same numbers.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from markupsafe import Markup, escape

from engine.result import Result
from service.i18n import text
from service.records.labels import grouped_number, method_name
from service.results.explain import Explanation, explain

FONT = "Noto Sans CJK SC, WenQuanYi Micro Hei, Microsoft YaHei, PingFang SC, sans-serif"
INK, MUTED, GRID = "#111111", "#4a4a4a", "#c8c8c8"
KEPT, GAINED, ELECTED, ELIMINATED = "#1f4e9c", "#e08a00", "#1b7f3b", "#b3261e"
ROW, BAR, HEAD, SIZE = 52, 34, 56, 22
"""Row height, bar thickness, header height and label size, in SVG units (px at 1:1)."""
WIDTH = 1200


@dataclass(frozen=True, slots=True)
class Cell:
    """One bar: the part carried over, the part received in this column, and its mark."""

    kept: float
    gained: float = 0.0
    mark: str = ""  # "elected", "eliminated" or ""
    note: str = ""  # text after the number (a cost, say)


def text_width(label: str, size: float = SIZE) -> float:
    """Rough rendered width: wide (CJK) characters one em, others about half."""
    return sum(size if unicodedata.east_asian_width(ch) in "WF" else size * 0.58 for ch in label)


def fit(label: str, room: float, size: float = SIZE) -> str:
    """``label`` cut with an ellipsis to fit ``room``."""
    if text_width(label, size) <= room:
        return label
    while label and text_width(label + "…", size) > room:
        label = label[:-1]
    return label + "…"


def _bars(
    title: str,
    description: str,
    columns: Sequence[str],
    rows: Sequence[tuple[str, Sequence[Cell | None]]],
    legend: Sequence[tuple[str, str]],
    quota: Sequence[float | None] = (),
) -> Markup:
    names_w = min(300.0, max(text_width(name) for name, _ in rows) + 24) if rows else 120.0
    column_w = (WIDTH - names_w) / max(1, len(columns))
    top = 40 + HEAD
    height = top + ROW * len(rows) + 70
    largest = max(
        [c.kept + c.gained for _, cells in rows for c in cells if c is not None]
        + [q for q in quota if q is not None]
        + [1.0]
    )
    room = column_w - 16 - text_width("0000 ✓", SIZE * 0.9)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height:.0f}" '
        f'width="100%" role="img" aria-labelledby="chart-title chart-desc" class="chart" '
        f'font-family="{FONT}" font-size="{SIZE}">',
        f'<title id="chart-title">{escape(title)}</title>',
        f'<desc id="chart-desc">{escape(description)}</desc>',
        f'<rect width="{WIDTH}" height="{height:.0f}" fill="#ffffff"/>',
    ]
    for i, heading in enumerate(columns):
        x = names_w + i * column_w
        parts.append(
            f'<text x="{x + 8:.1f}" y="{40 + HEAD / 2:.1f}" font-weight="bold" fill="{INK}" '
            f'dominant-baseline="middle">{escape(fit(heading, column_w - 12))}</text>'
        )
        parts.append(
            f'<line x1="{x:.1f}" y1="40" x2="{x:.1f}" y2="{top + ROW * len(rows):.1f}" '
            f'stroke="{GRID}" stroke-width="1"/>'
        )
        limit = quota[i] if i < len(quota) else None
        if limit is not None:
            qx = x + 8 + room * limit / largest
            parts.append(
                f'<line x1="{qx:.1f}" y1="{top - 6}" x2="{qx:.1f}" '
                f'y2="{top + ROW * len(rows):.1f}" stroke="{INK}" stroke-dasharray="6 5"/>'
            )
    for r, (name, cells) in enumerate(rows):
        y = top + r * ROW
        parts.append(
            f'<text x="{names_w - 12:.1f}" y="{y + ROW / 2:.1f}" text-anchor="end" '
            f'dominant-baseline="middle" fill="{INK}">{escape(fit(name, names_w - 20))}</text>'
        )
        for i, cell in enumerate(cells):
            if cell is not None:
                parts.append(_cell(cell, names_w + i * column_w + 8, y, room, largest))
    parts.append(_legend(legend, top + ROW * len(rows) + 24))
    parts.append("</svg>")
    return Markup("".join(parts))  # every text above went through escape()


def _cell(cell: Cell, x: float, y: float, room: float, largest: float) -> str:
    kept_w = room * cell.kept / largest
    gained_w = room * cell.gained / largest
    top = y + (ROW - BAR) / 2
    colour = {"elected": ELECTED, "eliminated": ELIMINATED}.get(cell.mark, KEPT)
    out = [f'<rect x="{x:.1f}" y="{top:.1f}" width="{kept_w:.1f}" height="{BAR}" fill="{colour}"/>']
    if gained_w > 0:
        out.append(
            f'<rect x="{x + kept_w:.1f}" y="{top:.1f}" width="{gained_w:.1f}" height="{BAR}" '
            f'fill="{GAINED}"/>'
        )
    sign = {"elected": " ✓", "eliminated": " ✗"}.get(cell.mark, "")
    label = grouped_number(cell.kept + cell.gained) + sign + (f" {cell.note}" if cell.note else "")
    out.append(
        f'<text x="{x + kept_w + gained_w + 6:.1f}" y="{y + ROW / 2:.1f}" '
        f'dominant-baseline="middle" font-size="{SIZE * 0.9:.1f}" fill="{INK}">'
        f"{escape(label)}</text>"
    )
    return "".join(out)


def _legend(entries: Sequence[tuple[str, str]], y: float) -> str:
    out, x = [], 16.0
    for colour, label in entries:
        out.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="26" height="26" fill="{colour}"/>')
        out.append(
            f'<text x="{x + 34:.1f}" y="{y + 13:.1f}" dominant-baseline="middle" '
            f'fill="{MUTED}">{escape(label)}</text>'
        )
        x += 34 + text_width(label) + 36
    return "".join(out)


def _order(result: Result) -> list[str]:
    """Winners first, then the method's ranking, then everyone else in ballot order."""
    order = list(result.winners)
    for group in result.ranking or ():
        order += [name for name in group if name not in order]
    return order + [name for name in result.candidates if name not in order]


MARKS: Final = {"elected": "elected", "elected-before": "elected", "eliminated": "eliminated"}
"""The bar colour of each status at a step: green while elected, red when knocked out."""


def rounds_chart(result: Result, lang: str, explanation: Explanation | None = None) -> Markup:
    """One column per counting step (see the module docstring)."""
    steps = (explanation or explain(result, lang)).steps
    names = [n for n in _order(result) if any(n in r.tallies for r in result.rounds)]
    rows: list[tuple[str, list[Cell | None]]] = []
    for name in names:
        cells: list[Cell | None] = []
        for step in steps:
            found = [s for s in step.standings if s.name == name]
            if not found:
                cells.append(None)
                continue
            standing = found[0]
            gained = min(standing.received, standing.votes)
            mark = MARKS.get(standing.status, "")
            cells.append(Cell(kept=standing.votes - gained, gained=gained, mark=mark))
        rows.append((name, cells))
    if steps and steps[0].exhausted is not None:
        pile: list[Cell | None] = []
        for step in steps:
            held = step.exhausted
            if held is None:
                pile.append(None)
                continue
            gained = min(held.received, held.votes)
            pile.append(Cell(kept=held.votes - gained, gained=gained))
        rows.append((text(lang, "exhausted"), pile))
    description = text(lang, "page.chart.rounds", rounds=len(steps), ballots=result.ballots)
    if steps and steps[0].exhausted is not None:
        description += text(lang, "page.chart.exhausted_row")
    return _bars(
        text(lang, "page.chart.title", method=method_name(result.method, lang)),
        description,
        [step.column for step in steps],
        rows,
        _legend_entries(lang),
        quota=[r.quota for r in result.rounds],
    )


def scores_chart(result: Result, lang: str) -> Markup:
    """One bar per option: its score under the method (a method with scores only)."""
    scores = result.scores or {}
    rows: list[tuple[str, list[Cell | None]]] = [
        (name, [Cell(kept=scores[name], mark="elected" if name in result.winners else "")])
        for name in _order(result)
        if name in scores
    ]
    return _bars(
        text(lang, "page.chart.title", method=method_name(result.method, lang)),
        text(lang, "page.chart.scores", ballots=result.ballots),
        [text(lang, "score")],
        rows,
        [(KEPT, text(lang, "score")), (ELECTED, text(lang, "elected"))],
    )


def budget_chart(result: Result, lang: str) -> Markup:
    """One bar per project: its support, its cost, funded (green) or not."""
    rows: list[tuple[str, list[Cell | None]]] = [
        (
            d.candidate,
            [
                Cell(
                    kept=d.support,
                    mark="elected" if d.funded else "",
                    note=text(lang, "page.yuan", amount=grouped_number(d.cost)),
                )
            ],
        )
        for d in result.decisions
    ]
    return _bars(
        text(lang, "page.chart.title", method=method_name(result.method, lang)),
        text(lang, "page.chart.budget", ballots=result.ballots),
        [text(lang, "support")],
        rows,
        [(KEPT, text(lang, "page.chart.not_funded")), (ELECTED, text(lang, "funded"))],
    )


def _legend_entries(lang: str) -> list[tuple[str, str]]:
    return [
        (KEPT, text(lang, "page.chart.kept")),
        (GAINED, text(lang, "page.chart.gained")),
        (ELECTED, text(lang, "elected")),
        (ELIMINATED, text(lang, "eliminated")),
    ]


def result_chart(
    result: Result, lang: str, explanation: Explanation | None = None
) -> Markup | None:
    """The chart that fits the result, or ``None`` if it has nothing to draw: pairwise
    methods have none, their head-to-head table says it all."""
    if result.decisions:
        return budget_chart(result, lang)
    if result.rounds:
        return rounds_chart(result, lang, explanation)
    if result.scores and result.pairwise is None:
        return scores_chart(result, lang)
    return None
