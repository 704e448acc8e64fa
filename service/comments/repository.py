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
from service.rounds.repository import find_round, slate_out


async def add_comment(
    db: AsyncSession, round_id: int, data: schemas.CommentCreate, actor: Actor
) -> models.Comment:
    """Record a comment; only while the round is in its comment phase."""
    round_row = await find_round(db, round_id)
    if round_row.phase is not RoundPhase.COMMENTING:
        raise Conflict("not-commenting", number=round_row.number, phase=round_row.phase)
    if not data.body.strip():
        raise Invalid("comment-empty", field="body")
    proposal_id = data.proposal_id
    if data.parent_id is not None:
        parent = await db.get(models.Comment, data.parent_id)
        if parent is None or parent.round_id != round_id:
            raise Invalid(
                "parent-not-in-round",
                field="parent_id",
                parent_id=data.parent_id,
                number=round_row.number,
            )
        if proposal_id is None:
            proposal_id = parent.proposal_id
    if proposal_id is not None:
        on_slate = {o.proposal_id for o in await slate_out(db, round_row)}
        if proposal_id not in on_slate:
            raise Invalid(
                "not-on-slate",
                field="proposal_id",
                proposal_id=proposal_id,
                number=round_row.number,
            )
    if data.prompt is not None and data.prompt >= len(round_row.prompts):
        raise Invalid(
            "unknown-prompt",
            field="prompt",
            number=round_row.number,
            prompts=len(round_row.prompts),
            prompt=data.prompt,
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
        raise Invalid("reason-required", field="reason")
    if comment.hidden_reason is not None:
        raise Conflict("already-hidden", comment_id=comment_id, hidden_reason=comment.hidden_reason)
    comment.hidden_reason = reason.strip()
    comment.hidden_by = actor.id
    record(db, actor, "comment.hidden", "comment", comment_id, reason=comment.hidden_reason)
    return comment


async def find_comment(db: AsyncSession, comment_id: int) -> models.Comment:
    comment = await db.get(models.Comment, comment_id)
    if comment is None:
        raise NotFound("no-comment", comment_id=comment_id)
    return comment


async def _names(db: AsyncSession, user_ids: Iterable[int | None]) -> dict[int, str]:
    ids = {i for i in user_ids if i is not None}
    if not ids:
        return {}
    rows = await db.execute(
        select(models.User.id, models.User.display_name).where(models.User.id.in_(ids))
    )
    return {row.id: row.display_name for row in rows}


async def option_names(db: AsyncSession, round_row: models.Round) -> dict[int, str]:
    """The name of every option a comment of the round may be about: the slate's (as the
    ballot shows it), and the proposal's title for one taken off the slate since."""
    names = {o.proposal_id: o.name for o in await slate_out(db, round_row)}
    commented = select(models.Comment.proposal_id).where(
        models.Comment.round_id == round_row.id, models.Comment.proposal_id.is_not(None)
    )
    rows = await db.execute(
        select(models.Proposal.id, models.Proposal.title).where(models.Proposal.id.in_(commented))
    )
    return {**{pid: title for pid, title in rows}, **names}


async def comments_out(
    db: AsyncSession, rows: list[models.Comment], round_row: models.Round
) -> list[schemas.Comment]:
    """Comments as staff see them, in the order given, each with the name of its option."""
    names = await _names(db, [c.recorded_by for c in rows] + [c.hidden_by for c in rows])
    options = await option_names(db, round_row)
    prompts = list(round_row.prompts)
    return [
        schemas.Comment(
            id=c.id,
            round_id=c.round_id,
            proposal_id=c.proposal_id,
            option=options.get(c.proposal_id) if c.proposal_id is not None else None,
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
    flat = await comments_out(db, rows, round_row)
    if not threaded:
        return flat
    by_id = {c.id: c for c in flat}
    top: list[schemas.Comment] = []
    for comment in flat:
        parent = by_id.get(comment.parent_id) if comment.parent_id is not None else None
        (parent.replies if parent is not None else top).append(comment)
    return top


async def summary(db: AsyncSession, round_id: int) -> schemas.CommentSummary:
    """Counts by stance per slate option, then the general comments (about the round as a
    whole, always a row even when there are none); an option commented on and taken off
    the slate since keeps its row, under its name. Hidden comments are only counted."""
    round_row = await find_round(db, round_id)
    rows = (
        await db.execute(
            select(
                models.Comment.proposal_id, models.Comment.stance, models.Comment.hidden_reason
            ).where(models.Comment.round_id == round_id)
        )
    ).all()
    names = await option_names(db, round_row)
    entries = {
        o.proposal_id: schemas.ProposalComments(o.proposal_id, o.name, schemas.StanceCounts())
        for o in await slate_out(db, round_row)
    }
    general = schemas.ProposalComments(None, "", schemas.StanceCounts(), whole_round=True)
    hidden = 0
    for proposal_id, stance, hidden_reason in rows:
        if hidden_reason is not None:
            hidden += 1
            continue
        if proposal_id is None:
            entry = general
        elif proposal_id in entries:
            entry = entries[proposal_id]
        else:
            name = names.get(proposal_id, "")
            entry = schemas.ProposalComments(proposal_id, name, schemas.StanceCounts())
            entries[proposal_id] = entry
        setattr(entry.counts, stance, getattr(entry.counts, stance) + 1)
        entry.counts.total += 1
    return schemas.CommentSummary(
        round_id=round_id,
        visible=len(rows) - hidden,
        hidden=hidden,
        proposals=[*entries.values(), general],
    )
