"""Residents' own feedback on the board (居民反馈): given on the board page without an account,
moderated by the secretary, then shown and counted.

A resident says whether they are satisfied, fairly satisfied or dissatisfied with how the
decision is being carried out (or was), with an optional short text and household label.
It is stored as *pending*: nothing of it shows anywhere public. The secretary approves it —
its text then shows on the board (never the household) and its verdict is counted into the
board channel's satisfaction check — or rejects it with a reason, and it never shows.

The approved verdicts of a process are counted into one running check of the board channel
(``Feedback.from_residents``), started by the first approval and kept up by the later ones,
so the secretary's page, the board and the decision record count them by channel with every
other check. A close-out or a re-opening starts a new running check: satisfaction after the
swings were mended is not added to satisfaction before. Counting never moves the process's
phase — the secretary's own check does (:mod:`service.loop.feedback`).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from engine.process import ProcessPhase
from service.audit import record
from service.auth.guard import ANONYMOUS, Actor
from service.db import models
from service.db.base import utcnow
from service.errors import Conflict, NotFound
from service.loop import schemas
from service.processes.repository import find_process

P = ProcessPhase
TAKING: tuple[ProcessPhase, ...] = (P.IMPLEMENTING, P.FEEDBACK, P.CLOSED)
"""Phases in which residents may give feedback: the decision is being carried out, or was."""


def taking_feedback(phase: ProcessPhase | str) -> bool:
    return phase in TAKING


def resident_feedback_out(row: models.ResidentFeedback) -> schemas.ResidentFeedback:
    return schemas.ResidentFeedback(
        id=row.id,
        process_id=row.process_id,
        verdict=row.verdict,
        body=row.body,
        household=row.household,
        given_on=row.given_on,
        status=row.status,
        reason=row.reason,
        moderated_at=row.moderated_at,
        feedback_id=row.feedback_id,
    )


async def give(
    db: AsyncSession, process_id: int, data: schemas.ResidentFeedbackCreate, day: date
) -> models.ResidentFeedback:
    """Store a resident's feedback as pending (given on ``day``, in the community's zone);
    409 unless the process is being carried out or was."""
    process = await find_process(db, process_id)
    if not taking_feedback(process.phase):
        raise Conflict(
            "resident-feedback-not-now",
            process_id=process_id,
            phase=process.phase,
            detail={"phase": process.phase},
        )
    row = models.ResidentFeedback(
        process_id=process_id,
        verdict=data.verdict,
        body=data.body,
        household=data.household,
        given_on=day,
        status="pending",
        reason="",
    )
    db.add(row)
    await db.flush()
    # who gave it is not known and not asked: the audit says only that one arrived
    record(
        db,
        ANONYMOUS,
        "resident_feedback.given",
        "resident_feedback",
        row.id,
        process_id=process_id,
    )
    return row


async def _pending(
    db: AsyncSession, feedback_id: int
) -> tuple[models.ResidentFeedback, models.Process]:
    """The feedback ``feedback_id`` with its process locked (one moderation at a time per
    process); 409 if it was already approved or rejected."""
    row = await db.get(models.ResidentFeedback, feedback_id)
    if row is None:
        raise NotFound("no-resident-feedback", feedback_id=feedback_id)
    process = await find_process(db, row.process_id, lock=True)
    await db.refresh(row)
    if row.status != "pending":
        raise Conflict(
            "resident-feedback-moderated",
            feedback_id=feedback_id,
            status=row.status,
            detail={"status": row.status},
        )
    return row, process


async def approve(db: AsyncSession, feedback_id: int, actor: Actor) -> models.ResidentFeedback:
    """Show the feedback on the board and count its verdict into the board's running check."""
    row, process = await _pending(db, feedback_id)
    check = await running_check(db, process.id, row.given_on)
    column = getattr(models.Feedback, row.verdict)
    await db.execute(
        update(models.Feedback)
        .where(models.Feedback.id == check.id)
        .values({column: column + 1})
        .execution_options(synchronize_session=False)
    )
    await db.refresh(check)
    row.status = "approved"
    row.feedback_id = check.id
    row.moderated_by = actor.id
    row.moderated_at = utcnow()
    record(
        db,
        actor,
        "resident_feedback.approved",
        "resident_feedback",
        row.id,
        process_id=process.id,
        verdict=row.verdict,
        feedback_id=check.id,
    )
    return row


