"""Reading a process's loop for its record (:class:`ballots.bundle.LoopRecord`): the rounds
cancelled before voting, the tasks with their notes and the photos' descriptions, the
residents' feedback and the close-outs, each oldest first; and, for the printed record,
the photos themselves. Read in the request's transaction, like the rest of the bundle."""

from __future__ import annotations

from collections import defaultdict
from typing import cast

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ballots.bundle import (
    CancelledRound,
    CloseOutRecord,
    FeedbackRecord,
    LoopRecord,
    NoteRecord,
    PhotoRecord,
    TaskRecord,
    TaskStatus,
)
from engine.process import RoundPhase
from service.db import models
from service.loop.closeout import close_outs
from service.loop.tasks import process_tasks, task_notes


async def loop_record(db: AsyncSession, process: models.Process) -> LoopRecord:
    """The process's loop as it stands now."""
    cancelled = (
        await db.scalars(
            select(models.Round)
            .where(
                models.Round.process_id == process.id,
                models.Round.phase == RoundPhase.CANCELLED,
            )
            .order_by(models.Round.number)
        )
    ).all()
    feedback = (
        await db.scalars(
            select(models.Feedback)
            .where(models.Feedback.process_id == process.id)
            .order_by(models.Feedback.id)
        )
    ).all()
    return LoopRecord(
        phase=process.phase,
        closed_at=process.closed_at,
        cancelled_rounds=tuple(
            CancelledRound(
                number=r.number,
                title=r.title,
                reason=r.cancel_reason or "",
                cancelled_at=r.cancelled_at,
            )
            for r in cancelled
        ),
        tasks=await _tasks(db, process.id),
        feedback=tuple(
            FeedbackRecord(
                channel="board" if f.channel == "board" else "bench",
                held_on=f.held_on,
                satisfied=f.satisfied,
                fairly_satisfied=f.fairly_satisfied,
                dissatisfied=f.dissatisfied,
                note=f.note,
            )
            for f in feedback
        ),
        close_outs=tuple(
            CloseOutRecord(
                action="reopened" if c.action == "reopened" else "closed",
                note=c.note,
                actor=c.actor,
                at=c.at,
            )
            for c in await close_outs(db, process.id)
        ),
    )


async def _tasks(db: AsyncSession, process_id: int) -> tuple[TaskRecord, ...]:
    tasks = await process_tasks(db, process_id)
    notes = await task_notes(db, [t.id for t in tasks])
    photos: dict[int, list[PhotoRecord]] = defaultdict(list)
    rows = await db.execute(
        select(
            models.TaskPhoto.note_id,
            models.TaskPhoto.sha256,
            models.TaskPhoto.filename,
            models.TaskPhoto.content_type,
            models.TaskPhoto.size,
        )
        .where(models.TaskPhoto.note_id.in_([n.id for n in notes]))
        .order_by(models.TaskPhoto.id)
    )
    for note_id, sha256, filename, content_type, size in rows:
        photos[note_id].append(
            PhotoRecord(sha256=sha256, filename=filename, content_type=content_type, size=size)
        )
    by_task: dict[int, list[NoteRecord]] = defaultdict(list)
    for n in notes:
        by_task[n.task_id].append(
            NoteRecord(
                at=n.created_at,
                author=n.author,
                body=n.body,
                status=cast(TaskStatus | None, n.status),
                progress=n.progress,
                photos=tuple(photos[n.id]),
            )
        )
    options = {
        p.id: p.title
        for p in (
            await db.scalars(
                select(models.Proposal).where(
                    models.Proposal.id.in_([t.proposal_id for t in tasks if t.proposal_id])
                )
            )
        ).all()
    }
    return tuple(
        TaskRecord(
            title=t.title,
            option=options.get(t.proposal_id) if t.proposal_id is not None else None,
            owner=t.owner,
            due_on=t.due_on,
            description=t.description,
            status=cast(TaskStatus, t.status),
            progress=t.progress,
            created_at=t.created_at,
            done_at=t.done_at,
            notes=tuple(by_task[t.id]),
        )
        for t in tasks
    )


async def loop_photos(db: AsyncSession, process_id: int) -> dict[str, bytes]:
    """The bytes of every photo of the process's task notes, by SHA-256 (for the PDF)."""
    rows = await db.execute(
        select(models.TaskPhoto.sha256, models.TaskPhoto.data)
        .join(models.TaskNote, models.TaskNote.id == models.TaskPhoto.note_id)
        .join(models.Task, models.Task.id == models.TaskNote.task_id)
        .where(models.Task.process_id == process_id)
        .order_by(models.TaskPhoto.id)
    )
    return {sha256: bytes(data) for sha256, data in rows}
