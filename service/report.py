"""Plain-text reports of results and comparisons for the terminal (CJK-aware columns)."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from engine.compare import Comparison
from engine.registry import get_method
from engine.result import Result
from service.i18n import text
from service.records.labels import method_name


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
    return method_name(name, lang) if lang == "zh" else name


def number(value: float) -> str:
    """Whole numbers without decimals, others to at most five places."""
    if abs(value - round(value)) < 1e-9:
        return f"{round(value):,}"
    return f"{value:,.5f}".rstrip("0").rstrip(".")


def render_result(result: Result, lang: str) -> str:
    """The result as a readable report: summary, round-by-round table, ties."""
    info = get_method(result.method)
    summary = info.summary_zh if lang == "zh" else info.summary
    sep = "、" if lang == "zh" else ", "
    if result.decisions:
        spent = sum(d.cost for d in result.decisions if d.funded)
        size = f"{text(lang, 'spent')}: {number(spent)}"
        label = text(lang, "funded")
    else:
        size = f"{text(lang, 'seats')}: {result.options.get('seats', 1)}"
        label = text(lang, "winners")
    parts = [
        f"{text(lang, 'method')}: {_method(result.method, lang)} — {summary}",
        f"{text(lang, 'ballots')}: {result.ballots:,}    {size}",
        f"{label}: {sep.join(result.winners) or '—'}",
        "",
    ]
    if result.decisions:
        parts.append(_decisions(result, lang))
    elif result.rounds:
        parts.append(_rounds(result, lang))
    parts += ["", text(lang, "ties") + ":"]
    if not result.ties:
        parts.append("  " + text(lang, "no_ties"))
    for tie in result.ties:
        key = "tie_line" if tie.round is not None else "tie_line_final"
        parts.append(
            "  "
            + text(
                lang,
                key,
                round=tie.round,
                tied=sep.join(tie.tied),
                purpose=text(lang, f"purpose.{tie.purpose}"),
                rule=text(lang, f"rule.{tie.rule}"),
                chosen=sep.join(tie.chosen),
            )
        )
    if result.seed is not None:
        parts.append(f"  {text(lang, 'seed')}: {result.seed}")
    return "\n".join(parts)


def _rounds(result: Result, lang: str) -> str:
    shown = [c for c in result.candidates if any(c in r.tallies for r in result.rounds)]
    header = [text(lang, "candidate")] + [
        f"{text(lang, 'round')} {r.number}" for r in result.rounds
    ]
    rows: list[list[str]] = []
    for name in shown:
        row = [name]
        for rnd in result.rounds:
            cell = number(rnd.tallies[name]) if name in rnd.tallies else ""
            if name in rnd.elected:
                cell += " ✓"
            if name in rnd.eliminated:
                cell += " ✗"
            row.append(cell)
        rows.append(row)
    if any(r.exhausted for r in result.rounds):
        rows.append([text(lang, "exhausted"), *(number(r.exhausted) for r in result.rounds)])
    if any(r.quota is not None for r in result.rounds):
        rows.append(
            [
                text(lang, "quota"),
                *("" if r.quota is None else number(r.quota) for r in result.rounds),
            ]
        )
    legend = f"✓ {text(lang, 'elected')}   ✗ {text(lang, 'eliminated')}"
    return table(header, rows) + "\n" + legend


def _decisions(result: Result, lang: str) -> str:
    header = [
        text(lang, "candidate"),
        text(lang, "support"),
        text(lang, "cost"),
        text(lang, "decision"),
    ]
    rows = [
        [d.candidate, number(d.support), number(d.cost), text(lang, f"reason.{d.reason}")]
        for d in result.decisions
    ]
    return table(header, rows)


def render_comparison(comparison: Comparison, lang: str) -> str:
    """The comparison: one line per method, then whether they agree and why not."""
    sep = "、" if lang == "zh" else ", "
    rows = []
    for v in comparison.verdicts:
        shown = (
            sep.join(v.winners) if v.winners else text(lang, "compare.tied", names=sep.join(v.tied))
        )
        rows.append([_method(v.method, lang), shown])
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
        parts.append(text(lang, "compare.smith", names=sep.join(comparison.smith_set)))
    if comparison.condorcet_misses:
        misses = sep.join(_method(m, lang) for m in comparison.condorcet_misses)
        parts.append(text(lang, "compare.misses", names=misses))
    return "\n".join(parts)
