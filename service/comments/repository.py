"""Comments: recording them during the comment phase, reading them threaded or flat,
hiding them with a reason, and counting stances per option."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from engine.process import RoundPhase
from service.audit import record
from service.auth.guard import Actor
from service.comments import schemas
from service.db import models
from service.errors import Conflict, Invalid, NotFound
from service.refusals import phase_name
from service.rounds.repository import find_round, slate_out


async def add_comment(
    db: AsyncSession, round_id: int, data: schemas.CommentCreate, actor: Actor
) -> models.Comment:
    """Record a comment; only while the round is in its comment phase."""
    round_row = await find_round(db, round_id)
    if round_row.phase is not RoundPhase.COMMENTING:
        raise Conflict(
            f"round {round_row.number} is {round_row.phase}, not commenting: comments are "
            "taken only in the comment phase",
            code="not-commenting",
            zh=f"第 {round_row.number} 轮当前不在讨论阶段"
            f"（{phase_name(round_row.phase, 'round')}），不能记录发言",
        )
    if not data.body.strip():
        raise Invalid("the comment is empty", zh="发言内容不能为空", field="body")
    proposal_id = data.proposal_id
    if data.parent_id is not None:
        parent = await db.get(models.Comment, data.parent_id)
        if parent is None or parent.round_id != round_id:
            raise Invalid(
                f"comment {data.parent_id} is not a comment of round {round_row.number}: "
                "a reply answers a comment of the same round",
                code="parent-not-in-round",
                zh=f"第 {data.parent_id} 条发言不属于本轮，只能回复本轮的发言",
                field="parent_id",
            )
        if proposal_id is None:
            proposal_id = parent.proposal_id
    if proposal_id is not None:
        on_slate = {o.proposal_id for o in await slate_out(db, round_row)}
        if proposal_id not in on_slate:
            raise Invalid(
                f"proposal {proposal_id} is not on the slate of round {round_row.number}",
                code="not-on-slate",
                zh=f"方案 {proposal_id} 不在本轮的候选名单上",
                field="proposal_id",
            )
    if data.prompt is not None and data.prompt >= len(round_row.prompts):
        raise Invalid(
            f"round {round_row.number} has {len(round_row.prompts)} prompts (numbered from 0); "
            f"there is no prompt {data.prompt}",
            code="unknown-prompt",
            zh=f"本轮只有 {len(round_row.prompts)} 个讨论提示（从 0 开始编号），"
            f"没有第 {data.prompt} 个",
            field="prompt",
        )
    comment = models.Comment(
        round_id=round_id,
        proposal_id=proposal_id,
        parent_id=data.parent_id,
        prompt=data.prompt,
        stance=data.stance,
        body=data.body,
        speaker=data.speaker.strip(),
        recorded_by=actor.id,
    )
    db.add(comment)
    await db.flush()
    record(
        db,
        actor,
        "comment.created",
        "comment",
        comment.id,
        round_id=round_id,
        stance=data.stance,
        proposal_id=proposal_id,
        parent_id=data.parent_id,
    )
    return comment


async def hide_comment(
    db: AsyncSession, comment_id: int, reason: str, actor: Actor
) -> models.Comment:
    """Hide a comment with a reason; its text stays stored."""
    comment = await find_comment(db, comment_id)
    if not reason.strip():
        raise Invalid(
            "say why the comment is hidden: the reason is kept with it",
            code="reason-required",
            zh="请填写隐藏理由，理由会与发言一起保存",
            field="reason",
        )
    if comment.hidden_reason is not None:
        raise Conflict(
            f"comment {comment_id} is already hidden ({comment.hidden_reason})",
            code="already-hidden",
            zh=f"第 {comment_id} 条发言已被隐藏（{comment.hidden_reason}）",
        )
    comment.hidden_reason = reason.strip()
    comment.hidden_by = actor.id
    record(db, actor, "comment.hidden", "comment", comment_id, reason=comment.hidden_reason)
    return comment


async def find_comment(db: AsyncSession, comment_id: int) -> models.Comment:
    comment = await db.get(models.Comment, comment_id)
    if comment is None:
        raise NotFound(f"there is no comment {comment_id}", zh=f"没有编号为 {comment_id} 的发言")
    return comment


async def _names(db: AsyncSession, user_ids: Iterable[int | None]) -> dict[int, str]:
    ids = {i for i in user_ids if i is not None}
    if not ids:
        return {}
    rows = await db.execute(
        select(models.User.id, models.User.display_name).where(models.User.id.in_(ids))
    )
    return {row.id: row.display_name for row in rows}


async def comments_out(
    db: AsyncSession, rows: list[models.Comment], prompts: list[str]
) -> list[schemas.Comment]:
    """Comments as staff see them, in the order given."""
    names = await _names(db, [c.recorded_by for c in rows] + [c.hidden_by for c in rows])
    return [
        schemas.Comment(
            id=c.id,
            round_id=c.round_id,
            proposal_id=c.proposal_id,
            parent_id=c.parent_id,
            prompt=c.prompt,
            prompt_text=prompts[c.prompt]
            if c.prompt is not None and c.prompt < len(prompts)
            else None,
            stance=c.stance,
            body=c.body,
            speaker=c.speaker,
            recorded_by=names.get(c.recorded_by) if c.recorded_by else None,
            created_at=c.created_at,
            hidden=c.hidden_reason is not None,
            hidden_reason=c.hidden_reason,
            hidden_by=names.get(c.hidden_by) if c.hidden_by else None,
            replies=[],
        )
        for c in rows
    ]


async def list_comments(
    db: AsyncSession, round_id: int, *, threaded: bool
) -> list[schemas.Comment]:
    """A round's comments, oldest first: flat (each with its parent id) or threaded
    (top-level comments with their replies nested)."""
    round_row = await find_round(db, round_id)
    rows = list(
        (
            await db.scalars(
                select(models.Comment)
                .where(models.Comment.round_id == round_id)
                .order_by(models.Comment.id)
            )
        ).all()
    )
    flat = await comments_out(db, rows, list(round_row.prompts))
    if not threaded:
        return flat
    by_id = {c.id: c for c in flat}
    top: list[schemas.Comment] = []
    for comment in flat:
        parent = by_id.get(comment.parent_id) if comment.parent_id is not None else None
        (parent.replies if parent is not None else top).append(comment)
    return top


async def summary(db: AsyncSession, round_id: int) -> schemas.CommentSummary:
    """Counts by stance per slate option (and for the round as a whole), hidden left out."""
    round_row = await find_round(db, round_id)
    rows = (
        await db.execute(
            select(
                models.Comment.proposal_id, models.Comment.stance, models.Comment.hidden_reason
            ).where(models.Comment.round_id == round_id)
        )
    ).all()
    entries = [
        schemas.ProposalComments(
            proposal_id=o.proposal_id, name=o.name, counts=schemas.StanceCounts()
        )
        for o in await slate_out(db, round_row)
    ]
    entries.append(
        schemas.ProposalComments(proposal_id=None, name="", counts=schemas.StanceCounts())
    )
    by_proposal = {e.proposal_id: e.counts for e in entries}
    hidden = 0
    for proposal_id, stance, hidden_reason in rows:
        if hidden_reason is not None:
            hidden += 1
            continue
        counts = by_proposal.get(proposal_id)
        if counts is None:  # an option taken off the slate after it was commented on
            counts = schemas.StanceCounts()
            by_proposal[proposal_id] = counts
            entries.insert(-1, schemas.ProposalComments(proposal_id, "", counts))
        setattr(counts, stance, getattr(counts, stance) + 1)
        counts.total += 1
    return schemas.CommentSummary(
        round_id=round_id, visible=len(rows) - hidden, hidden=hidden, proposals=entries
    )
