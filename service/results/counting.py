"""Closing a round: the ballots go straight from one Core SELECT into the engine's arrays
(no ORM object per ballot), the ballot box is digested, counted and the result stored."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import msgspec
import numpy as np
from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ballots.digest import lot_seed
from ballots.kinds import BallotRules
from engine.compare import compare
from engine.profile import ApprovalProfile, Profile, RankedProfile, ScoreProfile
from engine.registry import get_method, tally
from engine.result import to_json
from service.audit import record
from service.auth.guard import Actor
from service.db.models import Ballot, CastKey, Round, RoundResult, VoterCode
from service.errors import Conflict
from service.results.seal import seal
from service.voting.casting import ballot_rules

NOT_METHOD_OPTIONS = frozenset({"seats", "tie_policy", "budget"})
"""Round options that are not passed to the method as its own options."""


def tracker_order(db: AsyncSession) -> ColumnElement[str]:
    """The tracker column compared byte by byte (PostgreSQL collations may differ)."""
    if db.get_bind().dialect.name == "postgresql":
        return Ballot.tracker.collate("C")
    return Ballot.tracker.expression


class Box(msgspec.Struct, frozen=True):
    """A round's ballot box as the count needs it: its digest, and every ballot's marks
    (``count`` rows of int16, in tracker order) in one byte string."""

    digest: str
    marks: bytes
    count: int


PG_BOX = """
SELECT encode(sha256(convert_to(coalesce(string_agg(
           tracker || E'\\t' || content || E'\\n', '' ORDER BY tracker COLLATE "C"), ''),
           'UTF8')), 'hex'),
       coalesce(string_agg(marks, ''::bytea ORDER BY tracker COLLATE "C"), ''::bytea),
       count(*)
FROM ballots WHERE round_id = $1
"""
"""On PostgreSQL the server itself digests the box and joins the marks: one row comes
back instead of a million (``sha256`` of the same bytes :func:`box_digest` hashes)."""


async def read_box(db: AsyncSession, round_id: int) -> Box:
    """The round's ballot box, read inside the session's transaction by the database driver
    itself: no ORM (or even Core) row object is built per ballot."""
    connection = await db.connection()
    driver = (await connection.get_raw_connection()).driver_connection
    if connection.dialect.name == "postgresql":
        digest, marks, count = await driver.fetchrow(PG_BOX, round_id)  # type: ignore[union-attr]
        return Box(digest=digest, marks=bytes(marks), count=int(count))
    if connection.dialect.name == "sqlite":
        # the table is clustered on (round_id, tracker): this is one sequential range scan
        rows = list(
            await driver.execute_fetchall(  # type: ignore[union-attr]
                "SELECT marks, tracker, content FROM ballots WHERE round_id = ? ORDER BY tracker",
                (round_id,),
            )
        )
    else:
        result = await db.execute(
            select(Ballot.marks, Ballot.tracker, Ballot.content)
            .where(Ballot.round_id == round_id)
            .order_by(tracker_order(db))
        )
        rows = list(result.all())
    return Box(digest=box_digest(rows), marks=b"".join(row[0] for row in rows), count=len(rows))


def box_digest(rows: Sequence[Any]) -> str:
    """:func:`ballots.digest.ballot_box_digest` of rows ``(marks, tracker, content)`` sorted
    by tracker, hashed straight from the stored canonical JSON (nothing decoded)."""
    lines = "".join([f"{row[1]}\t{row[2]}\n" for row in rows])
    return hashlib.sha256(lines.encode()).hexdigest()


def profile_of(rules: BallotRules, marks: bytes, count: int) -> Profile:
    """The engine profile of the stored marks (one int16 row per ballot, slate order)."""
    m = len(rules.candidates)
    table = np.frombuffer(marks, "<i2").reshape(count, m).astype(np.int64)
    if rules.kind == "ranked":
        return RankedProfile.from_ranks(rules.candidates, table)
    if rules.kind == "score":
        return ScoreProfile.from_matrix(rules.candidates, table, max_score=rules.max_score)
    return ApprovalProfile.from_matrix(
        rules.candidates, table, costs=rules.costs, budget=rules.budget
    )


async def close_round(db: AsyncSession, round_row: Round, actor: Actor) -> None:
    """Count a round whose voting is closing, in the caller's transaction.

    It first locks the round (``FOR UPDATE`` on PostgreSQL, which waits for the cast
    transactions holding ``FOR SHARE`` on it; on SQLite the first write takes the database
    write lock, which waits for the writer's open transaction), so every cast in flight has
    landed before the ballots are read and none can land after; casts still queued are
    refused once the close commits.
    Deletes the round's idempotency keys, counts, stores :class:`RoundResult`, audits
    ``round.counted``, and has the box sealed once this commits
    (:mod:`service.results.seal`). A tie that needs a lot when the tie policy is ``refuse``
    raises :class:`~engine.errors.TieUnresolved` and nothing is stored.
    """
    round_id = round_row.id
    await db.execute(select(Round.id).where(Round.id == round_id).with_for_update())
    await db.execute(delete(CastKey).where(CastKey.round_id == round_id))
    if await db.scalar(select(RoundResult.round_id).where(RoundResult.round_id == round_id)):
        raise Conflict(
            f"round {round_id} has already been counted",
            code="already-counted",
            zh="本轮已经计票",
        )
    box = await read_box(db, round_id)
    digest = box.digest
    rules = ballot_rules(round_row)
    profile = profile_of(rules, box.marks, box.count)
    options: dict[str, Any] = dict(round_row.options or {})
    seats = int(options.get("seats") or 1)
    seed = None if options.get("tie_policy") == "refuse" else lot_seed(digest)
    accepted = get_method(round_row.method).options
    own = {k: v for k, v in options.items() if k in accepted and k not in NOT_METHOD_OPTIONS}
    result = tally(round_row.method, profile, seats=seats, seed=seed, **own)
    comparison = None
    if isinstance(profile, RankedProfile):
        comparison = msgspec.json.encode(
            compare(profile, seats=seats, seed=seed), order="deterministic"
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
            ballots=box.count,
            codes_issued=issued or 0,
        )
    )
    record(
        db,
        actor,
        "round.counted",
        "round",
        round_id,
        method=round_row.method,
        ballots=box.count,
        ballot_box_digest=digest,
        winners=list(result.winners),
    )
    await seal(db, round_id, box.count)  # no storage order outlives the count
