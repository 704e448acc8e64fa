"""Proxies (委托代投) in a household round: a household authorises someone in writing to vote
for it, the facilitator or secretary records the authorisation (its serial number and/or a
photo, the date signed), and the holder votes with the grantor household's own code. So the
ballot path is unchanged and nothing joins a proxy to a ballot: a proxy is *used* when its
grantor household has voted, which is all the turnout and the record count.

Rules: only in a household round not yet closed; the grantor is a household of the round
that has not voted and has not already granted (unless revoked); it cannot authorise
itself; a holder holds at most the round's ``proxy_limit`` authorisations (default 1, set
before voting opens), counted against both the holder's household (label) and name, each
when given: an authorisation held under a label and a name counts for both, so a second
one under the name alone is over a limit of 1.

The photos of the written authorisations are deleted when the round is published (or
cancelled): :func:`service.rounds.repository.drop_proxy_photos`; the row keeps when
(``photo_deleted_at``), so the list still says there was one."""

from __future__ import annotations

from typing import Final

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from engine.process import RoundPhase
from service.audit import record
from service.auth.guard import Actor
from service.db.base import utcnow
from service.db.models import Household, Proxy, Round, User
from service.errors import Conflict, Invalid, NotFound
from service.loop.photos import check_photo, kept_photo
from service.rounds.freeze import refuse_if_cancelled
from service.rounds.repository import find_round
from service.text import household_key, likeness
from service.voting.proxy_schemas import ProxyCreate, ProxyList, ProxyOut

OPEN: Final = frozenset({RoundPhase.SCHEDULED, RoundPhase.COMMENTING, RoundPhase.VOTING})
"""Phases in which authorisations are recorded and revoked."""
BEFORE_VOTING: Final = frozenset({RoundPhase.SCHEDULED, RoundPhase.COMMENTING})


def holder_key(label: str, name: str) -> str:
    """Who a holder is, for the limit: the household key of the label, else the name's."""
    return f"户:{household_key(label)}" if label else f"名:{likeness(name)}"


async def _open_round(db: AsyncSession, round_id: int) -> Round:
    """The round, locked against a concurrent recording (PostgreSQL), so that two holders'
    limits are counted one after the other."""
    round_row = await find_round(db, round_id, for_update=True)
    await refuse_if_cancelled(db, round_row)
    if round_row.phase not in OPEN:
        raise Conflict("proxy-round-closed", id=round_id)
    if not round_row.household_roll:
        raise Conflict("proxy-not-household-round", id=round_id)
    return round_row


async def _grantor(db: AsyncSession, round_id: int, typed: str) -> Household:
    key = household_key(typed)
    rows = (await db.scalars(select(Household).where(Household.round_id == round_id))).all()
    found = [h for h in rows if household_key(h.label) == key]
    if not found:
        raise NotFound("proxy-grantor-unknown", field="grantor", label=typed)
    return next((h for h in found if h.voted), found[0])


def _holder_marks(label: str, name: str) -> set[str]:
    """Every way a holder is known: the household key of the label and the likeness of the
    name, each when given."""
    marks = set()
    if label:
        marks.add(f"户:{household_key(label)}")
    if name:
        marks.add(f"名:{likeness(name)}")
    return marks


async def _in_force(db: AsyncSession, round_id: int) -> list[tuple[str, str]]:
    rows = await db.execute(
        select(Proxy.holder_label, Proxy.holder_name).where(
            Proxy.round_id == round_id, Proxy.revoked_at.is_(None)
        )
    )
    return [(label, name) for label, name in rows]


async def _held(db: AsyncSession, round_id: int, label: str, name: str) -> int:
    """Authorisations in force whose holder shares the label's household or the name with
    this holder: ``{label: 3号楼101, name: 张三}`` and then ``{name: 张三}`` are one holder."""
    marks = _holder_marks(label, name)
    return sum(1 for held in await _in_force(db, round_id) if _holder_marks(*held) & marks)


async def record_proxy(
    db: AsyncSession, round_id: int, data: ProxyCreate, actor: Actor
) -> ProxyOut:
    """Record an authorisation (audited without names); refused as the module says."""
    if not data.holder_label and not data.holder_name:
        raise Invalid("proxy-holder-required", field="holder_name")
    if not data.serial and not data.photo:
        raise Invalid("proxy-authorisation-required", field="serial")
    photo = None
    if data.photo:
        check_photo(data.photo_name, data.photo)
        photo = await kept_photo(data.photo_name, data.photo)
    round_row = await _open_round(db, round_id)
    grantor = await _grantor(db, round_id, data.grantor)
    if data.holder_label and household_key(data.holder_label) == household_key(grantor.label):
        raise Invalid("proxy-to-itself", field="holder_label", label=grantor.label)
    if grantor.voted:
        raise Conflict("proxy-grantor-voted", field="grantor", label=grantor.label)
    granted = await db.scalar(
        select(Proxy.id).where(Proxy.grantor_id == grantor.id, Proxy.revoked_at.is_(None))
    )
    if granted is not None:
        raise Conflict("proxy-already-granted", field="grantor", label=grantor.label)
    key = holder_key(data.holder_label, data.holder_name)
    if await _held(db, round_id, data.holder_label, data.holder_name) >= round_row.proxy_limit:
        raise Conflict("proxy-limit", field="holder_name", limit=round_row.proxy_limit)
    row = Proxy(
        round_id=round_id,
        grantor_id=grantor.id,
        holder_label=data.holder_label,
        holder_name=data.holder_name,
        holder_key=key,
        serial=data.serial,
        photo=photo,
        signed_on=data.signed_on,
        recorded_by=actor.id,
    )
    db.add(row)
    await db.flush()
    record(db, actor, "proxy.recorded", "round", round_id, proxy_id=row.id, photo=bool(photo))
    return _out(row, grantor, actor.name)


