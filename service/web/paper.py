"""The console's paper-ballot pages: printing ballots (a PDF with fresh serials), the clerks'
entry form with the serials in progress (never another clerk's entry), and the mismatches
side by side for a third person to decide, with a reason. The pages call what the API calls
(:mod:`service.paper`)."""

from __future__ import annotations

from typing import Any, Final, get_args

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ballots.paper import Mark
from engine.process import RoundPhase
from service.auth.guard import ANONYMOUS, STAFF, roles
from service.db.models import Round
from service.deps import DB, Caller
from service.errors import Invalid
from service.paper.adjudication import mismatches
from service.paper.controllers import ADJUDICATORS, PRINTS, ballots_download, decide, enter
from service.paper.schemas import Adjudication, EntryIn, SerialState
from service.paper.settling import REFUSALS, UNREAD
from service.paper.summary import paper_summary
from service.processes.repository import find_process
from service.rounds.repository import find_round
from service.rounds.settings import ballot_rules
from service.web.forms import Form, Many, many, whole
from service.web.render import language_of, page, redirect

CLERK_PAGES: Final = roles(*STAFF)
DECIDES: Final = roles(*ADJUDICATORS)
PRINTS_PAGES: Final = roles(*PRINTS)
VERDICT_WORDS: Final = ("ballot", "spoiled", "blank")
OUTCOME_STATES: Final = frozenset(get_args(SerialState))
"""States an entry's outcome may name (``console.paper.outcome.*``)."""
OUTCOME_REASONS: Final = REFUSALS | {UNREAD}
"""Reasons an outcome may give (``console.paper.reason.*``)."""


def outcome_shown(serial: str | None, state: str | None, reason: str | None) -> dict[str, Any]:
    """What the entry form says about the entry just keyed, from the redirect's query: only
    a serial number, a known state and a known reason, so that a crafted link never makes
    the page look up a message that does not exist (nothing is said then)."""
    if not serial or not serial.isdigit() or len(serial) > 9 or state not in OUTCOME_STATES:
        return {"done": None, "state": None, "reason": None}
    return {
        "done": serial,
        "state": state,
        "reason": reason if reason in OUTCOME_REASONS else None,
    }


class EntryForm(msgspec.Struct):
    """A paper ballot as a clerk keys it: serial, code, verdict, one box per option (a
    rank number) or ticked options (approval)."""

    serial: str = ""
    code: str = ""
    verdict: str = "ballot"
    mark: Many = []
    tick: Many = []


class DecisionForm(EntryForm):
    """A third person's decision: ``choose`` 1, 2 or ``corrected`` (with the corrected
    entry in the entry fields) and the reason."""

    choose: str = ""
    reason: str = ""


def marks_of(form: EntryForm, kind: str, options: int) -> list[Mark]:
    """The form's marks, one per option in the slate's order."""
    if kind == "approval":
        ticked = set(many(form.tick))
        return [1 if str(n) in ticked else None for n in range(options)]
    typed = many(form.mark)
    if len(typed) != options:
        raise Invalid("paper-marks-count", field="mark", got=len(typed), want=options)
    return [whole(value, "mark", least=1, most=99) for value in typed]


def entry_of(form: EntryForm, round_row: Round) -> EntryIn:
    serial = whole(form.serial, "serial", least=1, most=999_999)
    if serial is None:
        raise Invalid("paper-serial-unknown", field="serial", serial=form.serial.strip() or "—")
    verdict = form.verdict if form.verdict in VERDICT_WORDS else "ballot"
    rules = ballot_rules(round_row)
    marks = marks_of(form, rules.kind, len(rules.candidates)) if verdict == "ballot" else []
    return msgspec.convert(
        {"serial": serial, "code": form.code, "verdict": verdict, "marks": marks}, EntryIn
    )


async def round_of(state: State, round_id: int) -> Round:
    """The round, read in a short session of its own: keying and deciding run their own
    transactions, and on SQLite a request's open transaction would hold them back."""
    maker: async_sessionmaker[AsyncSession] = state.sessionmaker
    async with maker() as db:
        return await find_round(db, round_id)


