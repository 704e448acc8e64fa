"""What the public board shows of a community, and the loop view of one process: every
agenda item with its published decisions, implementation tasks (notes and photos),
residents' feedback and close-outs. No ballot, code or voter appears here."""

from __future__ import annotations

from datetime import date

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from engine.process import ProcessPhase, RoundPhase
from engine.result import Result
from service.communities.controllers import find_community
from service.db import models
from service.loop import schemas
from service.loop.closeout import close_out_out, close_outs
from service.loop.feedback import feedback_out, process_feedback
from service.loop.tasks import process_tasks, tasks_out
from service.processes.repository import find_process, newest_processes
from service.zones import today


async def loop_view(db: AsyncSession, process_id: int, on: date | None = None) -> schemas.Loop:
    """A process's loop after the decision, for the secretary's page."""
    process = await find_process(db, process_id)
    tasks = await tasks_out(db, await process_tasks(db, process_id), on)
    return schemas.Loop(
        process_id=process_id,
        phase=process.phase,
        closed=process.phase is ProcessPhase.CLOSED,
        open_tasks=sum(t.status in schemas.OPEN_STATUSES for t in tasks),
        overdue_tasks=sum(t.overdue for t in tasks),
        tasks=tasks,
        feedback=[feedback_out(f) for f in await process_feedback(db, process_id)],
        close_outs=[close_out_out(c) for c in await close_outs(db, process_id)],
    )


async def decisions(db: AsyncSession, process_id: int) -> list[schemas.Decision]:
    """The process's published rounds and what they decided (result JSON read, ballots not)."""
    rows = await db.execute(
        select(models.Round, models.RoundResult)
        .join(models.RoundResult, models.RoundResult.round_id == models.Round.id)
        .where(
            models.Round.process_id == process_id,
            models.Round.phase == RoundPhase.PUBLISHED,
        )
        .order_by(models.Round.number)
    )
    out: list[schemas.Decision] = []
    for round_row, stored in rows:
        result = msgspec.json.decode(stored.result, type=Result)
        out.append(
            schemas.Decision(
                round_id=round_row.id,
                number=round_row.number,
                title=round_row.title,
                method=round_row.method,
                ballot_kind=round_row.ballot_kind,
                ballots=stored.ballots,
                codes_issued=stored.codes_issued,
                winners=list(result.winners),
                ballot_box_digest=stored.ballot_box_digest,
                published_at=round_row.published_at,
                bundle_url=f"/api/v1/rounds/{round_row.id}/bundle",
            )
        )
    return out


async def board(db: AsyncSession, community_id: int, on: date | None = None) -> schemas.Board:
    """A community's public board, newest process first."""
    community = await find_community(db, community_id)
    processes = await newest_processes(db, community_id)
    day = on or today(community.time_zone)
    shown: list[schemas.BoardProcess] = []
    for process in processes:
        loop = await loop_view(db, process.id, day)
        shown.append(
            schemas.BoardProcess(
                id=process.id,
                title=process.title,
                question=process.question,
                phase=process.phase,
                created_at=process.created_at,
                decided_at=process.decided_at,
                closed_at=process.closed_at,
                closed=loop.closed,
                withdrawn_reason=process.withdrawn_reason,
                decisions=await decisions(db, process.id),
                tasks=loop.tasks,
                feedback=loop.feedback,
                close_outs=loop.close_outs,
            )
        )
    return schemas.Board(community_id=community_id, community=community.name, processes=shown)
