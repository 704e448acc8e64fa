"""Processes in the database: creating, reading, moving through phases (requests:
:mod:`service.requests`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from engine.errors import TransitionRefused
from engine.process import ProcessPhase, advance
from engine.process import allowed as allowed_next
from service.audit import record
from service.auth.guard import Actor
from service.communities.controllers import all_communities, find_community
from service.db import models
from service.db.base import utcnow
from service.errors import Conflict, Forbidden, NotFound
from service.processes import schemas
from service.transitions import refused_transition

P = ProcessPhase

PHASE_ROLES: Final[dict[ProcessPhase, tuple[str, ...]]] = {
    P.COLLECTING: ("facilitator", "admin"),
    P.DELIBERATING: ("facilitator", "admin"),
    P.DECIDED: ("facilitator", "admin"),
    P.WITHDRAWN: ("facilitator", "admin"),
    P.IMPLEMENTING: ("secretary", "admin"),
    P.FEEDBACK: ("secretary", "admin"),
    P.CLOSED: ("secretary", "admin"),
}
"""Who may move a process into each phase: facilitators run the deliberation, secretaries
carry the decision out (and re-open a closed item)."""

OPEN_PHASES: Final = (P.COLLECTING.value, P.DELIBERATING.value)
"""Phases in which a process still takes in requests and proposals."""


def process_out(process: models.Process) -> schemas.Process:
    return schemas.Process(
        id=process.id,
        community_id=process.community_id,
        title=process.title,
        question=process.question,
        phase=process.phase,
        created_at=process.created_at,
        deliberating_at=process.deliberating_at,
        decided_at=process.decided_at,
        closed_at=process.closed_at,
        withdrawn_reason=process.withdrawn_reason,
    )


async def find_process(db: AsyncSession, process_id: int, *, lock: bool = False) -> models.Process:
    """The process ``process_id`` (row-locked on PostgreSQL when ``lock``), or 404."""
    process = await db.get(models.Process, process_id, with_for_update=lock)
    if process is None:
        raise NotFound("no-process", process_id=process_id)
    return process


async def create_process(
    db: AsyncSession, actor: Actor, community_id: int, title: str, question: str
) -> models.Process:
    await find_community(db, community_id)
    process = models.Process(community_id=community_id, title=title, question=question)
    db.add(process)
    await db.flush()
    record(db, actor, "process.created", "process", process.id, community_id=community_id)
    return process


async def list_processes(db: AsyncSession, community_id: int) -> list[schemas.Process]:
    await find_community(db, community_id)
    rows = await db.scalars(
        select(models.Process)
        .where(models.Process.community_id == community_id)
        .order_by(models.Process.id)
    )
    return [process_out(p) for p in rows]


async def newest_processes(db: AsyncSession, community_id: int) -> list[models.Process]:
    """The community's processes, newest first."""
    rows = await db.scalars(
        select(models.Process)
        .where(models.Process.community_id == community_id)
        .order_by(models.Process.id.desc())
    )
    return list(rows.all())


async def processes_by_community(
    db: AsyncSession, reach: set[int] | None = None
) -> list[tuple[models.Community, list[models.Process]]]:
    """Every community (oldest first) with its processes (newest first); only the
    communities in ``reach`` unless it is ``None``
    (:func:`service.auth.scope.reachable_communities`)."""
    communities = await all_communities(db, reach)
    by_community: dict[int, list[models.Process]] = {c.id: [] for c in communities}
    query = select(models.Process).order_by(models.Process.id.desc())
    if reach is not None:
        query = query.where(models.Process.community_id.in_(sorted(reach)))
    for process in await db.scalars(query):
        # a community created between the two reads is not listed; its processes fall aside
        by_community.setdefault(process.community_id, []).append(process)
    return [(c, by_community[c.id]) for c in communities]


async def proposals_of(db: AsyncSession, process_id: int) -> list[models.Proposal]:
    """The process's proposals in the order they were added, whatever their status."""
    rows = await db.scalars(
        select(models.Proposal)
        .where(models.Proposal.process_id == process_id)
        .order_by(models.Proposal.id)
    )
    return list(rows.all())


