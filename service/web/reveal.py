"""The result revealed: on the facilitator's TV once voting is closed, and on the public
board once it is published. Winners; the count step by step (chart, table and a sentence
per step) or the head-to-head table with why the winner wins; every tie and how it was
broken in words; and whether the other methods agree — from the stored count
(:mod:`service.results.explain`), with the same visibility rules as the API (nobody sees a
result before the close)."""

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
from engine.result import Option, Result
from service.auth.guard import STAFF, Actor, roles
from service.db.models import Process, Round, RoundResult
from service.deps import DB, Caller
from service.i18n import text
from service.processes.repository import find_process
from service.records.labels import (
    grouped_number,
    listed,
    method_name,
    method_summary,
    rules_words,
)
from service.results.controllers import counted_round
from service.results.explain import (
    Explanation,
    condorcet_note,
    explain,
    step_grid,
    undecided_words,
    verdict_words,
)
from service.results.validity import round_validity
from service.results.validity import verdict_words as validity_words
from service.web.chart import result_chart
from service.web.render import language_of, page


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
    no_decision: str
    """Why nothing was decided (``无结果：没有有效选票……``), or empty when decided."""
    table: ResultTable
    chart: Markup | None
    explanation: Explanation
    comparison: list[tuple[str, str]]
    verdict: str
    condorcet: str
    validity: str = ""
    """Whether the decision is valid under the round's rule, and why not (empty: no rule)."""
    valid: bool = True
    rules: str = ""
    """The counting rules it was counted under, in one line (名额：1；批量淘汰：……)."""


def result_table(result: Result, lang: str, explanation: Explanation | None = None) -> ResultTable:
    """Step by step (✓ elected, ✗ eliminated), or the budget decisions, or the scores."""
    if result.decisions:
        table = ResultTable([text(lang, k) for k in ("candidate", "support", "cost", "decision")])
        for d in result.decisions:
            cost = text(lang, "page.yuan", amount=grouped_number(d.cost))
            reason = text(lang, f"reason.{d.reason}")
            table.rows.append([d.candidate, grouped_number(d.support), cost, reason])
        return table
    told = explanation or explain(result, lang)
    if told.steps:
        header, rows = step_grid(told, lang)
        return ResultTable(header, rows)
    table = ResultTable([text(lang, "candidate"), text(lang, "score")])
    for name, score in sorted((result.scores or {}).items(), key=lambda item: -item[1]):
        table.rows.append([name + (" ✓" if name in result.winners else ""), grouped_number(score)])
    return table


def comparison_words(
    comparison: Comparison | None, lang: str, result: Result | None = None
) -> tuple[list[tuple[str, str]], str, str]:
    """Each method's winners, a sentence saying whether they agree, and the Condorcet note
    (telling a tie from a cycle when ``result`` carries the head-to-head counts)."""
    if comparison is None:
        return [], "", ""
    rows = [(method_name(v.method, lang), verdict_words(v, lang)) for v in comparison.verdicts]
    names = listed(lang, (name for name, _ in rows))
    if comparison.agree:
        verdict = text(
            lang, "page.compare.agree", methods=names, winners=rows[0][1] if rows else ""
        )
    else:
        verdict = text(lang, "page.compare.disagree")
    return rows, verdict, condorcet_note(comparison, result, lang)


def counted_with(result: Result) -> dict[str, Option]:
    """The options a result was counted with, as the page says them: without the seats of
    a budget count (the money decides how many projects are funded)."""
    budget = bool(result.decisions)
    return {k: v for k, v in result.options.items() if not (budget and k == "seats")}


async def result_view(db: AsyncSession, round_id: int, actor: Actor, lang: str) -> ResultView:
    """The result screen of a round the caller may see (409 ``results-hidden`` otherwise)."""
    round_row, stored = await counted_round(db, round_id, actor)
    process = await find_process(db, round_row.process_id)
    result = msgspec.json.decode(stored.result, type=Result)
    comparison = (
        None
        if stored.comparison is None
        else msgspec.json.decode(stored.comparison, type=Comparison)
    )
    rows, verdict, note = comparison_words(comparison, lang, result)
    explanation = explain(result, lang)
    judged = None if round_row.validity is None else await round_validity(db, round_row, result)
    return ResultView(
        round=round_row,
        process=process,
        stored=stored,
        result=result,
        method=method_name(result.method, lang),
        summary=method_summary(result.method, lang),
        winners=list(result.winners),
        no_decision=undecided_words(result, lang) or "",
        table=result_table(result, lang, explanation),
        chart=result_chart(result, lang, explanation),
        explanation=explanation,
        comparison=rows,
        verdict=verdict,
        condorcet=note,
        validity="" if judged is None else validity_words(judged.rule, judged.verdict, lang),
        valid=judged is None or judged.verdict.valid,
        rules=rules_words(result.method, counted_with(result), lang),
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
