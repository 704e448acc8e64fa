"""Closing a round: the ballot box is opened (:mod:`service.results.opening`), digested and
counted from the ballots' marks straight into the engine's arrays (no ORM object per
ballot), and the result stored."""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ballots.digest import lot_seed
from ballots.marks import profile_from_marks
from engine.compare import compare
from engine.profile import Profile, RankedProfile
from engine.registry import tally
from engine.result import Result, to_json
from service.audit import record
from service.auth.guard import Actor
from service.db.models import Round, RoundResult, VoterCode
from service.errors import Conflict
from service.results import purge
from service.results.opening import open_box
from service.rounds.settings import ballot_rules
from service.voting.sealing import RoundSeal


async def close_round(db: AsyncSession, round_row: Round, actor: Actor, secret_key: str) -> None:
    """Count a round whose voting is closing, in the caller's transaction.

    It first locks the round (``FOR UPDATE`` on PostgreSQL, which waits for the cast
    transactions holding ``FOR SHARE`` on it; on SQLite the first write takes the database
    write lock, which waits for the writer's open transaction), so every cast in flight has
    landed before the ballots are read and none can land after; casts still queued are
    refused once the close commits.
    Opens the box (its envelopes become ballot rows in tracker order, or with sealed
    receipts the tracker list and the content list apart; envelopes and idempotency keys
    are deleted), counts off the event loop, stores :class:`RoundResult`,
    audits ``round.counted``, and has storage purged once this commits. A tie that needs a
    lot when the tie policy is ``refuse`` raises :class:`~engine.errors.TieUnresolved` and
    nothing is stored. A box with no ballots, or blank ones only, is closed with a stored
    result of no decision (``Result.no_decision``), never a winner drawn by lot.
    """
    round_id = round_row.id
    await db.execute(select(Round.id).where(Round.id == round_id).with_for_update())
    if await db.scalar(select(RoundResult.round_id).where(RoundResult.round_id == round_id)):
        raise Conflict(
            f"round {round_id} has already been counted",
            code="already-counted",
            zh="本轮已经计票",
        )
    rules = ballot_rules(round_row)
    seal = RoundSeal(secret_key, round_id)
    box = await open_box(
        db, seal, rules.kind, rules.candidates, open_receipts=round_row.open_receipts
    )
    await check_turnout(db, round_id, box.count)
    digest = box.digest
    profile = profile_from_marks(rules, box.marks)
    options = round_row.options
    seed = None if options.tie_policy == "refuse" else lot_seed(digest)
    result, comparison = await asyncio.to_thread(
        count, round_row.method, profile, options.seats, seed, dict(options.own)
    )
    issued = await db.scalar(
        select(func.count())
        .select_from(VoterCode)
        .where(VoterCode.round_id == round_id, VoterCode.status != "void")
    )
    db.add(
        RoundResult(
            round_id=round_id,
            result=to_json(result),
            comparison=comparison,
            ballot_box_digest=digest,
            trackers_digest=box.trackers_digest,
            contents_digest=box.contents_digest,
            ballots=box.count,
            codes_issued=issued or 0,
        )
    )
    undecided = {} if result.decided else {"no_decision": result.no_decision}
    record(
        db,
        actor,
        "round.counted",
        "round",
        round_id,
        method=round_row.method,
        ballots=box.count,
        ballot_box_digest=digest,
        open_receipts=round_row.open_receipts,
        winners=list(result.winners),
        **undecided,
    )
    purge.after_commit(db)  # nothing of the voting outlives the count in storage


async def check_turnout(db: AsyncSession, round_id: int, ballots: int) -> None:
    """Refuse to count a box that does not hold one ballot per used code: a code is marked
    used in the very transaction that stores its ballot, and only unused codes can be
    voided, so any difference means the stored box or codes were altered."""
    used = await db.scalar(
        select(func.count())
        .select_from(VoterCode)
        .where(VoterCode.round_id == round_id, VoterCode.status == "used")
    )
    if used != ballots:
        raise Conflict(
            f"the ballot box of round {round_id} holds {ballots} ballots but {used} codes "
            "were used: the stored ballots or codes were altered, so the round is not counted",
            code="box-mismatch",
            zh=f"本轮票箱中有 {ballots} 张选票，但已使用的投票码有 {used} 个：存储的选票或投票码"
            "被改动过，本轮暂不计票",
            ballots=ballots,
            codes_used=used,
        )


def count(
    method: str, profile: Profile, seats: int, seed: str | None, options: dict[str, Any]
) -> tuple[Result, bytes | None]:
    """The method's result and, for ranked ballots, the comparison of methods (canonical
    JSON). CPU work only: the close runs it off the event loop."""
    result = tally(method, profile, seats=seats, seed=seed, **options)
    if not isinstance(profile, RankedProfile):
        return result, None
    comparison = compare(profile, seats=seats, seed=seed)
    return result, msgspec.json.encode(comparison, order="deterministic")
