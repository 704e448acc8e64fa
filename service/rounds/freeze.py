"""Freezing a round when voting opens (the slate, method, options, roll and receipts become
fixed), what must be fixed before that (:func:`issues_before_freeze`), and the refusals of
changes to a frozen or a cancelled round."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from engine.process import ProcessPhase, RoundPhase, advance
from service.audit import record
from service.auth.guard import Actor
from service.communities.controllers import zone_of_process
from service.db.base import utcnow
from service.db.models import CommunityHousehold, Process, Proposal, Round, RoundOption
from service.errors import Conflict
from service.i18n import said, settled
from service.proposals.names import listed, lookalikes
from service.records.labels import separator
from service.rounds.settings import SlateOption
from service.zones import moment

OPEN_PROCESS = (ProcessPhase.COLLECTING, ProcessPhase.DELIBERATING)
"""Process phases in which rounds may be set up and voting may open."""


@dataclass(frozen=True, slots=True)
class Issue:
    """One reason voting cannot open yet: its catalogue entry ``freeze.<code>`` and the
    entry's parameters; its words in either language come from the catalogue."""

    code: str
    params: Mapping[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", settled(self.params))

    def said(self, lang: str) -> str:
        return said(lang, f"freeze.{self.code}", **self.params)

    @property
    def en(self) -> str:
        return self.said("en")

    @property
    def zh(self) -> str:
        return self.said("zh")


def issue_list(issues: Sequence[Issue], lang: str) -> str:
    """The issues in one sentence of ``lang``."""
    return separator(lang, "items").join(i.said(lang) for i in issues)


def is_frozen(round_row: Round) -> bool:
    return round_row.voting_at is not None


async def refuse_if_frozen(db: AsyncSession, round_row: Round) -> None:
    """Refuse (409 ``round-frozen``) any change to a round whose voting has opened, saying
    when in the community's time zone."""
    if round_row.voting_at is None:
        return
    zone = await zone_of_process(db, round_row.process_id)
    raise Conflict(
        "round-frozen",
        at=partial(moment, round_row.voting_at, zone),
        detail={"voting_at": round_row.voting_at.isoformat()},
    )


def is_cancelled(round_row: Round) -> bool:
    return round_row.phase is RoundPhase.CANCELLED


async def refuse_if_cancelled(db: AsyncSession, round_row: Round) -> None:
    """Refuse (409 ``round-cancelled``) anything done to a round that was cancelled, saying
    when in the community's time zone."""
    if not is_cancelled(round_row):
        return
    when = round_row.cancelled_at
    zone = await zone_of_process(db, round_row.process_id)
    raise Conflict(
        "round-cancelled",
        number=round_row.number,
        at=partial(moment, when, zone),
        cancel_reason=round_row.cancel_reason,
        detail={"cancelled_at": when.isoformat() if when else None},
    )


async def pending_slate(db: AsyncSession, round_id: int) -> list[Proposal]:
    """The proposals on a round's slate before it is frozen, in ballot order."""
    rows = await db.scalars(
        select(Proposal)
        .join(RoundOption, RoundOption.proposal_id == Proposal.id)
        .where(RoundOption.round_id == round_id)
        .order_by(RoundOption.position)
    )
    return list(rows.all())


async def issues_before_freeze(db: AsyncSession, round_row: Round) -> list[Issue]:
    """Everything that stops voting from opening in this round (empty: ready, frozen or
    cancelled)."""
    if is_frozen(round_row) or is_cancelled(round_row):
        return []
    issues: list[Issue] = []
    process = await db.get(Process, round_row.process_id)
    if process is not None and process.phase not in OPEN_PROCESS:
        issues.append(Issue("process-closed", {"phase": process.phase}))
    slate = await pending_slate(db, round_row.id)
    if len(slate) < 2:
        issues.append(Issue("slate-short", {"count": len(slate)}))
    for proposal in slate:
        if proposal.status != "active":
            issues.append(
                Issue(
                    "option-inactive",
                    {"id": proposal.id, "title": proposal.title, "status": proposal.status},
                )
            )
    for group in lookalikes(slate):
        issues.append(Issue("lookalike", {"options": partial(listed, group=group)}))
    seats = round_row.options.seats
    if round_row.ballot_kind == "budget":
        if round_row.options.budget is None:
            issues.append(Issue("no-budget"))
        for proposal in slate:
            if proposal.cost_cents is None:
                issues.append(Issue("no-cost", {"title": proposal.title}))
    elif seats > len(slate):
        issues.append(Issue("seats-over-slate", {"seats": seats, "count": len(slate)}))
    issues += tie_order_issues(round_row, [p.title for p in slate])
    return issues


def tie_order_issues(round_row: Round, names: Sequence[str]) -> list[Issue]:
    """A tie order (mode ``candidate-order``) must name every option on the slate once."""
    options = round_row.options
    if options.tie_break != "candidate-order":
        return []
    missing = [n for n in names if n not in options.tie_order]
    unknown = [n for n in options.tie_order if n not in names]
    if missing or unknown:
        return [Issue("tie-order-slate", {"missing": missing or "-", "unknown": unknown or "-"})]
    return []


async def roll_size(db: AsyncSession, community_id: int) -> int | None:
    """Households on the community's roll now (active), ``None`` when it keeps no roll: the
    base of a households quorum, fixed when voting opens."""
    size = await db.scalar(
        select(func.count())
        .select_from(CommunityHousehold)
        .where(CommunityHousehold.community_id == community_id, CommunityHousehold.active)
    )
    return size or None


async def freeze(db: AsyncSession, round_row: Round, actor: Actor) -> None:
    """Open voting: refuse with the issues if any, else write the frozen slate,
    ``voting_at`` and, in a household round, the community roll's size (``roll_size``, the
    base of a households quorum), and move the process from collecting to deliberating."""
    issues = await issues_before_freeze(db, round_row)
    if issues:
        raise Conflict(
            "round-not-ready",
            issues=partial(issue_list, issues),
            detail={"issues": [i.en for i in issues], "issues_zh": [i.zh for i in issues]},
        )
    slate = await pending_slate(db, round_row.id)
    round_row.slate = [
        SlateOption(proposal_id=p.id, name=p.title, cost_cents=p.cost_cents) for p in slate
    ]
    round_row.voting_at = utcnow()
    process = await db.get(Process, round_row.process_id)
    if round_row.household_roll and process is not None:
        round_row.roll_size = await roll_size(db, process.community_id)
    if process is not None and process.phase is ProcessPhase.COLLECTING:
        process.phase = advance(ProcessPhase.COLLECTING, ProcessPhase.DELIBERATING)
        process.deliberating_at = round_row.voting_at
        record(db, actor, "process.deliberating", "process", process.id, round_id=round_row.id)
