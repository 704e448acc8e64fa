"""The facilitator's answer to a tie the count asks about (tie-break modes ``ask`` and
``later-round-then-ask``): the round page shows the question (``console/round_tie.html``)
and this form's answer is stored and the round counted again at once
(:func:`service.phases.answer_tie`). Only those who close rounds at the meeting answer."""

from __future__ import annotations

from typing import Any, TypeAlias

import msgspec
from litestar import Controller, post
from litestar.channels import ChannelsPlugin
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect

from engine.process import RoundPhase
from service.deps import DB, Caller
from service.errors import Conflict
from service.events import publish_after_commit
from service.phases import answer_tie
from service.records.labels import tie_question
from service.results.ties import answer_words
from service.rounds.settings import RoundOptions
from service.web.console import RUNS_MEETINGS
from service.web.forms import Form, Many, many
from service.web.render import redirect

Channels: TypeAlias = NamedDependency[ChannelsPlugin]


class TieAnswerForm(msgspec.Struct):
    """The tied options chosen (as many as the question asks)."""

    chosen: Many = []


class TiePagesController(Controller):
    path = "/console"
    tags = ["pages"]
    include_in_schema = False

    @post("/rounds/{round_id:int}/tie", opt=RUNS_MEETINGS)
    async def answer(
        self,
        db: DB,
        state: State,
        actor: Caller,
        channels: Channels,
        round_id: FromPath[int],
        data: Form[TieAnswerForm],
    ) -> Redirect:
        """Answer the waiting tie and count again: to the result, or back to the round
        page with the next question."""
        try:
            await answer_tie(db, round_id, many(data.chosen), actor, state.settings.secret_key)
        except Conflict as exc:
            if exc.key != "tie-question":
                raise
            return redirect(f"/console/rounds/{round_id}#tie")
        publish_after_commit(db, channels, round_id, "phase", phase=RoundPhase.CLOSED)
        return redirect(f"/console/rounds/{round_id}/reveal")


def tie_section(options: RoundOptions, lang: str) -> dict[str, Any]:
    """What the round page's tie section shows: the waiting question in words and every
    decision made so far."""
    question = options.tie_question
    return {
        "tie_question_words": "" if question is None else tie_question(question, lang),
        "tie_answer_lines": [answer_words(a, lang) for a in options.tie_answers],
    }
