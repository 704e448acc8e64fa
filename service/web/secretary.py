"""The branch secretary's pages (支部书记): every community's processes starting from what
each decided, with their tasks, feedback and close-out, overdue tasks first; a process page
that says what was decided and which decided options still need a task, to set tasks (each
carrying out a decided option, or the item as a whole) and update them, note progress with
photos, moderate residents' feedback from the board, record satisfaction checks, close the
item (销号) or re-open it; and downloads of every export of the decision record. Ballots
appear only as exported records: no page links a ballot to a person, because nothing stored
does."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from engine.process import ProcessPhase, RoundPhase
from service.auth.guard import roles
from service.auth.scope import reachable_communities
from service.db import models
from service.deps import DB, Caller
from service.errors import Invalid
from service.loop import closeout, feedback, photos, residents, tasks
from service.loop.board import loop_view
from service.loop.decision import Decision, decision_of
from service.loop.photos import UPLOAD_LIMIT
from service.loop.schemas import Loop
from service.processes.repository import process_overview, processes_by_community
from service.records.controllers import (
    export_process,
    file_response,
    print_slips,
    round_download,
)
from service.records.exports import FORMATS, ExportFormat
from service.voting.schemas import CodesCreate
from service.web.digits import whole_number
from service.web.forms import Form, whole
from service.web.render import language_of, page, redirect
from service.web.secretary_forms import (
    CloseOutForm,
    FeedbackForm,
    NoteForm,
    RejectForm,
    ReopenForm,
    SlipsForm,
    TaskChangeForm,
    TaskForm,
    Upload,
)

SECRETARY = roles("secretary", "admin")
SLIP_PRINTERS = roles("admin")
"""Code slips are the facilitator's and the admin's (as in the records API); of the two,
only the admin reaches these pages."""
COUNTED = (RoundPhase.CLOSED, RoundPhase.PUBLISHED)
TASK_PHASES = (ProcessPhase.DECIDED, ProcessPhase.IMPLEMENTING)
P = ProcessPhase
DECIDED = (P.DECIDED, P.IMPLEMENTING, P.FEEDBACK, P.CLOSED)
"""Phases in which a process has a decision to carry out (or carried out)."""


@dataclass(frozen=True, slots=True)
class RoundDownloads:
    """A round and the exports that fit its ballot kind (none before it is counted)."""

    round: models.Round
    formats: list[ExportFormat]
    slips: bool


def round_downloads(round_row: models.Round, may_print: bool) -> RoundDownloads:
    counted = round_row.phase in COUNTED
    fitting = [
        f for f in FORMATS.values() if counted and (not f.kinds or round_row.ballot_kind in f.kinds)
    ]
    slips = may_print and round_row.phase is RoundPhase.VOTING
    return RoundDownloads(round=round_row, formats=fitting, slips=slips)


@dataclass(frozen=True, slots=True)
class DeskLine:
    """A process on the desk: where its loop stands, what it decided (once decided) and how
    many residents' feedbacks wait for moderation."""

    process: models.Process
    loop: Loop
    decision: Decision | None
    pending: int


async def community_loops(
    db: DB, reach: set[int] | None
) -> list[tuple[models.Community, list[DeskLine]]]:
    """Every community in ``reach`` (``None``: all) with its processes (newest first): where
    each stands, starting from what it decided."""
    waiting = await residents.pending_counts(db)
    return [
        (
            community,
            [
                DeskLine(
                    process=p,
                    loop=await loop_view(db, p.id),
                    decision=await decision_of(db, p.id) if p.phase in DECIDED else None,
                    pending=waiting.get(p.id, 0),
                )
                for p in processes
            ],
        )
        for community, processes in await processes_by_community(db, reach)
    ]


