"""Assisted voting: a resident helped by a person of their choice (``chosen``) or by two
staff together (``staff``). The console records that it happened and by which kind of
helper; only a count per round and kind is kept (no time, no helper, no household, nothing
of the ballot: docs/security.md, "Assisted voting")."""

from __future__ import annotations

from typing import Literal

from msgspec import Struct
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from engine.process import RoundPhase
from service.audit import record
from service.auth.guard import Actor
from service.db.models import AssistanceCount
from service.errors import Conflict
from service.rounds.repository import find_round

HelperKind = Literal["chosen", "staff"]
HELPER_KINDS: tuple[HelperKind, ...] = ("chosen", "staff")


class AssistanceRecord(Struct, forbid_unknown_fields=True):
    """One assisted vote: ``chosen`` (a person of the resident's choice) or ``staff`` (two
    staff together)."""

    kind: HelperKind


class Assistance(Struct):
    """Assisted votes of a round so far, by kind of helper."""

    round_id: int
    chosen: int = 0
    staff: int = 0

    @property
    def total(self) -> int:
        return self.chosen + self.staff


async def assistance(db: AsyncSession, round_id: int) -> Assistance:
    """The round's assisted votes by kind."""
    rows = await db.execute(
        select(AssistanceCount.kind, AssistanceCount.count).where(
            AssistanceCount.round_id == round_id
        )
    )
    counts = {kind: n for kind, n in rows}
    return Assistance(
        round_id=round_id, chosen=counts.get("chosen", 0), staff=counts.get("staff", 0)
    )


async def record_assistance(
    db: AsyncSession, round_id: int, kind: HelperKind, actor: Actor
) -> Assistance:
    """Count one assisted vote of ``kind`` while the round votes (409 ``assistance-closed``
    otherwise); audited as ``assistance.recorded`` with the kind only."""
    round_row = await find_round(db, round_id)
    if round_row.phase != RoundPhase.VOTING:
        raise Conflict("assistance-closed", round_id=round_id, phase=round_row.phase)
    bump = (
        update(AssistanceCount)
        .where(AssistanceCount.round_id == round_id, AssistanceCount.kind == kind)
        .values(count=AssistanceCount.count + 1)
        .execution_options(synchronize_session=False)
    )
    if (await db.execute(bump)).rowcount == 0:  # type: ignore[attr-defined]
        try:
            async with db.begin_nested():
                db.add(AssistanceCount(round_id=round_id, kind=kind, count=1))
        except IntegrityError:  # another facilitator counted the first one meanwhile
            await db.execute(bump)
    record(db, actor, "assistance.recorded", "round", round_id, kind=kind)
    return await assistance(db, round_id)
