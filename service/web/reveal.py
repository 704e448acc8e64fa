"""The result revealed: on the facilitator's TV once voting is closed, and on the public
board once it is published. Winners, the round-by-round table, the chart, every tie and
how it was broken in words, and whether the other methods agree — from the stored count,
with the same visibility rules as the API (nobody sees a result before the close)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import msgspec
from litestar import Controller, Request, get
from litestar.params import FromPath
from litestar.response import Template
from markupsafe import Markup
from sqlalchemy.ext.asyncio import AsyncSession

from engine.compare import Comparison
from engine.registry import get_method
from engine.result import Result
from service.auth.guard import STAFF, Actor, roles
from service.db.models import Process, Round, RoundResult
from service.deps import DB, Caller
from service.i18n import text
from service.records import labels
from service.report import number
from service.results.controllers import counted_round
from service.web.chart import result_chart
from service.web.render import language_of, page


def method_name(lang: str, method: str) -> str:
    """A method's name for people (``即时决选（IRV）``), or its registry name."""
    return labels.method_name(method, lang)


@dataclass(slots=True)
class ResultTable:
    """The numbers of the chart as a table: a header and rows of cells."""

    header: list[str]
    rows: list[list[str]] = field(default_factory=list)


@dataclass(slots=True)
class ResultView:
    """Everything the result screen shows, in the reader's language."""

    round: Round
    process: Process
    stored: RoundResult
    result: Result
    method: str
    summary: str
    winners: list[str]
    table: ResultTable
    chart: Markup | None
    ties: list[str]
    comparison: list[tuple[str, str]]
    verdict: str
    condorcet: str


def result_table(result: Result, lang: str) -> ResultTable:
    """Round by round (✓ elected, ✗ eliminated), or the budget decisions, or the scores."""
    if result.decisions:
        table = ResultTable([text(lang, k) for k in ("candidate", "support", "cost", "decision")])
        for d in result.decisions:
            cost = text(lang, "page.yuan", amount=number(d.cost))
            reason = text(lang, f"reason.{d.reason}")
            table.rows.append([d.candidate, number(d.support), cost, reason])
        return table
    if result.rounds:
        table = ResultTable(
            [text(lang, "candidate")] + [f"{text(lang, 'round')} {r.number}" for r in result.rounds]
        )
        for name in result.candidates:
            if not any(name in r.tallies for r in result.rounds):
                continue
            row = [name]
            for rnd in result.rounds:
                cell = number(rnd.tallies[name]) if name in rnd.tallies else ""
                cell += " ✓" if name in rnd.elected else ""
                cell += " ✗" if name in rnd.eliminated else ""
                row.append(cell)
            table.rows.append(row)
        if any(r.exhausted for r in result.rounds):
            table.rows.append(
                [text(lang, "exhausted"), *(number(r.exhausted) for r in result.rounds)]
            )
        if any(r.quota is not None for r in result.rounds):
            quota = ["" if r.quota is None else number(r.quota) for r in result.rounds]
            table.rows.append([text(lang, "quota"), *quota])
        return table
    table = ResultTable([text(lang, "candidate"), text(lang, "score")])
    for name, score in sorted((result.scores or {}).items(), key=lambda item: -item[1]):
        table.rows.append([name + (" ✓" if name in result.winners else ""), number(score)])
    return table


def tie_sentences(result: Result, lang: str) -> list[str]:
    """Every tie met while counting and how it was broken, in words."""
    sep = "、" if lang == "zh" else ", "
    lines = []
    for tie in result.ties:
        key = "tie_line" if tie.round is not None else "tie_line_final"
        lines.append(
            text(
                lang,
                key,
                round=tie.round,
                tied=sep.join(tie.tied),
                purpose=text(lang, f"purpose.{tie.purpose}"),
                rule=text(lang, f"rule.{tie.rule}"),
                chosen=sep.join(tie.chosen),
            )
        )
    return lines


def comparison_words(
    comparison: Comparison | None, lang: str
) -> tuple[list[tuple[str, str]], str, str]:
    """Each method's winners, a sentence saying whether they agree, and the Condorcet note."""
    if comparison is None:
        return [], "", ""
    sep = "、" if lang == "zh" else ", "
    rows = [
        (
            method_name(lang, v.method),
            sep.join(v.winners)
            if v.winners
            else text(lang, "compare.tied", names=sep.join(v.tied)),
        )
        for v in comparison.verdicts
    ]
    names = sep.join(name for name, _ in rows)
    if comparison.agree:
        verdict = text(
            lang, "page.compare.agree", methods=names, winners=rows[0][1] if rows else ""
        )
    else:
        verdict = text(lang, "page.compare.disagree")
    note = ""
    if comparison.condorcet_winner is not None:
        note = text(lang, "compare.condorcet", name=comparison.condorcet_winner)
        if comparison.condorcet_misses:
            misses = sep.join(method_name(lang, m) for m in comparison.condorcet_misses)
            note += " " + text(lang, "compare.misses", names=misses)
    elif comparison.smith_set:
        note = text(lang, "compare.no_condorcet")
    return rows, verdict, note


async def result_view(db: AsyncSession, round_id: int, actor: Actor, lang: str) -> ResultView:
    """The result screen of a round the caller may see (409 ``results-hidden`` otherwise)."""
    round_row, stored = await counted_round(db, round_id, actor)
    process = await db.get(Process, round_row.process_id)
    if process is None:  # a round always has its process (foreign key); keeps mypy honest
        raise LookupError(round_row.process_id)
    result = msgspec.json.decode(stored.result, type=Result)
    comparison = (
        None
        if stored.comparison is None
        else msgspec.json.decode(stored.comparison, type=Comparison)
    )
    info = get_method(result.method)
    rows, verdict, note = comparison_words(comparison, lang)
    return ResultView(
        round=round_row,
        process=process,
        stored=stored,
        result=result,
        method=method_name(lang, result.method),
        summary=info.summary_zh if lang == "zh" else info.summary,
        winners=list(result.winners),
        table=result_table(result, lang),
        chart=result_chart(result, lang),
        ties=tie_sentences(result, lang),
        comparison=rows,
        verdict=verdict,
        condorcet=note,
    )


class RevealController(Controller):
    path = "/console"
    tags = ["pages"]
    include_in_schema = False

    @get("/rounds/{round_id:int}/reveal", opt=roles(*STAFF))
    async def reveal(
        self, request: Request[Any, Any, Any], db: DB, actor: Caller, round_id: FromPath[int]
    ) -> Template:
        """The result for the TV, once voting is closed (a refusal page before)."""
        view = await result_view(db, round_id, actor, language_of(request))
        return page(request, "console/reveal.html", view=view, tv=True)
