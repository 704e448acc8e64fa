"""Voting from home by phone: the window a facilitator sets on a round (``phone_until``),
and whether a phone ballot may be taken now.

A phone ballot is taken only while the round is voting *and* before ``phone_until``; a round
without a window takes none. The window never keeps a closed round open: closing the round
ends phone voting with it. A phone keeps no ballot for later, so a ballot sent after the
window is refused and nothing of it is stored.

    set_window(db, round_id, until, actor, now, base)  the facilitator sets, moves or clears it
    secure_base(base)                         whether phone links on ``base`` may be given out
    window_refusal(round_row, zone, now)      why a phone cannot cast now, or None
    check_cast(db, round_id, key, secret, now)  refused outside it, a retry's receipt kept
"""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime
from functools import partial
from typing import Final
from urllib.parse import urlsplit

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from engine.process import RoundPhase
from service.audit import record
from service.auth.guard import Actor
from service.communities.controllers import zone_of_process
from service.db.models import CastKey, Round
from service.errors import Conflict, Invalid, ServiceError
from service.rounds.repository import find_round
from service.voting.casting import cast_key_hash, not_open
from service.zones import moment

SETTABLE: Final = frozenset({RoundPhase.SCHEDULED, RoundPhase.COMMENTING, RoundPhase.VOTING})
"""Phases in which the window may be set, moved or cleared: before and during voting."""


class PhoneWindowSet(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """The window asked for: until when phones may vote (ISO 8601 with its offset), or
    ``null`` for no phone voting."""

    until: datetime | None


class PhoneWindow(msgspec.Struct, frozen=True):
    """A round's phone window as it stands."""

    round_id: int
    until: datetime | None
    """Until when phones may vote (UTC); ``None``: no phone voting."""
    open: bool
    """Whether a phone ballot would be taken now (voting, and before ``until``)."""


def secure_base(base: str) -> bool:
    """Whether residents' phones may be sent to ``base`` (the public address,
    :meth:`service.settings.Settings.public_base`): only over ``https``, so codes and ballots
    never cross the internet in clear, or on a loopback host (``localhost``, ``127.0.0.1``,
    ``::1``), which never leaves the machine (for trying it out locally)."""
    parts = urlsplit(base)
    if parts.scheme == "https":
        return True
    host = parts.hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_open(round_row: Round, now: datetime) -> bool:
    """Whether ``round_row`` takes a phone ballot at ``now``."""
    until = round_row.phone_until
    return round_row.phase is RoundPhase.VOTING and until is not None and now < until


def window_of(round_row: Round, now: datetime) -> PhoneWindow:
    return PhoneWindow(round_row.id, round_row.phone_until, is_open(round_row, now))


def window_refusal(round_row: Round, zone: str, now: datetime) -> ServiceError | None:
    """Why a phone cannot cast in ``round_row`` at ``now``: the round is not voting
    (``round-not-open``, as everywhere), it has no phone window, or the window has closed
    (409 ``phone-window-closed``, saying when, in the community's zone); ``None`` if it can."""
    if round_row.phase is not RoundPhase.VOTING:
        return not_open(round_row.id, round_row.phase)
    until = round_row.phone_until
    if until is None:
        return Conflict("phone-window-unset", round_id=round_row.id)
    if now >= until:
        return Conflict(
            "phone-window-closed",
            round_id=round_row.id,
            until=partial(moment, until, zone),
            detail={"until": until.isoformat()},
        )
    return None


async def check_window(db: AsyncSession, round_id: int, now: datetime) -> Round:
    """The round, if a phone may cast in it now; else its refusal (404 for no round)."""
    round_row = await find_round(db, round_id)
    refusal = window_refusal(round_row, await zone_of_process(db, round_row.process_id), now)
    if refusal is not None:
        raise refusal
    return round_row


async def check_cast(
    db: AsyncSession, round_id: int, key: str, secret_key: str, now: datetime
) -> None:
    """Refuse a phone's cast outside the window (:func:`check_window`), except the retry of
    a ballot cast inside it while the round still votes: its idempotency key is on record,
    so the writer answers it with the same receipt and stores nothing new (a phone that lost
    the answer at the last second is not told its counted ballot was refused)."""
    round_row = await find_round(db, round_id)
    refusal = window_refusal(round_row, await zone_of_process(db, round_row.process_id), now)
    if refusal is None:
        return
    if refusal.code == "phone-window-closed":
        found = await db.scalar(
            select(CastKey.key_hash).where(
                CastKey.key_hash == cast_key_hash(secret_key, round_id, key)
            )
        )
        if found is not None:
            return
    raise refusal


async def set_window(
    db: AsyncSession,
    round_id: int,
    until: datetime | None,
    actor: Actor,
    now: datetime,
    base: str,
) -> PhoneWindow:
    """Set, move or clear (``until=None``) the round's phone window, audited. Before and
    during voting only (409 ``phone-window-fixed`` once the round has closed); a new end must
    be in the future and carry its offset (422); setting or moving it needs a public address
    ``base`` phones may be sent to (:func:`secure_base`, else 409 ``phone-window-insecure``);
    clearing never does."""
    round_row = await find_round(db, round_id, for_update=True)
    if round_row.phase not in SETTABLE:
        raise Conflict("phone-window-fixed", round_id=round_id, phase=round_row.phase)
    if until is not None:
        if not secure_base(base):
            raise Conflict("phone-window-insecure", round_id=round_id, base=base)
        if until.tzinfo is None:
            raise Invalid("phone-window-offset", field="until")
        until = until.astimezone(UTC)
        if until <= now:
            raise Invalid("phone-window-past", field="until")
    before = round_row.phone_until
    round_row.phone_until = until
    record(
        db,
        actor,
        "round.phone_window",
        "round",
        round_id,
        until=None if until is None else until.isoformat(),
        before=None if before is None else before.isoformat(),
    )
    await db.flush()
    return window_of(round_row, now)