async def rounds_of(db: AsyncSession, process_id: int) -> list[models.Round]:
    """The process's rounds by number, cancelled ones too."""
    rows = await db.scalars(
        select(models.Round)
        .where(models.Round.process_id == process_id)
        .order_by(models.Round.number)
    )
    return list(rows.all())


@dataclass(frozen=True, slots=True)
class ProcessOverview:
    """A process with its community, its proposals and its rounds, as the facilitator's
    and the secretary's process pages show it."""

    process: models.Process
    community: models.Community
    proposals: list[models.Proposal]
    rounds: list[models.Round]


async def process_overview(db: AsyncSession, process_id: int) -> ProcessOverview:
    """The process ``process_id`` with its community, proposals and rounds, or 404."""
    process = await find_process(db, process_id)
    return ProcessOverview(
        process=process,
        community=await find_community(db, process.community_id),
        proposals=await proposals_of(db, process_id),
        rounds=await rounds_of(db, process_id),
    )


async def process_detail(db: AsyncSession, process_id: int) -> schemas.ProcessDetail:
    process = await find_process(db, process_id)
    proposals = await proposals_of(db, process_id)
    rounds = await rounds_of(db, process_id)
    base = process_out(process)
    return schemas.ProcessDetail(
        **{f: getattr(base, f) for f in schemas.Process.__struct_fields__},
        proposals=[
            schemas.ProposalSummary(id=p.id, title=p.title, status=p.status, version=p.version)
            for p in proposals
        ],
        rounds=[schemas.RoundSummary(id=r.id, number=r.number, phase=r.phase) for r in rounds],
    )


async def _check_decidable(db: AsyncSession, process: models.Process) -> None:
    published = await db.scalar(
        select(func.count())
        .select_from(models.Round)
        .where(models.Round.process_id == process.id, models.Round.published_at.is_not(None))
    )
    if not published:
        raise Conflict(
            "decide-before-result",
            phase=process.phase,
            id=process.id,
            detail={"current": process.phase, "requested": P.DECIDED.value},
        )


def _sign_off_required(process_id: int) -> Conflict:
    return Conflict("close-out-required", process_id=process_id)


async def change_phase(
    db: AsyncSession,
    actor: Actor,
    process_id: int,
    change: schemas.PhaseChange,
    *,
    sign_off: bool = False,
) -> models.Process:
    """Move the process as the engine's state machine allows, stamping and auditing it.
    Closing (销号) and re-opening a closed item happen only with ``sign_off`` (the
    secretary's close-out, :mod:`service.loop.closeout`, which keeps the note)."""
    target = change.to
    allowed = PHASE_ROLES[target]
    if actor.role not in allowed:
        raise Forbidden(
            "role-may-not-move", role=actor.role, phase=target.value, allowed=list(allowed)
        )
    process = await find_process(db, process_id, lock=True)
    current = process.phase
    if (target is P.CLOSED or current is P.CLOSED) and not sign_off:
        raise _sign_off_required(process_id)
    reason = (change.reason or "").strip() or None
    try:
        advance(current, target, reason=reason)
    except TransitionRefused as exc:
        raise refused_transition(exc, "process", allowed_next(current)) from exc
    if target is P.DECIDED:
        await _check_decidable(db, process)
    now = utcnow()
    process.phase = target
    if target is P.DELIBERATING:
        process.deliberating_at = now
    elif target is P.DECIDED:
        process.decided_at = now
    elif target is P.CLOSED:
        process.closed_at = now
    elif target is P.WITHDRAWN:
        process.withdrawn_reason = reason
    if current is P.CLOSED:
        process.closed_at = None  # re-opened: the audit log keeps when it was closed
    record(
        db,
        actor,
        f"process.{target.value}",
        "process",
        process.id,
        previous=current.value,
        reason=reason,
    )
    return process