async def reject(
    db: AsyncSession, feedback_id: int, reason: str, actor: Actor
) -> models.ResidentFeedback:
    """Keep the feedback off the board, with the secretary's reason (never shown publicly)."""
    row, process = await _pending(db, feedback_id)
    row.status = "rejected"
    row.reason = reason.strip()
    row.moderated_by = actor.id
    row.moderated_at = utcnow()
    record(
        db,
        actor,
        "resident_feedback.rejected",
        "resident_feedback",
        row.id,
        process_id=process.id,
        reason=row.reason,
    )
    return row


async def running_check(db: AsyncSession, process_id: int, day: date) -> models.Feedback:
    """The board channel's running check of residents' feedback, or a new one (held on
    ``day``) when there is none since the last close-out or re-opening."""
    latest = await db.scalar(
        select(models.Feedback)
        .where(models.Feedback.process_id == process_id, models.Feedback.from_residents)
        .order_by(models.Feedback.id.desc())
        .limit(1)
    )
    turned = await db.scalar(
        select(func.max(models.CloseOut.at)).where(models.CloseOut.process_id == process_id)
    )
    if latest is not None and (turned is None or turned < latest.created_at):
        return latest
    check = models.Feedback(
        process_id=process_id,
        channel="board",
        held_on=day,
        satisfied=0,
        fairly_satisfied=0,
        dissatisfied=0,
        note="",
        recorded_by=None,
        from_residents=True,
    )
    db.add(check)
    await db.flush()
    return check


async def of_process(
    db: AsyncSession, process_id: int, statuses: tuple[str, ...] = ("pending",)
) -> list[models.ResidentFeedback]:
    """The process's resident feedback in ``statuses``: pending oldest first (the order to
    read them in), moderated newest first."""
    newest_first = "pending" not in statuses
    order = models.ResidentFeedback.id.desc() if newest_first else models.ResidentFeedback.id
    rows = await db.scalars(
        select(models.ResidentFeedback)
        .where(
            models.ResidentFeedback.process_id == process_id,
            models.ResidentFeedback.status.in_(statuses),
        )
        .order_by(order)
    )
    return list(rows.all())


async def pending_counts(db: AsyncSession) -> dict[int, int]:
    """How many feedbacks wait for moderation, per process (none listed: none wait)."""
    rows = await db.execute(
        select(models.ResidentFeedback.process_id, func.count())
        .where(models.ResidentFeedback.status == "pending")
        .group_by(models.ResidentFeedback.process_id)
    )
    return {int(pid): int(n) for pid, n in rows}


async def remarks(db: AsyncSession, process_ids: list[int]) -> dict[int, list[schemas.Remark]]:
    """What the board shows of each process: approved texts only, newest first, without the
    household (one read for the whole page)."""
    rows = await db.execute(
        select(
            models.ResidentFeedback.process_id,
            models.ResidentFeedback.verdict,
            models.ResidentFeedback.body,
            models.ResidentFeedback.given_on,
        )
        .where(
            models.ResidentFeedback.process_id.in_(process_ids),
            models.ResidentFeedback.status == "approved",
            models.ResidentFeedback.body != "",
        )
        .order_by(models.ResidentFeedback.id.desc())
    )
    said: dict[int, list[schemas.Remark]] = {pid: [] for pid in process_ids}
    for pid, verdict, body, day in rows:
        said[pid].append(schemas.Remark(verdict=verdict, body=body, given_on=day))
    return said
