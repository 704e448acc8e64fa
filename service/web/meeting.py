"""The facilitator's console, second part: running one round at the bench meeting — its
page laid out in the meeting's order (:mod:`service.web.round_layout`), changing its set-up
until voting opens, the comment phase with its prompts (comments recorded on a speaker's
behalf, with stance and option), opening and closing voting, and live turnout (codes issued
against ballots cast, never a result before the round is closed)."""

from __future__ import annotations

from typing import Any, TypeAlias

from litestar import Controller, Request, get, post
from litestar.channels import ChannelsPlugin
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from ballots.bundle import STANCES
from engine.process import RoundPhase, allowed
from service.comments import repository as comments
from service.comments.schemas import CommentHide
from service.deps import DB, Caller
from service.errors import Conflict, Invalid
from service.events import publish_after_commit
from service.phases import change_phase
from service.processes.repository import find_process, proposals_of
from service.records.labels import counting_options, method_summary
from service.rounds import repository as rounds
from service.rounds.config import TIE_POLICIES
from service.rounds.editing import update_round
from service.rounds.freeze import issues_before_freeze, pending_slate
from service.rounds.schemas import RoundCancel
from service.voting import assistance, codes, late
from service.voting.assistance import HELPER_KINDS
from service.voting.codes import OPEN_FOR_CODES
from service.voting.schemas import Turnout
from service.web.console import RUNS_MEETINGS, method_choices
from service.web.forms import (
    AssistanceForm,
    CancelForm,
    CommentForm,
    Form,
    HideForm,
    PhaseForm,
    ReceiptsForm,
    RoundEditForm,
)
from service.web.paper import paper_section
from service.web.quorum_view import quorum_section
from service.web.render import language_of, page, redirect
from service.web.roll_pages import proxy_section
from service.web.round_layout import FOLDED_COMMENTS, sections
from service.web.round_setup import current_values, slate_choices
from service.web.slips import slips_section
from service.web.tie_pages import tie_section

Channels: TypeAlias = NamedDependency[ChannelsPlugin]
NEXT_PHASE = {
    phase: tuple(p for p in allowed(phase) if p is not RoundPhase.CANCELLED) for phase in RoundPhase
}
"""The phase buttons the round page offers in each phase (cancelling has its own form)."""
MOVES = frozenset(p for phases in NEXT_PHASE.values() for p in phases)
"""The phases the round page moves a round to."""


