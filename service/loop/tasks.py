"""Implementation tasks (落实) of a decided process: setting them, changing their plan,
progress notes that move their status, reading them back, and the overdue list.

The first task of a ``decided`` process moves it to ``implementing``. Tasks are added and
noted while the process is implementing; a process in ``feedback`` or ``closed`` must be
sent back (re-opened with a reason) first.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from functools import partial

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from engine.process import ProcessPhase
from service.audit import record
from service.auth.guard import Actor
from service.communities.controllers import zone_of_process
from service.db import models
from service.db.base import utcnow
from service.errors import Conflict, Invalid, NotFound
from service.i18n import text
from service.loop import schemas
from service.loop.decision import decision_of
from service.loop.photos import photo_out
from service.processes.repository import change_phase, find_process
from service.processes.schemas import PhaseChange
from service.records.labels import listed
from service.zones import latest_today, today

P = ProcessPhase


def refuse_unless_implementing(process: models.Process, doing: str) -> None:
    """409 unless the process is decided or implementing, saying what to do instead;
    ``doing`` names the work (``doing.<doing>`` in the catalogue)."""
    if process.phase in (P.DECIDED.value, P.IMPLEMENTING.value):
        return
    if process.phase in (P.FEEDBACK.value, P.CLOSED.value):
        raise Conflict(
            "process-not-implementing",
            id=process.id,
            phase=process.phase,
            doing=partial(text, key=f"doing.{doing}"),
            detail={"phase": process.phase},
        )
    raise Conflict(
        "process-not-decided", id=process.id, phase=process.phase, detail={"phase": process.phase}
    )


async def find_task(db: AsyncSession, task_id: int) -> models.Task:
    task = await db.get(models.Task, task_id)
    if task is None:
        raise NotFound("no-task", task_id=task_id)
    return task


async def create_task(
    db: AsyncSession, process_id: int, data: schemas.TaskCreate, actor: Actor
) -> models.Task:
    """A new task; the process moves from decided to implementing with its first one."""
    process = await find_process(db, process_id, lock=True)
    refuse_unless_implementing(process, "add-tasks")
    if data.proposal_id is not None:
        proposal = await db.get(models.Proposal, data.proposal_id)
        if proposal is None or proposal.process_id != process_id:
            raise Invalid(
                "task-proposal-elsewhere",
                field="proposal_id",
                proposal_id=data.proposal_id,
                process_id=process_id,
            )
        decision = await decision_of(db, process_id)
        if not decision.allows(proposal.id):
            raise Invalid(
                "task-option-not-decided",
                field="proposal_id",
                option=proposal.title,
                decided=partial(_decided_names, [o.name for o in decision.options]),
                detail={"decided": [o.proposal_id for o in decision.options]},
            )
    if process.phase == P.DECIDED.value:
        await change_phase(db, actor, process_id, PhaseChange(to=ProcessPhase.IMPLEMENTING))
    task = models.Task(
        process_id=process_id,
        proposal_id=data.proposal_id,
        title=data.title.strip(),
        description=data.description,
        owner=data.owner.strip(),
        due_on=data.due_on,
        created_by=actor.id,
    )
    db.add(task)
    await db.flush()
    record(
        db,
        actor,
        "task.created",
        "task",
        task.id,
        process_id=process_id,
        owner=task.owner,
        due_on=task.due_on.isoformat(),
    )
    return task


async def update_task(
    db: AsyncSession, task_id: int, data: schemas.TaskUpdate, actor: Actor
) -> models.Task:
    """Change a task's title, owner, due date or description."""
    task = await find_task(db, task_id)
    refuse_unless_implementing(await find_process(db, task.process_id), "change-tasks")
    changed: dict[str, str] = {}
    for field in ("title", "owner", "due_on", "description"):
        value = getattr(data, field)
        if value is not None and value != getattr(task, field):
            setattr(task, field, value.strip() if isinstance(value, str) else value)
            changed[field] = value.isoformat() if isinstance(value, date) else str(value)
    record(db, actor, "task.updated", "task", task_id, changed=changed)
    return task


async def add_note(
    db: AsyncSession, task_id: int, data: schemas.NoteCreate, actor: Actor
) -> models.TaskNote:
    """A progress note; it moves the task's status and progress when it says so."""
    task = await find_task(db, task_id)
    refuse_unless_implementing(await find_process(db, task.process_id), "note-progress")
    status, progress = data.status, data.progress
    if status == "done":
        progress = 100
    elif status is None and progress is not None and task.status == "planned" and progress > 0:
        status = "in_progress"
    if progress == 100 and status is None and task.status != "done":
        status = "done"
    if status is not None and status != task.status:
        task.done_at = utcnow() if status == "done" else None
        task.status = status
    if progress is not None:
        task.progress = progress
    note = models.TaskNote(
        task_id=task_id,
        body=data.body.strip(),
        status=status,
        progress=progress,
        author_id=actor.id,
        author=actor.name,
    )
    db.add(note)
    await db.flush()
    record(
        db, actor, "task.noted", "task", task_id, note_id=note.id, status=status, progress=progress
    )
    return note


