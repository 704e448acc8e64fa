"""The tablet's code step: can this typed code vote in its round *now*?

Asked before the resident marks anything, so that "your household has already voted" (or a
used, void or unknown code) is said at the start and not after the ranking. The answer is
the refusal a cast with the same code would get at this moment, in the same order (the code
first, then its household) and with the same words — nothing a cast would not tell: no
household name, no other code. Nothing is changed: only the cast redeems a code, so a
household that votes between the check and the cast is still refused by the cast itself.

An unknown code is charged against the device's guessing budget exactly as a cast with an
unknown code is (:mod:`service.voting.lockouts`); the other refusals are about a real code
and cost nothing.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from engine.process import RoundPhase
from service.db.models import Household, VoterCode
from service.errors import ServiceError
from service.rounds.repository import get_round
from service.voting.batch import household_voted
from service.voting.casting import not_open
from service.voting.codes import CodeUnknown, code_hash, normalize_code, refusal_for, unknown_code
from service.voting.lockouts import Lockouts


async def code_refusal(
    db: AsyncSession, round_id: int, typed: str, secret_key: str
) -> ServiceError | None:
    """Why the code typed as ``typed`` cannot cast in ``round_id`` now (unknown, void, used,
    or its household has voted), or ``None`` if it can. Reads one row; writes nothing."""
    code = normalize_code(typed)
    if code is None:
        return unknown_code()
    found = (
        await db.execute(
            select(VoterCode.status, Household.voted)
            .outerjoin(Household, Household.id == VoterCode.household_id)
            .where(
                VoterCode.round_id == round_id,
                VoterCode.code_hash == code_hash(secret_key, code),
            )
        )
    ).first()
    if found is None:
        return unknown_code()
    status, voted = found
    refusal = refusal_for(status)
    if refusal is not None:
        return refusal
    return household_voted() if voted else None


async def check_code(
    db: AsyncSession,
    lockouts: Lockouts,
    secret_key: str,
    device: str,
    round_id: int,
    typed: str,
) -> None:
    """Raise what a cast with ``typed`` would be refused with now (a device out of guesses
    first, then a round not voting, then :func:`code_refusal`); an unknown code is charged
    to ``device`` before it is answered."""
    lockouts.check(device)
    round_row = await get_round(db, round_id)
    if round_row is None or round_row.phase is not RoundPhase.VOTING:
        raise not_open(round_id, round_row.phase if round_row else "gone")
    refusal = await code_refusal(db, round_id, typed, secret_key)
    if isinstance(refusal, CodeUnknown):
        await lockouts.failed(device, round_id)
    if refusal is not None:
        raise refusal
