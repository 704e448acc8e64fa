"""Plain-text reports of results and comparisons for the terminal (CJK-aware columns)."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from engine.compare import Comparison
from engine.result import Result
from service.i18n import text
from service.records.labels import grouped_number, listed, method_name, method_summary
from service.results.explain import (
    explain,
    outcome_words,
    step_grid,
    undecided_words,
    verdict_words,
)


def width(cell: str) -> int:
    """Display width: wide (CJK) characters take two columns."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in cell)


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A left-aligned text table with a rule under the header."""
    cols = [header, *rows]
    widths = [max(width(r[i]) for r in cols) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        padded = (c + " " * (w - width(c)) for c, w in zip(cells, widths, strict=True))
        return "  ".join(padded).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(r) for r in rows)])


def _method(name: str, lang: str) -> str:
    """A method by its Chinese name in Chinese; in English by the name ``--method`` takes."""
    return text(lang, "cli.method", name=method_name(name, lang), code=name)


def render_result(result: Result, lang: str) -> str:
    """The result as a readable report: summary, round-by-round table, ties; or, when
    nothing was decided, the reason in place of the winners."""
    summary = method_summary(result.method, lang)
    if result.decisions:
        spent = sum(d.cost for d in result.decisions if d.funded)
        size = f"{text(lang, 'spent')}: {grouped_number(spent)}"
        label = text(lang, "funded")
    else:
        size = f"{text(lang, 'seats')}: {result.options.get('seats', 1)}"
        label = text(lang, "winners")
    parts = [
        f"{text(lang, 'method')}: {_method(result.method, lang)} — {summary}",
        f"{text(lang, 'ballots')}: {result.ballots:,}    {size}",
    ]
    undecided = undecided_words(result, lang)
    if undecided is not None:
        return "\n".join([*parts, undecided])
    parts += [f"{label}: {outcome_words(result, lang)}", ""]
    told = explain(result, lang)
    if result.decisions:
        parts.append(_decisions(result, lang))
    elif told.steps:
        header, rows = step_grid(told, lang)
        legend = f"✓ {text(lang, 'elected')}   ✗ {text(lang, 'eliminated')}"
        parts += [table(header, rows), legend, ""]
        parts += [step.lead + step.story for step in told.steps if step.story]
    elif told.head_to_head is not None:
        h = told.head_to_head
        header = [text(lang, "explain.pw.corner"), *h.names]
        parts += [table(header, [[n, *h.cells[i]] for i, n in enumerate(h.names)]), ""]
        parts += list(told.reasons)
    parts += ["", text(lang, "ties") + ":"]
    if not told.ties:
        parts.append("  " + text(lang, "no_ties"))
    parts += ["  " + line for line in (*told.ties, *told.lot)]
    if result.seed is not None:
        parts.append(f"  {text(lang, 'seed')}: {result.seed}")
    return "\n".join(parts)


def _decisions(result: Result, lang: str) -> str:
    header = [
        text(lang, "candidate"),
        text(lang, "support"),
        text(lang, "cost"),
        text(lang, "decision"),
    ]
    rows = [
        [
            d.candidate,
            grouped_number(d.support),
            grouped_number(d.cost),
            text(lang, f"reason.{d.reason}"),
        ]
        for d in result.decisions
    ]
    return table(header, rows)


def render_comparison(comparison: Comparison, lang: str) -> str:
    """The comparison: one line per method, then whether they agree and why not."""
    rows = [[_method(v.method, lang), verdict_words(v, lang)] for v in comparison.verdicts]
    parts = [
        f"{text(lang, 'compare.title')} ({text(lang, 'ballots')}: {comparison.ballots:,})",
        "",
        table([text(lang, "method"), text(lang, "winners")], rows),
        "",
        text(lang, "compare.agree" if comparison.agree else "compare.disagree"),
    ]
    if comparison.smith_set:
        if comparison.condorcet_winner is not None:
            parts.append(text(lang, "compare.condorcet", name=comparison.condorcet_winner))
        else:
            parts.append(text(lang, "compare.no_condorcet"))
        parts.append(text(lang, "compare.smith", names=listed(lang, comparison.smith_set)))
    if comparison.condorcet_misses:
        misses = listed(lang, [_method(m, lang) for m in comparison.condorcet_misses])
        parts.append(text(lang, "compare.misses", names=misses))
    return "\n".join(parts)
