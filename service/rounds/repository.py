"""Rounds: creating them, their slates (chosen or seeded from a published round's top k),
moving them through their phases, and cancelling one set up by mistake before its voting
opens. Changing one until voting opens is :mod:`service.rounds.editing`."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import NamedTuple

import msgspec
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from engine.errors import TransitionRefused
from engine.process import RoundPhase, advance
from engine.process import allowed as allowed_next
from engine.result import Result
from engine.validity import Validity
from service.audit import record
from service.auth.guard import Actor
from service.communities.controllers import zone_of_process
from service.db.base import utcnow
from service.db.models import (
    Process,
    Proposal,
    Proxy,
    Round,
    RoundOption,
    RoundResult,
    VoterCode,
)
from service.errors import Conflict, Invalid, NotFound
from service.processes.repository import find_process, rounds_of
from service.rounds import schemas
from service.rounds.config import (
    check_method,
    check_options,
    check_rules,
    check_tie_order,
    check_validity,
    rules_for,
)
from service.rounds.freeze import (
    OPEN_PROCESS,
    freeze,
    is_frozen,
    issues_before_freeze,
    pending_slate,
    refuse_if_cancelled,
    refuse_if_frozen,
)
from service.rounds.settings import SlateOption
from service.transitions import refused_transition
from service.zones import moment


async def find_round(db: AsyncSession, round_id: int, *, for_update: bool = False) -> Round:
    """The round ``round_id`` (locked against concurrent changes with ``for_update``)."""
    query = select(Round).where(Round.id == round_id)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    round_row = await db.scalar(query)
    if round_row is None:
        raise NotFound("no-round", round_id=round_id)
    return round_row


async def get_round(db: AsyncSession, round_id: int) -> Round | None:
    """The round ``round_id``, or ``None`` (:func:`find_round` refuses with 404 instead)."""
    return await db.get(Round, round_id)


class VotingRound(NamedTuple):
    """A round now voting, named as the tablet enrolment lists it."""

    id: int
    number: int
    title: str
    process: str
    """The title of the round's process."""


async def voting_rounds(db: AsyncSession) -> list[VotingRound]:
    """Every round now voting, by process and number."""
    rows = await db.execute(
        select(Round.id, Round.number, Round.title, Process.title)
        .join(Process, Process.id == Round.process_id)
        .where(Round.phase == RoundPhase.VOTING)
        .order_by(Process.id, Round.number)
    )
    return [VotingRound(*row) for row in rows]


async def rounds_with_results(
    db: AsyncSession, process_ids: Sequence[int]
) -> list[tuple[Round, bytes | None]]:
    """The rounds of these processes by number, each with its stored result (JSON of
    :class:`engine.result.Result`), ``None`` while it has none."""
    rows = await db.execute(
        select(Round, RoundResult.result)
        .outerjoin(RoundResult, RoundResult.round_id == Round.id)
        .where(Round.process_id.in_(process_ids))
        .order_by(Round.number)
    )
    return [(round_row, stored) for round_row, stored in rows]


async def slate_out(db: AsyncSession, round_row: Round) -> list[SlateOption]:
    """The slate as voters will see it: frozen once voting opened, else the current one."""
    if round_row.slate is not None:
        return list(round_row.slate)
    return [
        SlateOption(proposal_id=p.id, name=p.title, cost_cents=p.cost_cents)
        for p in await pending_slate(db, round_row.id)
    ]


async def round_out(db: AsyncSession, round_row: Round) -> schemas.Round:
    issues = await issues_before_freeze(db, round_row)
    return schemas.Round(
        id=round_row.id,
        process_id=round_row.process_id,
        number=round_row.number,
        title=round_row.title,
        phase=round_row.phase,
        ballot_kind=round_row.ballot_kind,
        method=round_row.method,
        options=round_row.options.shown(),
        rules=rules_for(round_row.ballot_kind, round_row.rules),
        prompts=list(round_row.prompts),
        household_roll=round_row.household_roll,
        open_receipts=round_row.open_receipts,
        slate=await slate_out(db, round_row),
        frozen=is_frozen(round_row),
        seeded_from_round_id=round_row.seeded_from_round_id,
        issues_before_freeze=[i.en for i in issues],
        issues_before_freeze_zh=[i.zh for i in issues],
        created_at=round_row.created_at,
        commenting_at=round_row.commenting_at,
        voting_at=round_row.voting_at,
        closed_at=round_row.closed_at,
        published_at=round_row.published_at,
        cancelled_at=round_row.cancelled_at,
        cancel_reason=round_row.cancel_reason,
        validity=round_row.validity or Validity(),
    )


async def list_rounds(db: AsyncSession, process_id: int) -> list[Round]:
    await find_process(db, process_id)
    return await rounds_of(db, process_id)


