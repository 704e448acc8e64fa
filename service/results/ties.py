"""A tie the count asks the facilitator to decide (tie-break modes ``ask`` and
``later-round-then-ask``): the question kept with the round while it waits, closed without
a result, and the facilitator's answer, kept with the round's options for every count
after it (:func:`service.phases.answer_tie` stores it and counts the round again)."""

from __future__ import annotations

from collections.abc import Sequence

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from engine.errors import TieUnresolved
from engine.process import RoundPhase
from engine.result import TieAnswer
from service.audit import record
from service.auth.guard import Actor
from service.errors import Conflict, Invalid
from service.i18n import text
from service.records.labels import listed
from service.rounds.repository import find_round
from service.rounds.settings import TieQuestion


def question_of(tie: TieUnresolved) -> TieQuestion:
    """The question an asking tie puts to the facilitator."""
    return TieQuestion(
        round=tie.round, purpose=str(tie.purpose), tied=list(tie.tied), count=tie.count
    )


async def keep_question(db: AsyncSession, round_id: int, tie: TieUnresolved, actor: Actor) -> None:
    """Keep the tie the count stopped at with the round (closed, without a result), audited
    as ``round.tie-asked``."""
    round_row = await find_round(db, round_id, for_update=True)
    question = question_of(tie)
    round_row.options = msgspec.structs.replace(round_row.options, tie_question=question)
    record(
        db,
        actor,
        "round.tie-asked",
        "round",
        round_id,
        count_round=question.round,
        purpose=question.purpose,
        tied=list(question.tied),
        choose=question.count,
    )


async def store_answer(
    db: AsyncSession, round_id: int, chosen: Sequence[str], actor: Actor
) -> TieAnswer:
    """The facilitator's answer to the round's waiting tie: ``chosen`` (the question's count
    of its tied) kept with the round's answers and the question cleared, audited as
    ``round.tie-answered``; 409 ``no-tie-question`` when none waits, 422
    ``tie-answer-choice`` for a choice that is not among the tied."""
    round_row = await find_round(db, round_id, for_update=True)
    options = round_row.options
    question = options.tie_question
    if round_row.phase is not RoundPhase.CLOSED or question is None:
        raise Conflict("no-tie-question", round_id=round_id)
    picked = tuple(dict.fromkeys(chosen))
    if len(picked) != question.count or not set(picked) <= set(question.tied):
        raise Invalid(
            "tie-answer-choice", field="chosen", tied=list(question.tied), count=question.count
        )
    answer = TieAnswer(
        round=question.round, purpose=question.purpose, tied=tuple(question.tied), chosen=picked
    )
    round_row.options = msgspec.structs.replace(
        options, tie_answers=[*options.tie_answers, answer], tie_question=None
    )
    record(
        db,
        actor,
        "round.tie-answered",
        "round",
        round_id,
        count_round=answer.round,
        purpose=answer.purpose,
        tied=list(answer.tied),
        chosen=list(picked),
    )
    return answer


def answer_words(answer: TieAnswer, lang: str) -> str:
    """``第3轮淘汰平局：张三、李四 并列，由主持人决定淘汰李四``."""
    return text(
        lang,
        "record.ties.answer",
        round=answer.round if answer.round is not None else "-",
        purpose=text(lang, f"purpose.{answer.purpose}"),
        tied=listed(lang, answer.tied),
        chosen=listed(lang, answer.chosen),
    )
