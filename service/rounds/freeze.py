"""Freezing a round when voting opens (the slate, method, options, roll and receipts become
fixed), what must be fixed before that (:func:`issues_before_freeze`), and the refusals of
changes to a frozen or a cancelled round."""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from engine.process import ProcessPhase, RoundPhase, advance
from service.audit import record
from service.auth.guard import Actor
from service.communities.controllers import zone_of_process
from service.db.base import utcnow
from service.db.models import Process, Proposal, Round, RoundOption
from service.errors import Conflict
from service.i18n import text
from service.proposals.names import listed, lookalikes
from service.refusals import phase_name
from service.rounds.settings import SlateOption
from service.zones import moment

OPEN_PROCESS = (ProcessPhase.COLLECTING, ProcessPhase.DELIBERATING)
"""Process phases in which rounds may be set up and voting may open."""

_STATUS_ZH = {"withdrawn": "撤回", "merged": "合并"}


class Issue(NamedTuple):
    """One reason voting cannot open yet, in English and Chinese."""

    en: str
    zh: str


def is_frozen(round_row: Round) -> bool:
    return round_row.voting_at is not None


async def refuse_if_frozen(db: AsyncSession, round_row: Round) -> None:
    """Refuse (409 ``round-frozen``) any change to a round whose voting has opened, saying
    when in the community's time zone."""
    if round_row.voting_at is None:
        return
    zone = await zone_of_process(db, round_row.process_id)
    raise Conflict(
        f"voting opened at {moment(round_row.voting_at, zone, 'en')}: the slate, method, "
        "options, roll and receipts are fixed",
        code="round-frozen",
        zh=f"投票已于 {moment(round_row.voting_at, zone, 'zh')} 开始：候选名单、计票方法、"
        "参数、户籍名册和回执方式均已锁定，不能再修改",
        voting_at=round_row.voting_at.isoformat(),
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
    at = moment(when, zone, "en")
    raise Conflict(
        f"round {round_row.number} was cancelled at {at} ({round_row.cancel_reason}): "
        "set up a new round instead",
        code="round-cancelled",
        zh=f"第{round_row.number}轮已于 {moment(when, zone, 'zh')} 取消"
        f"（{round_row.cancel_reason}），不能再变动；如需投票请另建一轮",
        cancelled_at=when.isoformat() if when else None,
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
        issues.append(
            Issue(
                f"the process is {process.phase}: voting opens only while it is collecting "
                "or deliberating",
                f"议题处于“{phase_name(process.phase, 'process')}”阶段：只有在收集或协商阶段"
                "才能开始投票",
            )
        )
    slate = await pending_slate(db, round_row.id)
    if len(slate) < 2:
        issues.append(
            Issue(
                f"the slate has {len(slate)} option(s): a vote needs at least two; "
                "put proposals on the slate",
                f"候选名单只有 {len(slate)} 个方案，投票至少需要两个，请先添加方案",
            )
        )
    for proposal in slate:
        if proposal.status != "active":
            issues.append(
                Issue(
                    f"proposal {proposal.id} «{proposal.title}» is {proposal.status}: "
                    "take it off the slate",
                    f"方案「{proposal.title}」已{_STATUS_ZH.get(proposal.status, proposal.status)}"
                    "，请从候选名单中移除",
                )
            )
    for group in lookalikes(slate):
        issues.append(
            Issue(
                text("en", "option.lookalike", options=listed("en", group)),
                text("zh", "option.lookalike", options=listed("zh", group)),
            )
        )
    seats = round_row.options.seats
    if round_row.ballot_kind == "budget":
        if round_row.options.budget is None:
            issues.append(
                Issue(
                    "a budget round needs a budget: set options.budget (in yuan)",
                    "预算投票需要总预算：请在轮次设置中填写总预算（元）",
                )
            )
        for proposal in slate:
            if proposal.cost_cents is None:
                issues.append(
                    Issue(
                        f"«{proposal.title}» has no cost: a budget round needs a cost on "
                        "every option",
                        f"方案「{proposal.title}」没有造价：预算投票的每个方案都要有造价",
                    )
                )
    elif seats > len(slate):
        issues.append(
            Issue(
                f"seats ({seats}) is more than the number of options ({len(slate)}): "
                "lower seats or add options",
                f"席位数（{seats}）多于方案数（{len(slate)}）：请减少席位或增加方案",
            )
        )
    return issues


async def freeze(db: AsyncSession, round_row: Round, actor: Actor) -> None:
    """Open voting: refuse with the issues if any, else write the frozen slate and
    ``voting_at``, and move the process from collecting to deliberating."""
    issues = await issues_before_freeze(db, round_row)
    if issues:
        raise Conflict(
            "voting cannot open yet: " + "; ".join(i.en for i in issues),
            code="round-not-ready",
            zh="还不能开始投票：" + "；".join(i.zh for i in issues),
            issues=[i.en for i in issues],
            issues_zh=[i.zh for i in issues],
        )
    slate = await pending_slate(db, round_row.id)
    round_row.slate = [
        SlateOption(proposal_id=p.id, name=p.title, cost_cents=p.cost_cents) for p in slate
    ]
    round_row.voting_at = utcnow()
    process = await db.get(Process, round_row.process_id)
    if process is not None and process.phase is ProcessPhase.COLLECTING:
        process.phase = advance(ProcessPhase.COLLECTING, ProcessPhase.DELIBERATING)
        process.deliberating_at = round_row.voting_at
        record(db, actor, "process.deliberating", "process", process.id, round_id=round_row.id)
