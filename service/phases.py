"""Moving a round through its phases: the one place where rounds, voting and results meet.
Closing a round's voting counts its ballot box, so this sits above all three (results build
on voting, voting on rounds, and none of them imports back).

Closing is three short steps, so that no transaction stays open while the box is counted
(on SQLite an open write transaction holds the database's one write lock, and every cast
of every other round would wait for the count):

1. the round moves to closed and that commits (``round.closed``): from then on no cast can
   land, and every cast in flight has landed;
2. its sealed envelopes are read (a read only) and opened and counted in the worker process
   (:mod:`service.results.box_count`) with no transaction open;
3. the counted box and the result are stored (``round.counted``) if the round is still
   closed without a result — otherwise 409 ``already-counted``, or ``count-overtaken`` if
   another server process's failed count put it back into voting — and the storage is
   purged.

A count that fails — a tie the round may not draw, a box that does not match its codes or
does not open, the worker stopping — stores nothing and puts the round back into voting, as
if the close had not happened (``round.count-failed`` in the audit log, with the refusal's
key); the refusal is answered as it is. A close stopped half-way by the server stopping
leaves the round closed without a result: the server counts it when it starts again
(:func:`finish_closes`), and asking to close it again counts it too.

A tie that the round's tie-break mode asks the facilitator to decide (``ask``,
``later-round-then-ask``) is not a failure: the round stays closed without a result, the
question kept with it (:mod:`service.results.ties`, 409 ``tie-question``), until the
facilitator answers (:func:`answer_tie`), which counts it again with every answer so far.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Final

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from engine.errors import TieUnresolved
from engine.process import RoundPhase
from service.audit import record
from service.auth.guard import Actor
from service.db.models import Round, RoundResult
from service.db.session import sessionmaker
from service.errors import Conflict, refusal_of
from service.logs import logger
from service.paper.summary import refuse_paper_pending
from service.records.labels import tie_question
from service.results import counting, ties
from service.rounds.repository import advance_round, find_round

log = logger(__name__)

SERVER = Actor(id=None, name="server", role="server")
"""Who the audit log names for a close the server finishes on its own at start."""

_COUNTING: Final[set[int]] = set()
"""Rounds this process is counting now: a second close of one of them is refused as a move
to the phase it is in, not counted twice."""


async def change_phase(
    db: AsyncSession, round_id: int, to: RoundPhase, actor: Actor, secret_key: str
) -> Round:
    """Move a round to phase ``to``: opening voting freezes it, closing opens the box with
    the round's key (derived from ``secret_key``) and counts it (:func:`close_voting`).

    Closing commits on its own (module docstring): ``db`` must not have written anything
    yet; the round is read back through it once counted."""
    if to is not RoundPhase.CLOSED:
        return await advance_round(db, round_id, to, actor)
    engine = db.bind
    if not isinstance(engine, AsyncEngine):
        raise TypeError("closing a round needs a session bound to an engine")
    await close_voting(engine, round_id, actor, secret_key)
    round_row = await db.get(Round, round_id, populate_existing=True)
    assert round_row is not None  # it was just closed
    return round_row


async def close_voting(engine: AsyncEngine, round_id: int, actor: Actor, secret_key: str) -> None:
    """Close the round's voting and count it in three steps (module docstring)."""
    maker = sessionmaker(engine)
    mine = False
    try:
        async with maker() as db, db.begin():
            round_row = await find_round(db, round_id, for_update=True)
            if not await _unfinished(db, round_row):
                await refuse_paper_pending(db, round_id)
                await advance_round(db, round_id, RoundPhase.CLOSED, actor)
            _COUNTING.add(round_id)
            mine = True
        async with maker() as db, db.begin():
            sealed = await counting.read_box(db, await find_round(db, round_id))
        counted = await counting.count_round(secret_key, sealed)
        async with maker() as db, db.begin():
            await counting.lock_uncounted(db, round_id)
            round_row = await find_round(db, round_id)
            if round_row.phase is not RoundPhase.CLOSED:  # another server process's close
                raise Conflict("count-overtaken", round_id=round_id, phase=round_row.phase)
            await counting.store_count(db, round_row, actor, counted)
    except BaseException as exc:
        if mine and isinstance(exc, TieUnresolved) and exc.asked:
            async with maker() as db, db.begin():
                await ties.keep_question(db, round_id, exc, actor)
            question = ties.question_of(exc)
            raise Conflict(
                "tie-question",
                question=partial(tie_question, question),
                detail={"tie": msgspec.to_builtins(question)},
            ) from exc
        if mine:
            await _back_to_voting(maker, round_id, actor, exc)
        raise
    finally:
        if mine:
            _COUNTING.discard(round_id)


