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

STATUS_ZH: Final = {"active": "有效", "merged": "合并", "withdrawn": "撤回"}


def to_cents(cost: Decimal | None) -> int | None:
    """Yuan (at most two decimal places, not negative) to fen, or :class:`Invalid`."""
    if cost is None:
        return None
    if not cost.is_finite() or cost < 0 or cost > MAX_YUAN:
        raise Invalid(
            f"cost must be an amount in yuan between 0 and {MAX_YUAN:,}, not {cost}",
            zh=f"造价须为 0 到 {MAX_YUAN:,} 元之间的金额",
            field="cost",
        )
    fen = cost * 100
    if fen != fen.to_integral_value():
        raise Invalid(
            f"cost {cost} has more than two decimal places; give yuan to the fen (e.g. 1200.50)",
            zh="造价最多保留两位小数（精确到分），例如 1200.50",
            field="cost",
        )
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
        raise NotFound(f"there is no proposal {proposal_id}", zh=f"没有编号为 {proposal_id} 的方案")
    return proposal


async def _check_process_open(db: AsyncSession, process_id: int, doing: str) -> None:
    process = await find_process(db, process_id, lock=True)
    if process.phase not in OPEN_PHASES:
        raise Conflict(
            f"proposals cannot be {doing} now: process {process.id} is {process.phase}, and "
            "proposals change only while it is collecting or deliberating",
            code="wrong-phase",
            zh=f"议题 {process.id} 已不在收集或协商阶段，方案不能再变动",
            phase=process.phase,
        )


async def _check_changeable(db: AsyncSession, proposal: models.Proposal, doing: str) -> None:
    """Refuse unless the proposal is active, its process open, and no voting round holds it."""
    if proposal.status != "active":
        into = f" into proposal {proposal.merged_into_id}" if proposal.merged_into_id else ""
        raise Conflict(
            f"proposal {proposal.id} cannot be {doing}: it was {proposal.status}{into}",
            code="proposal-inactive",
            zh=f"方案 {proposal.id} 已{STATUS_ZH.get(proposal.status, '失效')}，不能再变动",
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
            f"proposal {proposal.id} cannot be {doing}: it is on the ballot of round {number}, "
            f"{state}; wait until that round is published",
            code="round-frozen",
            zh=f"方案 {proposal.id} 在第 {number} 轮的选票上，投票已开始，结果公布前不能变动",
            round=number,
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
        raise Invalid(
            "nothing to amend: give at least one of title, description, cost or author "
            "with a new value",
            code="nothing-to-change",
            zh="没有需要修改的内容：请至少修改标题、说明、造价或提出人中的一项",
        )
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
        raise Invalid(
            f"give a reason for {doing} the proposal; it is kept in its history",
            zh="请填写理由，理由会记入方案的历史",
            field="reason",
        )
    return reason.strip()


async def merge_proposal(
    db: AsyncSession, actor: Actor, proposal_id: int, data: schemas.Merge
) -> models.Proposal:
    """Fold ``proposal_id`` into ``data.into``; the merged one is kept, marked ``merged``."""
    reason = _reason(data.reason, "merging")
    if data.into == proposal_id:
        raise Invalid(
            "a proposal cannot be merged into itself; give another proposal's id in into",
            zh="方案不能合并到自身",
            field="into",
        )
    proposal = await find_proposal(db, proposal_id, lock=True)
    target = await find_proposal(db, data.into, lock=True)
    if target.process_id != proposal.process_id:
        raise Invalid(
            f"proposal {target.id} belongs to another process; proposals can only be merged "
            "within the same process",
            zh=f"方案 {target.id} 属于其他议题，只能合并同一议题下的方案",
            field="into",
        )
    if target.status != "active":
        raise Conflict(
            f"cannot merge into proposal {target.id}: it was {target.status}",
            code="proposal-inactive",
            zh=f"方案 {target.id} 已不再有效，不能作为合并目标",
        )
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
