"""Residents' feedback (反馈) on an implemented decision: satisfaction checks taken at a later
bench meeting or collected on the board. Residents' own feedback given on the board page is
moderated and counted into a check of the board channel in :mod:`service.loop.residents`.

The first check is taken once every task is done (or cancelled): it moves the process from
``implementing`` to ``feedback``. More checks may follow until the item is closed.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from engine.process import ProcessPhase
from service.audit import record
from service.auth.guard import Actor
from service.db import models
from service.errors import Conflict
from service.i18n import text
from service.loop import schemas
from service.loop.tasks import process_tasks
from service.processes.repository import change_phase, find_process
from service.processes.schemas import PhaseChange

P = ProcessPhase


def open_tasks_conflict(
    process_id: int, tasks: Sequence[models.Task], doing: Literal["close-out", "feedback"]
) -> Conflict:
    """409 naming the tasks still open (or saying there are none at all) before ``doing``
    (``doing.*`` in the catalogue)."""
    what = partial(text, key=f"doing.{doing}")
    if not tasks:
        return Conflict("no-tasks", process_id=process_id, doing=what)
    still = [(t.id, t.title, t.status) for t in tasks if t.status in schemas.OPEN_STATUSES]
    return Conflict(
        "tasks-open",
        count=len(still),
        tasks=partial(_named, still),
        doing=what,
        detail={"tasks": [task_id for task_id, _, _ in still]},
    )


def _named(tasks: Sequence[tuple[int, str, str]], lang: str) -> str:
    """Tasks by name, one after another (``task.named``, joined as ``join.items``)."""
    named = (text(lang, "task.named", id=i, title=title, status=st) for i, title, st in tasks)
    return text(lang, "join.items", a="", b="").join(named)


def unfinished(tasks: Sequence[models.Task]) -> bool:
    """No task at all, or some task still planned or in progress."""
    return not tasks or any(t.status in schemas.OPEN_STATUSES for t in tasks)


def feedback_out(row: models.Feedback) -> schemas.Feedback:
    total = row.satisfied + row.fairly_satisfied + row.dissatisfied
    return schemas.Feedback(
        id=row.id,
        process_id=row.process_id,
        channel=row.channel,
        held_on=row.held_on,
        satisfied=row.satisfied,
        fairly_satisfied=row.fairly_satisfied,
        dissatisfied=row.dissatisfied,
        total=total,
        satisfaction=round((row.satisfied + row.fairly_satisfied) / total, 4) if total else 0.0,
        note=row.note,
        created_at=row.created_at,
        from_residents=row.from_residents,
    )


async def record_feedback(
    db: AsyncSession, process_id: int, data: schemas.FeedbackCreate, actor: Actor
) -> models.Feedback:
    """Store a satisfaction check; the first one after the work is done opens ``feedback``."""
    process = await find_process(db, process_id, lock=True)
    if process.phase == P.IMPLEMENTING.value:
        tasks = await process_tasks(db, process_id)
        if unfinished(tasks):
            raise open_tasks_conflict(process_id, tasks, "feedback")
        await change_phase(db, actor, process_id, PhaseChange(to=ProcessPhase.FEEDBACK))
    elif process.phase != P.FEEDBACK.value:
        raise Conflict(
            "feedback-not-now",
            process_id=process_id,
            phase=process.phase,
            detail={"phase": process.phase},
        )
    row = models.Feedback(
        process_id=process_id,
        channel=data.channel,
        held_on=data.held_on,
        satisfied=data.satisfied,
        fairly_satisfied=data.fairly_satisfied,
        dissatisfied=data.dissatisfied,
        note=data.note.strip(),
        recorded_by=actor.id,
    )
    db.add(row)
    await db.flush()
    record(
        db,
        actor,
        "feedback.recorded",
        "process",
        process_id,
        feedback_id=row.id,
        channel=data.channel,
        satisfied=data.satisfied,
        fairly_satisfied=data.fairly_satisfied,
        dissatisfied=data.dissatisfied,
    )
    return row


async def process_feedback(db: AsyncSession, process_id: int) -> list[models.Feedback]:
    rows = await db.scalars(
        select(models.Feedback)
        .where(models.Feedback.process_id == process_id)
        .order_by(models.Feedback.held_on, models.Feedback.id)
    )
    return list(rows.all())
