"""Codes bound to households, written straight into the database: two slips for one
household (a reprint, or a second slip given by mistake) is what the tablet's household
check must catch, and writing them here keeps these tests apart from how issuing decides to
warn or refuse."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from service.db.models import Household, VoterCode
from service.voting.codes import code_hash, new_code, shown


async def household_codes(
    db: AsyncSession, secret_key: str, round_id: int, labels: list[str]
) -> list[str]:
    """One new code (as printed, ``XXXXX-XXXXX``) per entry of ``labels``, bound to that
    household of the round's roll (made if missing; a label given twice gets two codes for
    one household). Committed."""
    made: list[str] = []
    for label in labels:
        household = await db.scalar(
            select(Household).where(Household.round_id == round_id, Household.label == label)
        )
        if household is None:
            household = Household(round_id=round_id, label=label)
            db.add(household)
            await db.flush()
        code = new_code()
        db.add(
            VoterCode(
                round_id=round_id,
                code_hash=code_hash(secret_key, code),
                household_id=household.id,
                status="issued",
            )
        )
        made.append(shown(code))
    await db.commit()
    return made


async def household_voted(db: AsyncSession, round_id: int, label: str) -> bool:
    """Whether the household ``label`` of the round's roll is marked as voted."""
    voted = await db.scalar(
        select(Household.voted).where(Household.round_id == round_id, Household.label == label)
    )
    return bool(voted)
