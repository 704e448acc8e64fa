"""Settling a paper ballot once its entries agree (or a third person has decided): a
ballot is cast through the ballot box's writer like a tablet's, marked as come on paper; a
spoiled or blank one uses up its code as a counted paper ballot does (``issued`` →
``used`` with channel ``paper``, its slip number and batch cleared in the same ``UPDATE``,
its household marked as voted) and adds one to the round's count of spoiled or blank
ballots (:class:`~service.db.models.PaperUncountedCount`), so that no row says whose
ballot was spoiled or blank; a code that cannot vote (used, e.g. on a tablet, void,
unknown) leaves the paper ballot refused, with the reason. Either way the sealed entries
are deleted in the same transaction that records the serial's outcome."""

from __future__ import annotations

from typing import Final

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ballots.kinds import BallotRules
from ballots.paper import PaperEntry, ballot_of
from engine.process import RoundPhase
from service.audit import record
from service.auth.guard import Actor
from service.db.base import utcnow
from service.db.models import (
    Household,
    PaperKeying,
    PaperSerial,
    PaperUncountedCount,
    Round,
    VoterCode,
)
from service.errors import ServiceError
from service.paper.schemas import EntryOutcome, SerialState
from service.paper.sealing import EntrySeal
from service.voting.casting import not_open, prepare
from service.voting.codes import code_hash, normalize_code, refusal_for, used_code
from service.voting.schemas import CastRequest
from service.voting.writer import CastWriter

REFUSALS: Final = frozenset({"code-used", "code-void", "code-unknown", "household-voted"})
"""Refusals of a paper ballot's code that settle it as refused (the code's one ballot, if
any, stands); any other refusal leaves it ``agreed``, to be settled again."""
UNREAD: Final = "code-unread"
"""The reason kept on a spoiled or blank serial whose code could not be read: it used up
no code, so the reconciliation leaves it out of the codes' spoiled and blank counts."""


