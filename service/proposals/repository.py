"""Proposals in the database: every change writes a history event and an audit row, and
nothing changes while the proposal is on the ballot of a round that is voting."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any, Final

from msgspec import UNSET
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from engine.process import RoundPhase
from service.audit import record
from service.auth.guard import Actor
from service.db import models
from service.errors import Conflict, Invalid, NotFound
from service.processes.repository import OPEN_PHASES, find_process, proposals_of
from service.proposals import schemas
from service.proposals.names import refuse_taken

MAX_YUAN: Final = Decimal(10) ** 10
"""Largest cost accepted (ten billion yuan): anything above is a typing slip."""


def to_cents(cost: Decimal | None) -> int | None:
    """Yuan (at most two decimal places, not negative) to fen, or :class:`Invalid`."""
    if cost is None:
        return None
    if not cost.is_finite() or cost < 0 or cost > MAX_YUAN:
        raise Invalid("cost-out-of-range", field="cost", most=MAX_YUAN, cost=cost)
    fen = cost * 100
    if fen != fen.to_integral_value():
        raise Invalid("cost-fen", field="cost", cost=cost)
    return int(fen)


def to_yuan(cents: int | None) -> Decimal | None:
    return None if cents is None else Decimal(cents).scaleb(-2)


def snapshot(proposal: models.Proposal, **extra: Any) -> dict[str, Any]:
    return {
        "title": proposal.title,
        "description": proposal.description,
        "cost_cents": proposal.cost_cents,
        "author": proposal.author,
        "status": proposal.status,
        **extra,
    }


def proposal_out(proposal: models.Proposal) -> schemas.Proposal:
    return schemas.Proposal(
        id=proposal.id,
        process_id=proposal.process_id,
        title=proposal.title,
        description=proposal.description,
        cost=to_yuan(proposal.cost_cents),
        cost_cents=proposal.cost_cents,
        author=proposal.author,
        status=proposal.status,
        merged_into_id=proposal.merged_into_id,
        version=proposal.version,
        created_at=proposal.created_at,
    )


def _event(
    db: AsyncSession,
    actor: Actor,
    proposal: models.Proposal,
    action: str,
    reason: str | None = None,
    **extra: Any,
) -> None:
    db.add(
        models.ProposalEvent(
            proposal_id=proposal.id,
            action=action,
            version=proposal.version,
            snapshot=snapshot(proposal, **extra),
            reason=reason,
            actor_id=actor.id,
        )
    )


async def find_proposal(
    db: AsyncSession, proposal_id: int, *, lock: bool = False
) -> models.Proposal:
    proposal = await db.get(models.Proposal, proposal_id, with_for_update=lock)
    if proposal is None:
        raise NotFound("no-proposal", proposal_id=proposal_id)
    return proposal


async def _check_process_open(db: AsyncSession, process_id: int, doing: str) -> None:
    process = await find_process(db, process_id, lock=True)
    if process.phase not in OPEN_PHASES:
        raise Conflict(
            "proposals-fixed",
            doing=doing,
            id=process.id,
            phase=process.phase,
            detail={"phase": process.phase},
        )


async def _check_changeable(db: AsyncSession, proposal: models.Proposal, doing: str) -> None:
    """Refuse unless the proposal is active, its process open, and no voting round holds it."""
    if proposal.status != "active":
        into = f" into proposal {proposal.merged_into_id}" if proposal.merged_into_id else ""
        raise Conflict(
            "proposal-inactive", id=proposal.id, doing=doing, status=proposal.status, into=into
        )
    await _check_process_open(db, proposal.process_id, doing)
    frozen = (
        await db.execute(
            select(models.Round.number, models.Round.phase)
            .join(models.RoundOption, models.RoundOption.round_id == models.Round.id)
            .where(
                models.RoundOption.proposal_id == proposal.id,
                models.Round.voting_at.is_not(None),
                models.Round.published_at.is_(None),
            )
            .order_by(models.Round.number)
            .limit(1)
        )
    ).first()
    if frozen is not None:
        number, phase = frozen
        state = (
            "which is voting" if phase is RoundPhase.VOTING else "whose result is not yet published"
        )
        raise Conflict(
            "proposal-on-ballot",
            id=proposal.id,
            doing=doing,
            number=number,
            state=state,
            detail={"round": number},
        )


async def create_proposal(
    db: AsyncSession, actor: Actor, process_id: int, data: schemas.ProposalCreate
) -> models.Proposal:
    cents = to_cents(data.cost)
    await _check_process_open(db, process_id, "added")
    await refuse_taken(db, process_id, data.title)
    proposal = models.Proposal(
        process_id=process_id,
        title=data.title,
        description=data.description,
        cost_cents=cents,
        author=data.author,
    )
    db.add(proposal)
    await db.flush()
    _event(db, actor, proposal, "created")
    record(db, actor, "proposal.created", "proposal", proposal.id, process_id=process_id)
    return proposal


async def list_proposals(db: AsyncSession, process_id: int) -> list[schemas.Proposal]:
    await find_process(db, process_id)
    return [proposal_out(p) for p in await proposals_of(db, process_id)]


async def descriptions(db: AsyncSession, proposal_ids: Sequence[int]) -> dict[int, str]:
    """The descriptions of these proposals, by id."""
    rows = await db.execute(
        select(models.Proposal.id, models.Proposal.description).where(
            models.Proposal.id.in_(proposal_ids)
        )
    )
    return {pid: description for pid, description in rows}


async def proposal_detail(db: AsyncSession, proposal_id: int) -> schemas.ProposalDetail:
    proposal = await find_proposal(db, proposal_id)
    events = await db.scalars(
        select(models.ProposalEvent)
        .where(models.ProposalEvent.proposal_id == proposal_id)
        .order_by(models.ProposalEvent.at, models.ProposalEvent.id)
    )
    base = proposal_out(proposal)
    return schemas.ProposalDetail(
        **{f: getattr(base, f) for f in schemas.Proposal.__struct_fields__},
        history=[
            schemas.ProposalEvent(
                action=e.action,
                version=e.version,
                snapshot=e.snapshot,
                reason=e.reason,
                actor_id=e.actor_id,
                at=e.at,
            )
            for e in events
        ],
    )


async def amend_proposal(
    db: AsyncSession, actor: Actor, proposal_id: int, data: schemas.ProposalUpdate
) -> models.Proposal:
    proposal = await find_proposal(db, proposal_id, lock=True)
    wanted: dict[str, Any] = {}
    if data.title is not UNSET:
        wanted["title"] = data.title
    if data.description is not UNSET:
        wanted["description"] = data.description
    if data.cost is not UNSET:
        wanted["cost_cents"] = to_cents(data.cost)
    if data.author is not UNSET:
        wanted["author"] = data.author
    changed = sorted(k for k, v in wanted.items() if getattr(proposal, k) != v)
    if not changed:
        raise Invalid("nothing-to-change")
    await _check_changeable(db, proposal, "amended")
    if "title" in changed:
        await refuse_taken(db, proposal.process_id, wanted["title"], besides=proposal.id)
    for key in changed:
        setattr(proposal, key, wanted[key])
    proposal.version += 1
    reason = (data.reason or "").strip() or None
    _event(db, actor, proposal, "amended", reason)
    record(
        db,
        actor,
        "proposal.amended",
        "proposal",
        proposal.id,
        version=proposal.version,
        fields=changed,
        reason=reason,
    )
    return proposal


def _reason(reason: str, doing: str) -> str:
    if not reason.strip():
        raise Invalid("proposal-reason-required", field="reason", doing=doing)
    return reason.strip()


async def merge_proposal(
    db: AsyncSession, actor: Actor, proposal_id: int, data: schemas.Merge
) -> models.Proposal:
    """Fold ``proposal_id`` into ``data.into``; the merged one is kept, marked ``merged``."""
    reason = _reason(data.reason, "merging")
    if data.into == proposal_id:
        raise Invalid("merge-into-itself", field="into")
    proposal = await find_proposal(db, proposal_id, lock=True)
    target = await find_proposal(db, data.into, lock=True)
    if target.process_id != proposal.process_id:
        raise Invalid("merge-across-processes", field="into", id=target.id)
    if target.status != "active":
        raise Conflict("merge-into-inactive", id=target.id, status=target.status)
    await _check_changeable(db, proposal, "merged")
    proposal.status = "merged"
    proposal.merged_into_id = target.id
    _event(db, actor, proposal, "merged", reason, merged_into=target.id)
    _event(db, actor, target, "merged-in", reason, merged_from=proposal.id)
    record(db, actor, "proposal.merged", "proposal", proposal.id, into=target.id, reason=reason)
    return proposal


async def withdraw_proposal(
    db: AsyncSession, actor: Actor, proposal_id: int, data: schemas.Withdrawal
) -> models.Proposal:
    reason = _reason(data.reason, "withdrawing")
    proposal = await find_proposal(db, proposal_id, lock=True)
    await _check_changeable(db, proposal, "withdrawn")
    proposal.status = "withdrawn"
    _event(db, actor, proposal, "withdrawn", reason)
    record(db, actor, "proposal.withdrawn", "proposal", proposal.id, reason=reason)
    return proposal
