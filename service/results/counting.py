"""Counting a closed round, in three steps that each fit in a short transaction or none:
:func:`read_box` reads the sealed envelopes (and checks the turnout), :func:`count_round`
opens and counts them in the worker process (:mod:`service.results.box_count`, no
transaction open), and :func:`store_count` writes the counted box and the result. How the
close strings them together — and what a failed count leaves — is :mod:`service.phases`;
:func:`close_round` runs all three in the caller's one transaction."""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from engine.result import to_json
from service import offload
from service.audit import record
from service.auth.guard import Actor
from service.db.models import PaperKeying, Round, RoundResult, VoterCode
from service.errors import Conflict, Unavailable
from service.logs import logger
from service.results import box_count, purge
from service.results.box_count import BoxCount, SealedBox
from service.results.opening import sealed_ballots, store_box
from service.rounds.settings import ballot_rules
from service.voting.channels import uncounted_counts

log = logger(__name__)


async def close_round(db: AsyncSession, round_row: Round, actor: Actor, secret_key: str) -> None:
    """Count a round whose voting is closing, in the caller's transaction (which holds the
    database's write lock on SQLite for the whole count: the facilitator's close uses the
    three steps apart instead, :func:`service.phases.close_voting`).

    It first locks the round (``FOR UPDATE`` on PostgreSQL, which waits for the cast
    transactions holding ``FOR SHARE`` on it; on SQLite the first write takes the database
    write lock, which waits for the writer's open transaction), so every cast in flight has
    landed before the ballots are read and none can land after; casts still queued are
    refused once the close commits.
    """
    await lock_uncounted(db, round_row.id)
    sealed = await read_box(db, round_row)
    counted = await count_round(secret_key, sealed)
    await store_count(db, round_row, actor, counted)


async def lock_uncounted(db: AsyncSession, round_id: int) -> None:
    """Lock the round against other closes (and, on PostgreSQL, casts); 409
    ``already-counted`` if it has its result."""
    await db.execute(select(Round.id).where(Round.id == round_id).with_for_update())
    if await db.scalar(select(RoundResult.round_id).where(RoundResult.round_id == round_id)):
        raise Conflict("already-counted", round_id=round_id)


async def read_box(db: AsyncSession, round_row: Round) -> SealedBox:
    """What counting the round needs (its envelopes, ballots already counted, rules and
    options), read without writing; 409 ``box-mismatch`` (:func:`check_turnout`) if the box
    does not hold one ballot per used code."""
    round_id = round_row.id
    envelopes, counted = await sealed_ballots(db, round_id)
    await check_turnout(db, round_id, len(envelopes) + len(counted))
    options = round_row.options
    return SealedBox(
        round_id=round_id,
        method=round_row.method,
        rules=ballot_rules(round_row),
        open_receipts=round_row.open_receipts,
        seats=options.seats,
        lot=options.tie_policy != "refuse",
        options=dict(options.own),
        tie_break=options.tie_mode(),
        envelopes=envelopes,
        counted=counted,
    )


async def count_round(secret_key: str, sealed: SealedBox) -> BoxCount:
    """Open and count ``sealed`` in the worker process (:func:`offload.run`), awaited without
        blocking the event loop. A tie that needs a lot when the tie policy is ``refuse`` raises
        :class:`~engine.errors.TieUnresolved`; a box with no ballots, or blank ones only, is a
        result of no decision (``Result.no_decision``), never a winner drawn by lot. A worker that
    dies twice is 503 ``count-worker-stopped``."""
    try:
        counted = await offload.run(box_count.count_box, secret_key, sealed)
    except Unavailable as exc:  # the worker died twice: say so in a count's words
        raise Unavailable("count-worker-stopped", round_id=sealed.round_id) from exc
    log.info(
        "round %d counted in process %d (%d ballots)",
        sealed.round_id,
        counted.worker,
        counted.box.count,
    )
    return counted


async def store_count(db: AsyncSession, round_row: Round, actor: Actor, counted: BoxCount) -> None:
    """Store a counted round in the caller's transaction: the counted box in tracker order
    (the idempotency records deleted), :class:`RoundResult`, the audit of ``round.counted``,
    and storage purged once this commits. Any sealed paper entry left (none can be keyed
    once the round is closed, :func:`service.paper.rounds.voting_round`) is deleted. The
    caller has locked the round and checked that it has no result yet."""
    round_id = round_row.id
    box, result = counted.box, counted.result
    await store_box(db, round_id, box)
    await db.execute(
        delete(PaperKeying)
        .where(PaperKeying.round_id == round_id)
        .execution_options(synchronize_session=False)
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
            comparison=counted.comparison,
            ballot_box_digest=box.digest,
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
        ballot_box_digest=box.digest,
        open_receipts=round_row.open_receipts,
        winners=list(result.winners),
        **undecided,
    )
    purge.after_commit(db)  # nothing of the voting outlives the count in storage


async def check_turnout(db: AsyncSession, round_id: int, ballots: int) -> None:
    """Refuse to count a box that does not hold one ballot per used code, less the codes
    used up by spoiled or blank paper ballots (counted apart, :mod:`service.voting.channels`):
    a code is marked used in the very transaction that stores its ballot or counts its
    spoiled or blank paper ballot, and only unused codes can be voided, so any difference
    means the stored box, codes or counts were altered."""
    marked = await db.scalar(
        select(func.count())
        .select_from(VoterCode)
        .where(VoterCode.round_id == round_id, VoterCode.status == "used")
    )
    used = int(marked or 0) - sum((await uncounted_counts(db, round_id)).values())
    if used != ballots:
        raise Conflict(
            "box-mismatch",
            round_id=round_id,
            ballots=ballots,
            used=used,
            detail={"ballots": ballots, "codes_used": used},
        )
