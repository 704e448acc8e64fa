"""Printing paper ballots: each printing takes the round's next serials (they never repeat
in a round) and is recorded with who printed how many, when and on which paper size."""

from __future__ import annotations

from typing import Final, Literal

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from service.audit import record
from service.auth.guard import Actor
from service.db.models import PaperPrinting
from service.errors import Conflict, Invalid
from service.paper.rounds import last_serial, on_paper
from service.processes.repository import find_process
from service.records.paper_ballot import BallotFacts
from service.rounds.repository import find_round

Size = Literal["A4", "A5"]
MOST: Final[int] = 500
"""Most paper ballots printed at once."""


def paper_size(size: str) -> Size:
    chosen = size.strip().upper()
    if chosen == "A4":
        return "A4"
    if chosen == "A5":
        return "A5"
    raise Invalid("paper-size", field="size", size=size)


def ballot_count(count: int) -> int:
    if not 1 <= count <= MOST:
        raise Invalid("paper-count", field="count", most=MOST)
    return count


async def print_ballots(
    db: AsyncSession, round_id: int, size: Size, count: int, actor: Actor
) -> BallotFacts:
    """Take the round's next ``count`` serials for a printing, audited; what the ballots
    show. Refused for rounds whose ballots cannot go on paper (409 ``paper-kind``,
    ``paper-no-slate``)."""
    round_row = await find_round(db, round_id)
    rules = on_paper(round_row)
    process = await find_process(db, round_row.process_id)
    first = await last_serial(db, round_id) + 1
    try:
        async with db.begin_nested():
            db.add(
                PaperPrinting(
                    round_id=round_id, first=first, count=count, size=size, printed_by=actor.id
                )
            )
    except IntegrityError:
        raise Conflict("paper-printing-collided", round_id=round_id) from None
    record(db, actor, "paper.printed", "round", round_id, first=first, count=count, size=size)
    return BallotFacts(
        process=process.title,
        question=process.question,
        round_number=round_row.number,
        round_title=round_row.title,
        kind=rules.kind,
        options=list(rules.candidates),
        truncation=rules.allow_truncation,
        ties=rules.allow_ties,
        first=first,
        count=count,
    )