async def paper_section(db: AsyncSession, round_row: Round) -> dict[str, Any]:
    """The round page's paper-ballot counts (``paper``: ``None`` outside voting)."""
    if round_row.phase is not RoundPhase.VOTING or round_row.ballot_kind not in (
        "ranked",
        "approval",
    ):
        return {"paper": None}
    return {"paper": await paper_summary(db, round_row.id, ANONYMOUS)}


class PaperPagesController(Controller):
    path = "/console/rounds"
    tags = ["pages"]
    include_in_schema = False

    @get("/{round_id:int}/paper-ballots.pdf", opt=PRINTS_PAGES)
    async def pdf(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        actor: Caller,
        round_id: FromPath[int],
        size: FromQuery[str] = "A5",
        count: FromQuery[str] = "10",
    ) -> Response[bytes]:
        """A printing of paper ballots (the next serials), as the API makes it."""
        number = whole(count, "count", least=1, most=500) or 10
        return await ballots_download(db, round_id, size, number, actor, language_of(request))

    @get("/{round_id:int}/paper", opt=CLERK_PAGES)
    async def entry_page(
        self, request: Request[Any, Any, Any], db: DB, actor: Caller, round_id: FromPath[int]
    ) -> Template:
        """The clerks' entry form and the serials in progress (states only)."""
        round_row = await find_round(db, round_id)
        process = await find_process(db, round_row.process_id)
        query = request.query_params
        return page(
            request,
            "console/paper.html",
            round=round_row,
            process=process,
            options=[o.name for o in round_row.slate or []],
            kind=round_row.ballot_kind,
            summary=await paper_summary(db, round_id, actor),
            **outcome_shown(query.get("serial"), query.get("state"), query.get("reason")),
            voting=round_row.phase is RoundPhase.VOTING,
            decides=actor.role in ADJUDICATORS,
        )

    @post("/{round_id:int}/paper", opt=CLERK_PAGES)
    async def key(
        self, state: State, actor: Caller, round_id: FromPath[int], data: Form[EntryForm]
    ) -> Redirect:
        """Key an entry; back to the form with what became of the serial."""
        entry = entry_of(data, await round_of(state, round_id))
        outcome = await enter(state, round_id, entry, actor)
        reason = f"&reason={outcome.reason}" if outcome.reason else ""
        return redirect(
            f"/console/rounds/{round_id}/paper?serial={outcome.serial}&state={outcome.state}"
            f"{reason}#entry-outcome"
        )

    @get("/{round_id:int}/paper/mismatches", opt=DECIDES)
    async def mismatches_page(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        state: State,
        actor: Caller,
        round_id: FromPath[int],
    ) -> Template:
        """Serials whose entries differ, side by side, each with the decision form."""
        round_row = await find_round(db, round_id)
        found = await mismatches(db, round_id, state.settings.secret_key, actor)
        query = request.query_params
        return page(
            request,
            "console/paper_mismatches.html",
            round=round_row,
            kind=round_row.ballot_kind,
            mismatches=found.mismatches,
            done=query.get("serial"),
            state=query.get("state"),
        )

    @post("/{round_id:int}/paper/mismatches", opt=DECIDES)
    async def decide(
        self,
        state: State,
        actor: Caller,
        round_id: FromPath[int],
        data: Form[DecisionForm],
    ) -> Redirect:
        """Decide one serial (entry 1, entry 2 or a corrected entry) with a reason."""
        round_row = await round_of(state, round_id)
        serial = whole(data.serial, "serial", least=1, most=999_999) or 0
        choose: Any = data.choose if data.choose == "corrected" else whole(data.choose, "choose")
        corrected = entry_of(data, round_row) if choose == "corrected" else None
        decision = msgspec.convert(
            {"serial": serial, "choose": choose, "reason": data.reason, "entry": corrected},
            Adjudication,
            from_attributes=True,
        )
        outcome = await decide(state, round_id, decision, actor)
        return redirect(
            f"/console/rounds/{round_id}/paper/mismatches?serial={outcome.serial}"
            f"&state={outcome.state}#decided"
        )
