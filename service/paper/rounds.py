"""The round a paper ballot belongs to, as paper entry needs it: voting, of a kind printed
on paper, its slate known; and the serials printed for it so far."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ballots.kinds import BallotRules
from ballots.paper import PAPER_KINDS
from engine.process import RoundPhase
from service.db.models import PaperPrinting, Round
from service.errors import Conflict, NotFound
from service.rounds.settings import ballot_rules
from service.voting.casting import not_open


@dataclass(frozen=True, slots=True)
class PaperRound:
    round_id: int
    phase: RoundPhase
    rules: BallotRules


def on_paper(round_row: Round) -> BallotRules:
    """The round's ballot rules, if its ballots can be printed on paper (409
    ``paper-kind`` for score and budget ballots, ``paper-no-slate`` before the slate is
    known)."""
    if round_row.ballot_kind not in PAPER_KINDS:
        raise Conflict("paper-kind", round_id=round_row.id, kind=round_row.ballot_kind)
    if not round_row.slate:
        raise Conflict("paper-no-slate", round_id=round_row.id)
    return ballot_rules(round_row)


async def voting_round(db: AsyncSession, round_id: int) -> PaperRound:
    """The round, if paper ballots can be keyed into it now (404, 409 otherwise). Its row
    is read under a shared lock held to the end of the caller's transaction (PostgreSQL
    ``FOR SHARE``, as the ballot box's writer does): closing the round locks it for update,
    so no entry is stored after the close commits, and paper entries of a round never wait
    for each other."""
    round_row = await db.scalar(
        select(Round)
        .where(Round.id == round_id)
        .with_for_update(read=True)
        .execution_options(populate_existing=True)
    )
    if round_row is None:
        raise NotFound("no-round", round_id=round_id)
    rules = on_paper(round_row)
    if round_row.phase is not RoundPhase.VOTING:
        raise not_open(round_id, round_row.phase)
    return PaperRound(round_id, round_row.phase, rules)


async def last_serial(db: AsyncSession, round_id: int) -> int:
    """The last serial printed for the round (0: none yet)."""
    last = await db.scalar(
        select(func.max(PaperPrinting.first + PaperPrinting.count - 1)).where(
            PaperPrinting.round_id == round_id
        )
    )
    return int(last or 0)
