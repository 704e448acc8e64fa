"""Moving a round through its phases: the one place where rounds, voting and results meet.
Closing a round's voting counts its ballot box, so this sits above all three (results build
on voting, voting on rounds, and none of them imports back)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from engine.process import RoundPhase
from service.auth.guard import Actor
from service.db.models import Round
from service.results.counting import close_round
from service.rounds.repository import advance_round


async def change_phase(
    db: AsyncSession, round_id: int, to: RoundPhase, actor: Actor, secret_key: str
) -> Round:
    """Move a round to phase ``to``: opening voting freezes it, closing opens the box with
    the round's key (derived from ``secret_key``) and counts it."""
    round_row = await advance_round(db, round_id, to, actor)
    if round_row.phase is RoundPhase.CLOSED:
        await close_round(db, round_row, actor, secret_key)
    return round_row
