"""The guessing budgets in the database, shared by every app worker: charging a device for
an unknown code, the devices locked out now, what a round has seen lately, and forgetting.

Only unknown codes are written (they are rare); a cast that succeeds reads nothing here
(:mod:`service.voting.lockouts` keeps each process's view of the locked devices).
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import Insert, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from service.db.models import CodeGuess, GuessBudget
from service.voting.guesses import DAY, Budget, Spent

KEEP: Final = DAY
"""Seconds an unknown code's row is kept, and a device's row after its budget is full again."""


def _new_device(db: AsyncSession, device: str, round_id: int) -> Insert:
    """``INSERT … ON CONFLICT DO NOTHING`` of a device with a full budget, in the dialect."""
    fresh = {
        "device": device,
        "round_id": round_id,
        "burst_full_at": 0.0,
        "day_full_at": 0.0,
        "locked_until": 0.0,
    }
    if db.get_bind().dialect.name == "sqlite":
        return sqlite.insert(GuessBudget).values(fresh).on_conflict_do_nothing()
    return postgresql.insert(GuessBudget).values(fresh).on_conflict_do_nothing()


async def charge(
    maker: async_sessionmaker[AsyncSession],
    budget: Budget,
    device: str,
    round_id: int,
    now: float,
) -> float:
    """Spend one guess of ``device`` (a keyed hash) for an unknown code tried in
    ``round_id`` at ``now``, in a transaction of its own; from when it may try again (in
    the past if it may now). A lockout this starts is kept as the device's latest.

    The device's row is locked before it is read (the insert takes SQLite's write lock;
    ``FOR UPDATE`` PostgreSQL's row lock), so workers charging the same device at once
    each spend a guess: none is lost."""
    async with maker() as db, db.begin():
        await db.execute(_new_device(db, device, round_id))
        row = (
            await db.execute(
                select(GuessBudget.burst_full_at, GuessBudget.day_full_at, GuessBudget.locked_until)
                .where(GuessBudget.device == device)
                .with_for_update()
            )
        ).one()
        spent = budget.spend(Spent(row.burst_full_at, row.day_full_at), now)
        until = budget.opens_at(spent)
        lockout = until if until > now else row.locked_until  # the latest lockout's end
        await db.execute(
            update(GuessBudget)
            .where(GuessBudget.device == device)
            .values(
                round_id=round_id,
                burst_full_at=spent.burst_full_at,
                day_full_at=spent.day_full_at,
                locked_until=lockout,
            )
        )
        await db.execute(insert(CodeGuess).values(round_id=round_id, guessed_at=now))
    return until


async def locked(db: AsyncSession, now: float) -> dict[str, float]:
    """Every device locked out at ``now``: keyed hash → from when it may try again."""
    rows = await db.execute(
        select(GuessBudget.device, GuessBudget.locked_until).where(GuessBudget.locked_until > now)
    )
    return {device: until for device, until in rows}


async def seen(db: AsyncSession, round_id: int, since: float) -> tuple[int, int]:
    """Unknown codes tried in the round since ``since``, and devices whose latest unknown
    code was in the round and that were locked out at some time since then."""
    unknown = await db.scalar(
        select(func.count())
        .select_from(CodeGuess)
        .where(CodeGuess.round_id == round_id, CodeGuess.guessed_at >= since)
    )
    devices = await db.scalar(
        select(func.count())
        .select_from(GuessBudget)
        .where(GuessBudget.round_id == round_id, GuessBudget.locked_until > since)
    )
    return unknown or 0, devices or 0


async def forget(maker: async_sessionmaker[AsyncSession], now: float) -> None:
    """Delete unknown codes older than :data:`KEEP`, and devices whose budget has been full
    again for as long (a fresh row would say the same)."""
    cutoff = now - KEEP
    async with maker() as db, db.begin():
        await db.execute(delete(CodeGuess).where(CodeGuess.guessed_at < cutoff))
        await db.execute(
            delete(GuessBudget).where(
                GuessBudget.day_full_at < cutoff,
                GuessBudget.burst_full_at < cutoff,
            )
        )