async def answer_tie(
    db: AsyncSession, round_id: int, chosen: Sequence[str], actor: Actor, secret_key: str
) -> None:
    """Store the facilitator's answer to the tie the round's count waits on
    (:func:`service.results.ties.store_answer`) and count the round again with every
    answer so far: it is counted, or the next tie is asked (409 ``tie-question``). Like
    closing, it commits on its own: ``db`` must not have written anything."""
    engine = db.bind
    if not isinstance(engine, AsyncEngine):
        raise TypeError("answering a tie needs a session bound to an engine")
    async with sessionmaker(engine)() as own, own.begin():
        await ties.store_answer(own, round_id, chosen, actor)
    await close_voting(engine, round_id, actor, secret_key)


async def _unfinished(db: AsyncSession, round_row: Round) -> bool:
    """Whether the round is closed without a result and nobody here is counting it: a close
    the server stopped half-way, which counting again finishes."""
    if round_row.phase is not RoundPhase.CLOSED or round_row.id in _COUNTING:
        return False
    return await db.get(RoundResult, round_row.id) is None


async def _back_to_voting(
    maker: async_sessionmaker[AsyncSession], round_id: int, actor: Actor, exc: BaseException
) -> None:
    """Undo the close of a round whose count failed (module docstring), unless another close
    has stored its result meanwhile; a database that refuses this too leaves the round closed
    without a result, which a second close counts."""
    why = refusal_of(exc).key
    try:
        async with maker() as db, db.begin():
            round_row = await find_round(db, round_id, for_update=True)
            counted = await db.get(RoundResult, round_id)
            if round_row.phase is not RoundPhase.CLOSED or counted is not None:
                return
            round_row.phase = RoundPhase.VOTING
            round_row.closed_at = None
            if round_row.options.tie_answers or round_row.options.tie_question is not None:
                # more ballots may come: a tie met later is asked afresh, never answered
                # by a decision taken over other ballots
                round_row.options = msgspec.structs.replace(
                    round_row.options, tie_answers=[], tie_question=None
                )
            record(db, actor, "round.count-failed", "round", round_id, reason=why)
    except Exception:
        log.exception("round %d: the count failed and the close could not be undone", round_id)


async def finish_closes(engine: AsyncEngine, secret_key: str) -> list[int]:
    """Count every round a stopped server left closed without a result (at start, so no
    facilitator meets a round that is neither voting nor counted). A count that fails puts
    its round back into voting, as any failed close does; the rounds counted are answered.
    A round waiting for the facilitator to settle a tie (``ask``) is left waiting."""
    async with sessionmaker(engine)() as db:
        left = await db.scalars(
            select(Round)
            .outerjoin(RoundResult, RoundResult.round_id == Round.id)
            .where(Round.phase == RoundPhase.CLOSED, RoundResult.round_id.is_(None))
            .order_by(Round.id)
        )
        # a round whose count stopped at a tie for the facilitator waits for the answer
        unfinished = [r.id for r in left if r.options.tie_question is None]
    counted = []
    for round_id in unfinished:
        try:
            await close_voting(engine, round_id, SERVER, secret_key)
        except Exception:  # refused or failed: logged, and the round is back in voting
            log.exception("round %d: the close left unfinished could not be counted", round_id)
        else:
            counted.append(round_id)
    return counted