class _Refused(Exception):
    """Using up the code failed half-way (its household had voted): undo, say why."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def paper_key(round_id: int, serial: int) -> str:
    """The idempotency key of a paper ballot's cast: the round's and the serial's, so that
    settling a serial again never casts a second ballot."""
    return f"paper-ballot-r{round_id}-s{serial}"


class Settler:
    """Settles the agreed paper ballots of any round."""

    def __init__(
        self, maker: async_sessionmaker[AsyncSession], writer: CastWriter, secret_key: str
    ) -> None:
        self._maker = maker
        self._writer = writer
        self._secret_key = secret_key

    async def agreed_entry(self, db: AsyncSession, seal: EntrySeal, serial: int) -> PaperEntry:
        """The entry a serial left ``agreed`` settles with: the adjudicated one (slot 3) if
        any, else the first clerk's (the second agreed with it)."""
        rows = await db.scalars(
            select(PaperKeying)
            .where(PaperKeying.round_id == seal.round_id, PaperKeying.serial == serial)
            .order_by(PaperKeying.slot.desc())
        )
        chosen = next(k for k in rows if k.slot in (1, 3))
        return seal.open(serial, chosen.slot, chosen.nonce, chosen.sealed)

    async def settle(
        self, round_id: int, rules: BallotRules, entry: PaperEntry, actor: Actor
    ) -> EntryOutcome:
        """Cast, use up or refuse the serial's agreed entry, and record its outcome."""
        if entry.verdict == "ballot":
            return await self._cast(round_id, rules, entry, actor)
        async with self._maker() as db, db.begin():
            phase = await db.scalar(select(Round.phase).where(Round.id == round_id))
            if phase is not RoundPhase.VOTING:
                raise not_open(round_id, str(phase))
            reason = await self._use_up(db, round_id, entry)
            state: SerialState = entry.verdict if reason is None else "refused"
            kept = UNREAD if reason is None and not normalize_code(entry.code or "") else reason
            await self._finish(db, round_id, entry.serial, state, kept, actor)
        return EntryOutcome(round_id=round_id, serial=entry.serial, state=state, reason=reason)

    async def _cast(
        self, round_id: int, rules: BallotRules, entry: PaperEntry, actor: Actor
    ) -> EntryOutcome:
        spec = await self._writer.spec(round_id)
        request = CastRequest(
            code=entry.code,
            key=paper_key(round_id, entry.serial),
            ballot=ballot_of(entry.marks, rules),
        )
        job = prepare(spec, request, self._secret_key, channel="paper")
        try:
            receipt = await self._writer.cast(job)
        except ServiceError as exc:
            if exc.key not in REFUSALS:
                raise
            async with self._maker() as db, db.begin():
                await self._finish(db, round_id, entry.serial, "refused", exc.key, actor)
            return EntryOutcome(
                round_id=round_id, serial=entry.serial, state="refused", reason=exc.key
            )
        async with self._maker() as db, db.begin():
            await self._finish(db, round_id, entry.serial, "cast", None, actor)
        return EntryOutcome(
            round_id=round_id,
            serial=entry.serial,
            state="cast",
            tracker=receipt.tracker,
            short=receipt.short,
        )

    async def _use_up(self, db: AsyncSession, round_id: int, entry: PaperEntry) -> str | None:
        """Use up a spoiled or blank paper ballot's code and count the ballot (``None``), or
        say why its code cannot be used up. A ballot whose code could not be read uses up
        no code and is not counted here (its serial keeps the reason ``code-unread``)."""
        code = normalize_code(entry.code) if entry.code else None
        if code is None:
            return None
        digest = code_hash(self._secret_key, code)
        try:
            async with db.begin_nested():
                claimed = (
                    await db.execute(
                        update(VoterCode)
                        .where(
                            VoterCode.round_id == round_id,
                            VoterCode.code_hash == digest,
                            VoterCode.status == "issued",
                        )
                        .values(status="used", channel="paper", number=None, batch_id=None)
                        .returning(VoterCode.id, VoterCode.household_id)
                        .execution_options(synchronize_session=False)
                    )
                ).first()
                if claimed is None:
                    status = await db.scalar(
                        select(VoterCode.status).where(
                            VoterCode.round_id == round_id, VoterCode.code_hash == digest
                        )
                    )
                    raise _Refused((refusal_for(status) or used_code()).key)
                if claimed.household_id is not None:
                    voted = await db.scalar(
                        update(Household)
                        .where(Household.id == claimed.household_id, Household.voted.is_(False))
                        .values(voted=True)
                        .returning(Household.id)
                        .execution_options(synchronize_session=False)
                    )
                    if voted is None:
                        raise _Refused("household-voted")
        except _Refused as refused:
            return refused.key
        await self._count(db, round_id, entry.verdict)
        return None

    async def _count(self, db: AsyncSession, round_id: int, verdict: str) -> None:
        """Add one to the round's count of ``verdict`` (spoiled or blank) paper ballots."""
        bump = (
            update(PaperUncountedCount)
            .where(PaperUncountedCount.round_id == round_id, PaperUncountedCount.verdict == verdict)
            .values(count=PaperUncountedCount.count + 1)
            .execution_options(synchronize_session=False)
        )
        if (await db.execute(bump)).rowcount == 0:  # type: ignore[attr-defined]
            try:
                async with db.begin_nested():
                    db.add(PaperUncountedCount(round_id=round_id, verdict=verdict, count=1))
            except IntegrityError:  # another serial of the round counted the first meanwhile
                await db.execute(bump)

    async def _finish(
        self,
        db: AsyncSession,
        round_id: int,
        serial: int,
        state: SerialState,
        reason: str | None,
        actor: Actor,
    ) -> None:
        """Record the serial's outcome and delete its sealed entries, audited (the serial
        and the outcome only)."""
        await db.execute(
            update(PaperSerial)
            .where(PaperSerial.round_id == round_id, PaperSerial.serial == serial)
            .values(state=state, reason=reason, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        await db.execute(
            delete(PaperKeying)
            .where(PaperKeying.round_id == round_id, PaperKeying.serial == serial)
            .execution_options(synchronize_session=False)
        )
        extra = {} if reason is None else {"reason": reason}
        record(db, actor, f"paper.{state}", "round", round_id, serial=serial, **extra)
