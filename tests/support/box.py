"""Looking into the ballot box from a test, as only the holder of the server secret can:
while a round votes its ballots are sealed envelopes (:mod:`service.voting.sealing`); once it
closes they are ballot rows."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from service.db.models import BoxPart, Envelope, Round
from service.results import ballot_box, purge
from service.voting.sealing import RoundSeal
from tests.support.app import SECRET


async def sealed_box(db: AsyncSession, round_id: int) -> dict[str, bytes]:
    """The round's envelopes opened with the test secret: tracker → marks."""
    seal = RoundSeal(SECRET, round_id)
    rows = await db.execute(
        select(Envelope.nonce, Envelope.sealed).where(Envelope.round_id == round_id)
    )
    return dict(seal.open(nonce, sealed) for nonce, sealed in rows)


async def cast_trackers(db: AsyncSession, round_id: int | None = None) -> list[str]:
    """The trackers of every ballot cast (sealed or counted), in one round or all of them."""
    trackers: list[str] = []
    for each, phase in (await db.execute(select(Round.id, Round.phase))).all():
        if round_id is None or each == round_id:
            trackers += [t for t, _ in await ballot_box.read_all(db, each)]
            if phase == "voting":  # once closed, envelopes left are only awaiting the purge
                trackers += list(await sealed_box(db, each))
    return trackers


async def cast_count(db: AsyncSession, round_id: int | None = None) -> int:
    """How many ballots were cast (sealed or counted), in one round or all of them."""
    envelopes = (
        select(func.count())
        .select_from(Envelope)
        .join(Round, Round.id == Envelope.round_id)
        .where(Round.phase == "voting")
    )
    ballots = select(func.coalesce(func.sum(BoxPart.count), 0))
    if round_id is not None:
        envelopes = envelopes.where(Envelope.round_id == round_id)
        ballots = ballots.where(BoxPart.round_id == round_id)
    return (await db.scalar(envelopes) or 0) + (await db.scalar(ballots) or 0)


async def purged(timeout: float = 30.0) -> None:
    """Wait until the storage purges that follow a close are done, whichever event loop runs
    them (the test client serves the app on a loop of its own)."""
    for _ in range(int(timeout / 0.02)):
        if not purge.purging():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the purge after the close did not finish")
