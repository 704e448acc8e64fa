"""Late ballots: what a tablet kept while it was offline and could no longer cast when the
network came back.

A ballot tablet that loses the network keeps each resident's submitted ballot with its
idempotency key and delivers the queue when it is back (``POST /kiosk/queued``). Each kept
ballot is cast as usual. If the answer is a refusal that no retry can change — the code
was used or voided meanwhile, the household has voted, the round stopped voting — the
ballot is recorded here once (a resent refusal is the same row) and reported to the
facilitator with the turnout. Refusals that a retry may cure (the database away, too many
attempts, a collision) are left to the tablet, which keeps the ballot and tries again.

The record holds the round, the tablet's random id, the reason and when it was reported:
never the ballot and never the code, so it says nothing about how anyone voted.
"""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta, Struct
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from service.audit import record
from service.auth.guard import MAX_ID, Actor
from service.db.models import LateBallot, VoterCode
from service.errors import refusal_of
from service.voting.schemas import CastRequest, Receipt
from service.voting.sealing import keyed_digest

TABLET = Actor(id=None, name="tablet", role="public")
"""Who the audit log says reported a late ballot."""
FINAL = frozenset(
    {
        "code-used",
        "code-void",
        "code-unknown",
        "household-voted",
        "round-not-open",
        "invalid-ballot",
        "idempotency-key-reused",
    }
)
"""Refusals no later delivery can change: the ballot is recorded as late and the tablet may
forget it. Any other refusal (the database away, too many attempts, a collision, a request
the server cannot take) is answered as an error and the tablet keeps the ballot."""


REPORTS_PER_CODE = 2
"""Most late ballots one tablet may report per code of the round (a mistyped code kept
offline is one more)."""


class KeptBallot(CastRequest, forbid_unknown_fields=True, kw_only=True):
    """A ballot as the tablet kept it: the cast request and the round it was marked for
    (the tablet may have been enrolled for another round since)."""

    round_id: Annotated[int, Meta(ge=1, le=MAX_ID)]
    ticket: Annotated[str, Meta(min_length=1, max_length=128)]
    """The delivery ticket the tablet got with the round's ballot page
    (:func:`service.web.tablets.delivery_ticket`)."""


class Delivery(Struct):
    """The answer to a kept ballot delivered by a tablet: cast (with its receipt), or late
    (recorded for the facilitator, with the reason); either way the tablet may forget it."""

    accepted: bool
    receipt: Receipt | None = None
    reason: str | None = None


class LateReport(Struct):
    """How many kept ballots tablets delivered too late to count, and why
    (reason code → number of ballots)."""

    round_id: int
    total: int
    by_reason: dict[str, int]
    tablets: int


def final_reason(exc: Exception) -> str | None:
    """The error code of a refused delivery that stays refused however often it is sent
    again, or ``None`` for one worth a retry."""
    code = refusal_of(exc).code
    return code if code in FINAL else None


async def record_late(
    maker: async_sessionmaker[AsyncSession],
    secret_key: str,
    round_id: int,
    tablet: str,
    key: str,
    reason: str,
) -> None:
    """Keep the report of one late ballot, in its own transaction: once per key, and no more
    than :data:`REPORTS_PER_CODE` reports per code of the round from one tablet (a tablet
    cannot have kept many more real ballots than the round has codes, so a leaked delivery
    ticket cannot flood the report)."""
    key_hash = keyed_digest(secret_key, "late ballot", str(round_id), key)
    try:
        async with maker() as db, db.begin():
            known = await db.scalar(select(LateBallot.id).where(LateBallot.key_hash == key_hash))
            if known is not None:
                return
            codes = await db.scalar(
                select(func.count()).select_from(VoterCode).where(VoterCode.round_id == round_id)
            )
            reported = await db.scalar(
                select(func.count())
                .select_from(LateBallot)
                .where(LateBallot.round_id == round_id, LateBallot.tablet == tablet)
            )
            if (reported or 0) >= REPORTS_PER_CODE * (codes or 0):
                return
            db.add(LateBallot(round_id=round_id, key_hash=key_hash, tablet=tablet, reason=reason))
            record(db, TABLET, "ballot.late", "round", round_id, reason=reason, tablet=tablet)
    except IntegrityError:
        return  # the same ballot reported by a concurrent resend: one row is enough


async def late_report(db: AsyncSession, round_id: int) -> LateReport:
    rows = await db.execute(
        select(LateBallot.reason, func.count())
        .where(LateBallot.round_id == round_id)
        .group_by(LateBallot.reason)
        .order_by(LateBallot.reason)
    )
    by_reason: dict[str, int] = {reason: n for reason, n in rows}
    tablets = await db.scalar(
        select(func.count(func.distinct(LateBallot.tablet))).where(LateBallot.round_id == round_id)
    )
    return LateReport(
        round_id=round_id,
        total=sum(by_reason.values()),
        by_reason=by_reason,
        tablets=tablets or 0,
    )