async def create_round(
    db: AsyncSession, process_id: int, data: schemas.RoundCreate, actor: Actor
) -> Round:
    process = await find_process(db, process_id, lock=True)  # one new round at a time
    if process.phase not in OPEN_PROCESS:
        raise Conflict("process-not-open", process_id=process_id, phase=process.phase)
    info = check_method(data.ballot_kind, data.method)
    options = check_options(data.ballot_kind, info, data.options)
    rules = check_rules(data.ballot_kind, data.rules)
    check_validity(data.validity, household_roll=data.household_roll)
    if data.proposal_ids is not None and data.seed_from is not None:
        raise Invalid("slate-twice", field="seed_from")
    if data.seed_from is not None:
        proposal_ids = await seeded_slate(db, process_id, data.seed_from)
    else:
        proposal_ids = list(data.proposal_ids or [])
        await check_slate(db, process_id, proposal_ids)
    # numbered inside the INSERT: on SQLite the statement holds the write lock while it reads
    # the last number (PostgreSQL has the process row locked), so rounds created at the same
    # moment never take the same number
    next_number = (
        select(func.coalesce(func.max(Round.number), 0) + 1)
        .where(Round.process_id == process_id)
        .scalar_subquery()
    )
    round_row = Round(
        process_id=process_id,
        number=next_number,
        title=data.title,
        ballot_kind=data.ballot_kind,
        method=data.method,
        options=options,
        rules=rules,
        prompts=list(schemas.DEFAULT_PROMPTS if data.prompts is None else data.prompts),
        household_roll=data.household_roll,
        open_receipts=data.open_receipts,
        seeded_from_round_id=data.seed_from.round_id if data.seed_from else None,
        validity=data.validity if data.validity.any else None,
    )
    db.add(round_row)
    await db.flush()
    await db.refresh(round_row, ["number"])
    await write_slate(db, round_row.id, proposal_ids)
    check_tie_order(options, [p.title for p in await pending_slate(db, round_row.id)])
    record(
        db,
        actor,
        "round.created",
        "round",
        round_row.id,
        process_id=process_id,
        number=round_row.number,
        ballot_kind=data.ballot_kind,
        method=data.method,
        open_receipts=data.open_receipts,
        proposal_ids=proposal_ids,
        seeded_from_round_id=round_row.seeded_from_round_id,
    )
    return round_row


async def replace_slate(
    db: AsyncSession, round_id: int, proposal_ids: Sequence[int], actor: Actor
) -> Round:
    """Put ``proposal_ids`` on the slate in this order, until voting opens."""
    round_row = await find_round(db, round_id, for_update=True)
    await refuse_if_cancelled(db, round_row)
    await refuse_if_frozen(db, round_row)
    await check_slate(db, round_row.process_id, proposal_ids)
    await db.execute(delete(RoundOption).where(RoundOption.round_id == round_id))
    await write_slate(db, round_id, proposal_ids)
    round_row.seeded_from_round_id = None
    record(db, actor, "round.slate", "round", round_id, proposal_ids=list(proposal_ids))
    return round_row


async def write_slate(db: AsyncSession, round_id: int, proposal_ids: Sequence[int]) -> None:
    """The slate's rows for ``proposal_ids``, in this order (the old ones deleted first)."""
    db.add_all(
        RoundOption(round_id=round_id, proposal_id=pid, position=i)
        for i, pid in enumerate(proposal_ids)
    )
    await db.flush()


async def check_slate(db: AsyncSession, process_id: int, proposal_ids: Sequence[int]) -> None:
    """Refuse (422, field ``proposal_ids``) a slate that is not a list of distinct active
    proposals of the process."""
    seen: set[int] = set()
    for pid in proposal_ids:
        if pid in seen:
            raise Invalid("duplicate-proposal", field="proposal_ids", pid=pid)
        seen.add(pid)
    found = {
        p.id: p for p in (await db.scalars(select(Proposal).where(Proposal.id.in_(seen)))).all()
    }
    for pid in proposal_ids:
        proposal = found.get(pid)
        if proposal is None:
            raise Invalid("no-slate-proposal", field="proposal_ids", pid=pid)
        if proposal.process_id != process_id:
            raise Invalid(
                "proposal-of-another-process",
                field="proposal_ids",
                pid=pid,
                process_id=proposal.process_id,
                process_id2=process_id,
            )
        if proposal.status != "active":
            raise Invalid(
                "proposal-not-active",
                field="proposal_ids",
                pid=pid,
                title=proposal.title,
                status=proposal.status,
            )


async def seeded_slate(db: AsyncSession, process_id: int, seed: schemas.SeedFrom) -> list[int]:
    """The proposals of the top ``seed.top`` options of a published round of the same
    process, in that round's ballot order."""
    source = await db.get(Round, seed.round_id)
    if source is None or source.process_id != process_id:
        raise Invalid(
            "unknown-round",
            field="seed_from.round_id",
            round_id=seed.round_id,
            process_id=process_id,
        )
    stored = await db.get(RoundResult, source.id)
    if source.phase is not RoundPhase.PUBLISHED or stored is None or source.slate is None:
        raise Conflict("round-not-published", number=source.number, phase=source.phase)
    result = msgspec.json.decode(stored.result, type=Result)
    chosen = set(top_names(result, seed.top, source.number))
    proposal_ids = [e.proposal_id for e in source.slate if e.name in chosen]
    await check_slate(db, process_id, proposal_ids)
    return proposal_ids


