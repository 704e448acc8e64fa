"""The round's paper ballots by state, for the console and the API (no entry's content)."""

from __future__ import annotations

from typing import cast

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from service.auth.guard import Actor
from service.db.models import PaperKeying, PaperSerial
from service.errors import Conflict
from service.paper.rounds import last_serial
from service.paper.schemas import PENDING, PaperSummary, SerialLine, SerialState
from service.rounds.repository import find_round

LISTED = 200
"""Serials a summary lists, newest first (the counts cover them all)."""


async def paper_summary(db: AsyncSession, round_id: int, actor: Actor) -> PaperSummary:
    await find_round(db, round_id)
    rows = (
        await db.execute(
            select(PaperSerial.serial, PaperSerial.state, PaperSerial.reason)
            .where(PaperSerial.round_id == round_id)
            .order_by(PaperSerial.serial.desc())
        )
    ).all()
    keyed: dict[int, list[int | None]] = {}
    for serial, clerk in await db.execute(
        select(PaperKeying.serial, PaperKeying.clerk_id).where(PaperKeying.round_id == round_id)
    ):
        keyed.setdefault(serial, []).append(clerk)
    counts = {state: 0 for state in ("keying", "mismatch", "agreed", "cast", "spoiled", "blank")}
    counts["refused"] = 0
    for _, state, _ in rows:
        counts[state] = counts.get(state, 0) + 1
    lines = [
        SerialLine(
            serial=serial,
            state=cast(SerialState, state),
            entries=len(keyed.get(serial, [])),
            keyed_by_you=actor.id is not None and actor.id in keyed.get(serial, []),
            reason=reason,
        )
        for serial, state, reason in rows[:LISTED]
    ]
    return PaperSummary(
        round_id=round_id,
        printed=await last_serial(db, round_id),
        pending=sum(counts[s] for s in PENDING),
        serials=lines,
        **counts,
    )


async def pending_count(db: AsyncSession, round_id: int) -> int:
    """Paper ballots of the round still being keyed, adjudicated or cast."""
    rows = await db.scalars(
        select(PaperSerial.state).where(
            PaperSerial.round_id == round_id, PaperSerial.state.in_(sorted(PENDING))
        )
    )
    return len(list(rows))


async def refuse_paper_pending(db: AsyncSession, round_id: int) -> None:
    """Refuse to close a round while paper ballots are still being keyed, wait for a
    decision or are being cast (409 ``paper-pending``): a second clerk keys the one entry
    (a ballot lost meanwhile is keyed as spoiled, and a third person decides), a third
    person decides the mismatches, any entry of an agreed serial settles it again."""
    count = await pending_count(db, round_id)
    if count:
        raise Conflict("paper-pending", round_id=round_id, count=count, detail={"count": count})