class MeetingController(Controller):
    path = "/console"
    tags = ["pages"]
    include_in_schema = False

    @get("/rounds/{round_id:int}", opt=RUNS_MEETINGS)
    async def round_page(
        self, request: Request[Any, Any, Any], db: DB, round_id: FromPath[int]
    ) -> Template:
        """The round as the meeting goes, the section of the moment first: set-up (and
        its form until voting opens), prompts and comments, codes, turnout and voting."""
        round_row = await rounds.find_round(db, round_id)
        process = await find_process(db, round_row.process_id)
        lang = language_of(request)
        slate = await rounds.slate_out(db, round_row)
        editable = round_row.voting_at is None and round_row.phase is not RoundPhase.CANCELLED
        turnout = await codes.turnout(db, round_id)
        return page(
            request,
            "console/round.html",
            round=round_row,
            process=process,
            slate=slate,
            issues=await issues_before_freeze(db, round_row),
            stale_options=round_row.slate is None
            and any(p.status != "active" for p in await pending_slate(db, round_id)),
            method_summary=method_summary(round_row.method, lang),
            counting_rules=counting_options(round_row.method, round_row.options.own),
            comments=await comments.list_comments(db, round_id, threaded=False),
            summary=await comments.summary(db, round_id),
            stances=STANCES,
            turnout=turnout,
            **quorum_section(turnout, lang),
            late=late_rows(await late.late_report(db, round_id)),
            next_phases=NEXT_PHASE.get(round_row.phase, ()),
            codes_open=round_row.phase in OPEN_FOR_CODES,
            voided=request.query_params.get("voided") == "1",
            changed=request.query_params.get("changed") == "1",
            sections=sections(round_row.phase),
            comments_folded=round_row.phase in FOLDED_COMMENTS,
            editable=editable,
            values=current_values(round_row) if editable else {},
            choices=slate_choices(slate, await proposals_of(db, process.id)) if editable else [],
            methods=method_choices() if editable else [],
            tie_policies=TIE_POLICIES,
            **await slips_section(db, round_row),
            **await proxy_section(db, round_row),
            **await paper_section(db, round_row),
            **tie_section(round_row.options, lang),
        )

    @post("/rounds/{round_id:int}/settings", opt=RUNS_MEETINGS)
    async def change_settings(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        actor: Caller,
        round_id: FromPath[int],
        data: Form[RoundEditForm],
    ) -> Redirect:
        """Change the round's set-up with the same fields and checks as creating it, until
        voting opens (409 ``round-frozen`` after); audited with what changed."""
        current = await rounds.round_out(db, await rounds.find_round(db, round_id))
        change = data.to_update(current, await request.form())
        await update_round(db, round_id, change, actor)
        return redirect(f"/console/rounds/{round_id}?changed=1#setup")

    @post("/rounds/{round_id:int}/phase", opt=RUNS_MEETINGS)
    async def change_phase(
        self,
        db: DB,
        state: State,
        actor: Caller,
        channels: Channels,
        round_id: FromPath[int],
        data: Form[PhaseForm],
    ) -> Redirect:
        """Open the comment phase, open voting (freezes the round), close voting (counts
        it) or publish the result."""
        if data.to not in MOVES:
            raise Invalid("unknown-phase", field="to", to=data.to)
        try:
            row = await change_phase(
                db, round_id, RoundPhase(data.to), actor, state.settings.secret_key
            )
        except Conflict as exc:  # the count asks the facilitator: the question is on the page
            if exc.key != "tie-question":
                raise
            return redirect(f"/console/rounds/{round_id}#tie")
        publish_after_commit(db, channels, round_id, "phase", phase=row.phase)
        if row.phase is RoundPhase.CLOSED:
            return redirect(f"/console/rounds/{round_id}/reveal")
        return redirect(f"/console/rounds/{round_id}")

    @post("/rounds/{round_id:int}/receipts", opt=RUNS_MEETINGS)
    async def receipts(
        self, db: DB, actor: Caller, round_id: FromPath[int], data: Form[ReceiptsForm]
    ) -> Redirect:
        """Open or seal the round's receipts (until voting opens; 409 after)."""
        await update_round(db, round_id, data.to_update(), actor)
        return redirect(f"/console/rounds/{round_id}")

    @post("/rounds/{round_id:int}/cancel", opt=RUNS_MEETINGS)
    async def cancel_round(
        self,
        db: DB,
        actor: Caller,
        channels: Channels,
        round_id: FromPath[int],
        data: Form[CancelForm],
    ) -> Redirect:
        """Cancel a round set up by mistake, with a reason, before its voting opens."""
        reason = RoundCancel(reason=data.reason).reason
        row = await rounds.cancel_round(db, round_id, reason, actor)
        publish_after_commit(db, channels, round_id, "phase", phase=row.phase)
        return redirect(f"/console/processes/{row.process_id}#rounds-title")

    @post("/rounds/{round_id:int}/slate/tidy", opt=RUNS_MEETINGS)
    async def tidy_slate(self, db: DB, actor: Caller, round_id: FromPath[int]) -> Redirect:
        """Take withdrawn and merged options off the slate of a round not yet voting (they
        stop voting from opening), keeping the others in their order."""
        kept = [p.id for p in await pending_slate(db, round_id) if p.status == "active"]
        await rounds.replace_slate(db, round_id, kept, actor)
        return redirect(f"/console/rounds/{round_id}")

    @post("/rounds/{round_id:int}/comments", opt=RUNS_MEETINGS)
    async def add_comment(
        self, db: DB, actor: Caller, round_id: FromPath[int], data: Form[CommentForm]
    ) -> Redirect:
        await comments.add_comment(db, round_id, data.to_create(), actor)
        return redirect(f"/console/rounds/{round_id}#comments")

    @post("/comments/{comment_id:int}/hide", opt=RUNS_MEETINGS)
    async def hide_comment(
        self, db: DB, actor: Caller, comment_id: FromPath[int], data: Form[HideForm]
    ) -> Redirect:
        reason = CommentHide(reason=data.reason).reason
        comment = await comments.hide_comment(db, comment_id, reason, actor)
        return redirect(f"/console/rounds/{comment.round_id}#comments")

    @post("/rounds/{round_id:int}/assistance", opt=RUNS_MEETINGS)
    async def record_assistance(
        self, db: DB, actor: Caller, round_id: FromPath[int], data: Form[AssistanceForm]
    ) -> Redirect:
        """Count one assisted vote (the kind of helper only) while the round votes."""
        kinds = {k: k for k in HELPER_KINDS}
        if data.kind not in kinds:
            raise Invalid("assistance-kind", field="kind")
        await assistance.record_assistance(db, round_id, kinds[data.kind], actor)
        return redirect(f"/console/rounds/{round_id}?assisted=1#turnout")

    @get("/rounds/{round_id:int}/turnout", opt=RUNS_MEETINGS)
    async def turnout(self, db: DB, round_id: FromPath[int]) -> Turnout:
        """Codes issued and ballots cast so far (polled by the round page)."""
        return await codes.turnout(db, round_id)


LATE_REASONS = ("code-used", "code-void", "code-unknown", "household-voted", "round-not-open")
"""Reasons a kept ballot comes too late that the round page names in words; others are
shown as "other" with their error code."""


def late_rows(report: late.LateReport) -> dict[str, Any]:
    """The late-ballot report for the round page: total, tablets and one row per reason,
    most frequent first."""
    ordered = sorted(report.by_reason.items(), key=lambda item: (-item[1], item[0]))
    rows = [
        {"reason": reason, "label": reason if reason in LATE_REASONS else "other", "count": n}
        for reason, n in ordered
    ]
    return {"total": report.total, "tablets": report.tablets, "rows": rows}