class SecretaryController(Controller):
    path = "/secretary"
    tags = ["pages"]
    include_in_schema = False

    @get("/", opt=SECRETARY)
    async def home(self, request: Request[Any, Any, Any], db: DB, actor: Caller) -> Template:
        """Overdue tasks and residents' feedback waiting first, then each community's
        processes, each from its decision to its close-out (the communities the caller
        reaches)."""
        reach = await reachable_communities(db, actor)
        communities = await community_loops(db, reach)
        return page(
            request,
            "secretary/home.html",
            overdue=await tasks.overdue_tasks(db, reach=reach),
            waiting=[line for _, lines in communities for line in lines if line.pending],
            communities=communities,
        )

    @get("/processes/{process_id:int}", opt=SECRETARY)
    async def process(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        actor: Caller,
        process_id: FromPath[int],
        option: FromQuery[str] = "",
    ) -> Template:
        """A process from its decision: the decided options and their tasks, the loop with
        its forms, residents' feedback to moderate, and the downloads. ``?option=`` picks a
        decided option in the new task's form."""
        overview = await process_overview(db, process_id)
        process = overview.process
        downloads = [round_downloads(r, actor.role == "admin") for r in overview.rounds]
        counted = any(d.formats for d in downloads)
        return page(
            request,
            "secretary/process.html",
            process=process,
            community=overview.community,
            decision=await decision_of(db, process_id) if process.phase in DECIDED else None,
            chosen=whole_number(option),
            pending=await residents.of_process(db, process_id),
            moderated=await residents.of_process(db, process_id, ("approved", "rejected")),
            standing=await loop_view(db, process_id),
            downloads=downloads,
            process_formats=[f for f in FORMATS.values() if f.process] if counted else [],
            takes_tasks=process.phase in TASK_PHASES,
            takes_feedback=process.phase in (P.IMPLEMENTING.value, P.FEEDBACK.value),
            closable=process.phase in (P.IMPLEMENTING.value, P.FEEDBACK.value),
            reopenable=process.phase in (P.FEEDBACK.value, P.CLOSED.value),
        )

    @post("/processes/{process_id:int}/tasks", opt=SECRETARY)
    async def add_task(
        self, db: DB, actor: Caller, process_id: FromPath[int], data: Form[TaskForm]
    ) -> Redirect:
        task = await tasks.create_task(db, process_id, data.to_create(), actor)
        return redirect(f"/secretary/processes/{process_id}#task-{task.id}")

    @post("/tasks/{task_id:int}", opt=SECRETARY)
    async def change_task(
        self, db: DB, actor: Caller, task_id: FromPath[int], data: Form[TaskChangeForm]
    ) -> Redirect:
        task = await tasks.update_task(db, task_id, data.to_update(), actor)
        return redirect(f"/secretary/processes/{task.process_id}#task-{task.id}")

    @post("/tasks/{task_id:int}/notes", opt=SECRETARY, request_max_body_size=UPLOAD_LIMIT)
    async def add_note(
        self, db: DB, actor: Caller, task_id: FromPath[int], data: Upload[NoteForm]
    ) -> Redirect:
        """A progress note, and its photos in the same form: the photos are checked and
        shrunk before anything is written, and a refused one stores nothing, not even the
        note (what was typed comes back on the form: ``static/forms.js``)."""
        create = data.to_create()
        files = [(upload.filename or "", await upload.read()) for upload in data.files()]
        shrunk = await photos.shrunk_photos(files) if files else []
        note = await tasks.add_note(db, task_id, create, actor)
        if shrunk:
            await photos.add_photos(db, note, shrunk, actor)
        task = await tasks.find_task(db, task_id)
        return redirect(f"/secretary/processes/{task.process_id}#task-{task_id}")

    @post("/processes/{process_id:int}/feedback", opt=SECRETARY)
    async def add_feedback(
        self, db: DB, actor: Caller, process_id: FromPath[int], data: Form[FeedbackForm]
    ) -> Redirect:
        await feedback.record_feedback(db, process_id, data.to_create(), actor)
        return redirect(f"/secretary/processes/{process_id}#feedback")

    @post("/resident-feedback/{feedback_id:int}/approve", opt=SECRETARY)
    async def approve_resident_feedback(
        self, db: DB, actor: Caller, feedback_id: FromPath[int]
    ) -> Redirect:
        """Show a resident's feedback on the board and count it into the board's check."""
        row = await residents.approve(db, feedback_id, actor)
        return redirect(f"/secretary/processes/{row.process_id}#residents")

    @post("/resident-feedback/{feedback_id:int}/reject", opt=SECRETARY)
    async def reject_resident_feedback(
        self, db: DB, actor: Caller, feedback_id: FromPath[int], data: Form[RejectForm]
    ) -> Redirect:
        """Keep a resident's feedback off the board, with the reason."""
        row = await residents.reject(db, feedback_id, data.to_rejection().reason, actor)
        return redirect(f"/secretary/processes/{row.process_id}#residents")

    @post("/processes/{process_id:int}/close-out", opt=SECRETARY)
    async def close_out(
        self, db: DB, actor: Caller, process_id: FromPath[int], data: Form[CloseOutForm]
    ) -> Redirect:
        await closeout.close_out(db, process_id, data.to_create().note, actor)
        return redirect(f"/secretary/processes/{process_id}#close-out")

    @post("/processes/{process_id:int}/reopen", opt=SECRETARY)
    async def reopen(
        self, db: DB, actor: Caller, process_id: FromPath[int], data: Form[ReopenForm]
    ) -> Redirect:
        await closeout.reopen(db, process_id, data.to_reopen().reason, actor)
        return redirect(f"/secretary/processes/{process_id}#close-out")

    @get("/rounds/{round_id:int}/exports/{fmt:str}", opt=SECRETARY)
    async def round_export(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        actor: Caller,
        state: State,
        round_id: FromPath[int],
        fmt: FromPath[str],
    ) -> Response[Any]:
        """One export of a counted round, in the page's language (audited); the files that
        carry its ballots are sent as its box is read."""
        return await round_download(db, state, round_id, fmt, actor, language_of(request))

    @get("/processes/{process_id:int}/exports/{fmt:str}", opt=SECRETARY)
    async def process_export(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        actor: Caller,
        process_id: FromPath[int],
        fmt: FromPath[str],
    ) -> Response[bytes]:
        """The record of every counted round of the process (audited)."""
        exported = await export_process(db, process_id, fmt, actor, language_of(request))
        return file_response(exported)

    @post("/rounds/{round_id:int}/code-slips", opt=SLIP_PRINTERS, status_code=200)
    async def code_slips(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        state: State,
        actor: Caller,
        round_id: FromPath[int],
        data: Form[SlipsForm],
    ) -> Response[bytes]:
        """Issue codes for a round in voting and send their slips as a PDF (the only copy)."""
        count = whole(data.count, "count", least=1, most=5000)
        if count is None:
            raise Invalid("code-count-required", field="count")
        key = state.settings.secret_key
        base = state.settings.public_base(str(request.base_url))
        wanted = CodesCreate(count=count)
        made = await print_slips(db, round_id, wanted, key, actor, language_of(request), base)
        return file_response(made)  # no-store, as every page (service.headers)
