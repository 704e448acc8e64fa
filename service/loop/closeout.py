"""The secretary's close-out (销号) of a process, with a sign-off note, and re-opening it
with a reason; both kept as a history and in the audit log.

Closing needs the process in ``feedback``: every task done or cancelled and at least one
satisfaction check recorded. Re-opening sends a closed process (or one in feedback) back to
``implementing``.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from engine.process import ProcessPhase
from service.audit import record
from service.auth.guard import Actor
from service.db import models
from service.errors import Conflict
from service.loop import schemas
from service.loop.feedback import open_tasks_conflict, process_feedback, unfinished
from service.loop.tasks import process_tasks
from service.processes.repository import change_phase, find_process
from service.processes.schemas import PhaseChange

P = ProcessPhase


def close_out_out(row: models.CloseOut) -> schemas.CloseOut:
    return schemas.CloseOut(id=row.id, action=row.action, note=row.note, actor=row.actor, at=row.at)


async def close_out(db: AsyncSession, process_id: int, note: str, actor: Actor) -> models.CloseOut:
    """Close the item (销号) with the secretary's sign-off note."""
    process = await find_process(db, process_id, lock=True)
    if process.phase != P.FEEDBACK.value:
        raise Conflict(
            "close-before-feedback",
            process_id=process_id,
            phase=process.phase,
            detail={"phase": process.phase},
        )
    tasks = await process_tasks(db, process_id)
    if unfinished(tasks):
        raise open_tasks_conflict(process_id, tasks, "close-out")
    if not await process_feedback(db, process_id):
        raise Conflict("no-feedback", process_id=process_id)
    await change_phase(db, actor, process_id, PhaseChange(to=ProcessPhase.CLOSED), sign_off=True)
    row = models.CloseOut(
        process_id=process_id,
        action="closed",
        note=note.strip(),
        actor_id=actor.id,
        actor=actor.name,
    )
    db.add(row)
    await db.flush()
    record(db, actor, "process.signed_off", "process", process_id, note=row.note)
    return row


async def reopen(db: AsyncSession, process_id: int, reason: str, actor: Actor) -> models.CloseOut:
    """Send a closed process (or one in feedback) back to implementation, with a reason."""
    process = await find_process(db, process_id, lock=True)
    if process.phase not in (P.CLOSED.value, P.FEEDBACK.value):
        raise Conflict(
            "not-closed",
            process_id=process_id,
            phase=process.phase,
            detail={"phase": process.phase},
        )
    await change_phase(
        db,
        actor,
        process_id,
        PhaseChange(to=ProcessPhase.IMPLEMENTING, reason=reason),
        sign_off=True,
    )
    row = models.CloseOut(
        process_id=process_id,
        action="reopened",
        note=reason.strip(),
        actor_id=actor.id,
        actor=actor.name,
    )
    db.add(row)
    await db.flush()
    record(db, actor, "process.reopened_with_reason", "process", process_id, reason=row.note)
    return row


async def close_outs(db: AsyncSession, process_id: int) -> list[models.CloseOut]:
    rows = await db.scalars(
        select(models.CloseOut)
        .where(models.CloseOut.process_id == process_id)
        .order_by(models.CloseOut.id)
    )
    return list(rows.all())