def top_names(result: Result, top: int, number: int) -> list[str]:
    """The top ``top`` options of a result: the winners in order, then the rest of the
    ranking group by group; a tied group straddling the cut is refused, never drawn."""
    order = list(result.winners)
    if len(order) >= top:
        return order[:top]
    for group in result.ranking or ():
        rest = sorted(name for name in group if name not in order)
        room = top - len(order)
        if room <= 0 or not rest:
            continue
        if len(rest) > room:
            raise Conflict(
                "top-k-tie",
                tied=rest,
                place=len(order) + 1,
                number=number,
                above=len(order),
                through=len(order) + len(rest),
                detail={"tied": rest},
            )
        order.extend(rest)
    if len(order) < top:
        raise Invalid(
            "top-too-large",
            field="seed_from.top",
            number=number,
            ordered=len(order),
            method=result.method,
        )
    return order


_STAMP = {
    RoundPhase.COMMENTING: "commenting_at",
    RoundPhase.CLOSED: "closed_at",
    RoundPhase.PUBLISHED: "published_at",
}


async def drop_proxy_photos(db: AsyncSession, round_id: int) -> int:
    """Delete the photos of the round's written authorisations (personal data: signatures,
    often an ID number), keeping when (``photo_deleted_at``); how many were deleted. Done
    when the round is published — until then a count may still be questioned — and when it
    is cancelled."""
    kept = (Proxy.round_id == round_id, Proxy.photo.is_not(None))
    deleted = await db.scalar(select(func.count()).select_from(Proxy).where(*kept)) or 0
    if deleted:
        await db.execute(update(Proxy).where(*kept).values(photo=None, photo_deleted_at=utcnow()))
    return deleted


async def advance_round(db: AsyncSession, round_id: int, to: RoundPhase, actor: Actor) -> Round:
    """Move a round to phase ``to`` (opening voting freezes it), flushed. Closing it is
    not complete without its count: :func:`service.phases.change_phase` does both."""
    round_row = await find_round(db, round_id, for_update=True)
    await refuse_if_cancelled(db, round_row)
    current = round_row.phase
    try:
        target = advance(current, to)
    except TransitionRefused as exc:
        raise refused_transition(exc, "round", allowed_next(current)) from exc
    if target is RoundPhase.VOTING:
        await freeze(db, round_row, actor)
    if target is RoundPhase.PUBLISHED and await db.get(RoundResult, round_id) is None:
        raise Conflict("round-not-counted", number=round_row.number)
    if target in _STAMP:
        setattr(round_row, _STAMP[target], utcnow())
    round_row.phase = target
    extra = {}
    if target is RoundPhase.PUBLISHED and (dropped := await drop_proxy_photos(db, round_id)):
        extra["proxy_photos_deleted"] = dropped
    record(db, actor, f"round.{target.value}", "round", round_id, previous=current.value, **extra)
    await db.flush()
    return round_row


async def cancel_round(db: AsyncSession, round_id: int, reason: str, actor: Actor) -> Round:
    """Cancel a round before its voting opens, with a reason (409 ``round-frozen`` once
    voting has opened, ``round-cancelled`` if it already was). A cancelled round leaves the
    board and the public pages; codes issued for it are voided; the audit log keeps the
    reason (``round.cancelled``). Its number is not given to another round."""
    round_row = await find_round(db, round_id, for_update=True)
    await refuse_if_cancelled(db, round_row)
    if round_row.voting_at is not None:
        zone = await zone_of_process(db, round_row.process_id)
        raise Conflict(
            "cancel-after-voting",
            number=round_row.number,
            at=partial(moment, round_row.voting_at, zone),
            detail={"voting_at": round_row.voting_at.isoformat()},
        )
    current = round_row.phase
    advance(current, RoundPhase.CANCELLED, reason=reason)
    round_row.phase = RoundPhase.CANCELLED
    round_row.cancelled_at = utcnow()
    round_row.cancel_reason = reason.strip()
    unused = (VoterCode.round_id == round_id, VoterCode.status == "issued")
    voided = await db.scalar(select(func.count()).select_from(VoterCode).where(*unused))
    dropped = await drop_proxy_photos(db, round_id)
    await db.execute(
        update(VoterCode)
        .where(*unused)
        .values(status="void", void_reason=f"本轮已取消：{round_row.cancel_reason}")
    )
    record(
        db,
        actor,
        "round.cancelled",
        "round",
        round_id,
        previous=current.value,
        reason=round_row.cancel_reason,
        codes_voided=voided or 0,
        **({"proxy_photos_deleted": dropped} if dropped else {}),
    )
    await db.flush()
    return round_row