def _out(row: Proxy, grantor: Household, recorder: str) -> ProxyOut:
    return ProxyOut(
        id=row.id,
        round_id=row.round_id,
        grantor=grantor.label,
        holder_label=row.holder_label,
        holder_name=row.holder_name,
        serial=row.serial,
        photo_url=(
            f"/api/v1/rounds/{row.round_id}/proxies/{row.id}/photo"
            if row.photo is not None
            else None
        ),
        signed_on=row.signed_on,
        recorded_by=recorder,
        recorded_at=row.recorded_at,
        revoked_at=row.revoked_at,
        revoke_reason=row.revoke_reason,
        used=row.revoked_at is None and grantor.voted,
        photo_deleted_at=row.photo_deleted_at,
    )


async def proxies_of(db: AsyncSession, round_id: int) -> ProxyList:
    """The round's authorisations, oldest first."""
    round_row = await find_round(db, round_id)
    rows = await db.execute(
        select(Proxy, Household, func.coalesce(User.display_name, ""))
        .join(Household, Household.id == Proxy.grantor_id)
        .outerjoin(User, User.id == Proxy.recorded_by)
        .where(Proxy.round_id == round_id)
        .order_by(Proxy.id)
    )
    return ProxyList(
        round_id=round_id,
        limit=round_row.proxy_limit,
        proxies=[_out(p, h, name) for p, h, name in rows],
    )


async def find_proxy(db: AsyncSession, round_id: int, proxy_id: int) -> Proxy:
    row = await db.get(Proxy, proxy_id)
    if row is None or row.round_id != round_id:
        raise NotFound("no-proxy", proxy_id=proxy_id)
    return row


async def revoke_proxy(
    db: AsyncSession, round_id: int, proxy_id: int, reason: str, actor: Actor
) -> ProxyOut:
    """Revoke an authorisation not yet used, with a reason (kept, and audited)."""
    await _open_round(db, round_id)
    row = await find_proxy(db, round_id, proxy_id)
    grantor = await db.get(Household, row.grantor_id)
    assert grantor is not None  # a foreign key
    if row.revoked_at is not None:
        raise Conflict("proxy-revoked", proxy_id=proxy_id)
    if grantor.voted:
        raise Conflict("proxy-grantor-voted", field="grantor", label=grantor.label)
    row.revoked_at = utcnow()
    row.revoke_reason = reason
    record(db, actor, "proxy.revoked", "round", round_id, proxy_id=proxy_id, reason=reason)
    recorder = await db.get(User, row.recorded_by) if row.recorded_by else None
    return _out(row, grantor, recorder.display_name if recorder else "")


async def proxy_photo(db: AsyncSession, round_id: int, proxy_id: int) -> bytes:
    """The photo of an authorisation (JPEG), or 404."""
    row = await find_proxy(db, round_id, proxy_id)
    if row.photo_deleted_at is not None:
        raise NotFound("proxy-photo-deleted", proxy_id=proxy_id)
    if row.photo is None:
        raise NotFound("no-proxy", proxy_id=proxy_id)
    return bytes(row.photo)


async def set_proxy_limit(db: AsyncSession, round_id: int, limit: int, actor: Actor) -> int:
    """Set the round's limit per holder before voting opens (409 after, and 409 below what
    a holder already holds)."""
    round_row = await find_round(db, round_id)
    await refuse_if_cancelled(db, round_row)
    if round_row.phase not in BEFORE_VOTING or round_row.voting_at is not None:
        raise Conflict("proxy-limit-fixed", field="limit", id=round_id)
    held: dict[str, int] = {}
    for label, name in await _in_force(db, round_id):
        for mark in _holder_marks(label, name):
            held[mark] = held.get(mark, 0) + 1
    most = max(held.values(), default=0)
    if most > limit:
        raise Conflict("proxy-limit-below-held", field="limit", held=most, limit=limit)
    if limit != round_row.proxy_limit:
        round_row.proxy_limit = limit
        record(db, actor, "proxy.limit", "round", round_id, limit=limit)
    return limit


async def proxy_counts(db: AsyncSession, round_id: int) -> tuple[int, int]:
    """Authorisations in force in the round, and those used (their grantor has voted)."""
    rows = await db.execute(
        select(Household.voted, func.count())
        .select_from(Proxy)
        .join(Household, Household.id == Proxy.grantor_id)
        .where(Proxy.round_id == round_id, Proxy.revoked_at.is_(None))
        .group_by(Household.voted)
    )
    counts = {bool(voted): n for voted, n in rows}
    return sum(counts.values()), counts.get(True, 0)