async def find_note(db: AsyncSession, note_id: int) -> models.TaskNote:
    note = await db.get(models.TaskNote, note_id)
    if note is None:
        raise NotFound("no-task-note", note_id=note_id)
    return note


async def tasks_out(
    db: AsyncSession, tasks: Sequence[models.Task], on: date | None = None
) -> list[schemas.Task]:
    """Tasks with their notes and photo descriptions (no image bytes are read); overdue
    as of ``on``, or of today in each task's community."""
    days = {
        pid: on or today(await zone_of_process(db, pid)) for pid in {t.process_id for t in tasks}
    }
    notes = await task_notes(db, [t.id for t in tasks])
    note_ids = [n.id for n in notes]
    photo_rows = (
        await db.execute(
            select(
                models.TaskPhoto.id,
                models.TaskPhoto.note_id,
                models.TaskPhoto.content_type,
                models.TaskPhoto.size,
                models.TaskPhoto.sha256,
                models.TaskPhoto.filename,
                models.TaskPhoto.created_at,
            )
            .where(models.TaskPhoto.note_id.in_(note_ids))
            .order_by(models.TaskPhoto.id)
        )
    ).all()
    photos: dict[int, list[schemas.Photo]] = defaultdict(list)
    for row in photo_rows:
        photos[row.note_id].append(photo_out(row))
    options = await option_names(db, [t.proposal_id for t in tasks if t.proposal_id is not None])
    by_task: dict[int, list[schemas.Note]] = defaultdict(list)
    for n in notes:
        by_task[n.task_id].append(
            schemas.Note(
                id=n.id,
                task_id=n.task_id,
                body=n.body,
                status=n.status,
                progress=n.progress,
                author=n.author,
                created_at=n.created_at,
                photos=photos[n.id],
            )
        )
    return [
        schemas.Task(
            id=t.id,
            process_id=t.process_id,
            proposal_id=t.proposal_id,
            option=options.get(t.proposal_id) if t.proposal_id is not None else None,
            title=t.title,
            description=t.description,
            owner=t.owner,
            due_on=t.due_on,
            status=t.status,
            progress=t.progress,
            overdue=is_overdue(t, days[t.process_id]),
            created_at=t.created_at,
            done_at=t.done_at,
            notes=by_task[t.id],
        )
        for t in tasks
    ]


def _decided_names(names: Sequence[str], lang: str) -> str:
    """The decided options by name for a refusal (``无``/``none`` when there are none)."""
    return listed(lang, names) or text(lang, "task.no-decided-options")


async def option_names(db: AsyncSession, proposal_ids: Sequence[int]) -> dict[int, str]:
    """The names of the options these tasks carry out, by proposal id."""
    if not proposal_ids:
        return {}
    rows = await db.execute(
        select(models.Proposal.id, models.Proposal.title).where(
            models.Proposal.id.in_(set(proposal_ids))
        )
    )
    return {int(pid): str(title) for pid, title in rows}


def is_overdue(task: models.Task, on: date) -> bool:
    """An open (planned or in progress) task whose due date has passed."""
    return task.status in schemas.OPEN_STATUSES and task.due_on < on


async def process_tasks(db: AsyncSession, process_id: int) -> list[models.Task]:
    rows = await db.scalars(
        select(models.Task).where(models.Task.process_id == process_id).order_by(models.Task.id)
    )
    return list(rows.all())


async def task_notes(db: AsyncSession, task_ids: Sequence[int]) -> list[models.TaskNote]:
    """The progress notes of these tasks, in the order they were written."""
    rows = await db.scalars(
        select(models.TaskNote)
        .where(models.TaskNote.task_id.in_(task_ids))
        .order_by(models.TaskNote.id)
    )
    return list(rows.all())


async def overdue_tasks(
    db: AsyncSession,
    community_id: int | None = None,
    on: date | None = None,
    reach: set[int] | None = None,
) -> list[schemas.OverdueTask]:
    """Open tasks past their due date (in one community, or everywhere: every community in
    ``reach`` unless it is ``None``), most overdue first; as of ``on``, or of today in each
    task's community."""
    query = (
        select(models.Task, models.Process, models.Community.time_zone)
        .join(models.Process, models.Process.id == models.Task.process_id)
        .join(models.Community, models.Community.id == models.Process.community_id)
        .where(
            models.Task.status.in_(schemas.OPEN_STATUSES),
            models.Task.due_on < (on or latest_today()),
        )
        .order_by(models.Task.due_on, models.Task.id)
    )
    if community_id is not None:
        query = query.where(models.Process.community_id == community_id)
    if reach is not None:
        query = query.where(models.Process.community_id.in_(sorted(reach)))
    rows = (await db.execute(query)).all()
    days = {zone_name: on or today(zone_name) for zone_name in {row[2] for row in rows}}
    return [
        schemas.OverdueTask(
            id=task.id,
            title=task.title,
            owner=task.owner,
            due_on=task.due_on,
            days_overdue=(days[zone_name] - task.due_on).days,
            status=task.status,
            progress=task.progress,
            process_id=process.id,
            process_title=process.title,
            community_id=process.community_id,
        )
        for task, process, zone_name in rows
        if task.due_on < days[zone_name]
    ]
