"""Double entry: each of two clerks keys the same paper ballot on their own; the second
entry is compared with the first (:func:`ballots.paper.compare`). Agreeing entries are
settled at once (:mod:`.settling`); differing ones wait, sealed, for a third person
(:mod:`.adjudication`). The same account never keys both entries of a serial, and a serial
already settled is never keyed again.

Each step is a short transaction of its own, and casting goes through the ballot box's
writer between them, so that on SQLite the request never holds the write lock the writer
needs; a serial left ``agreed`` by a failure after its cast is settled again by the next
entry of that serial (the cast's idempotency key is the round's and serial's, so a ballot is
never cast twice).
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ballots.errors import InvalidBallot
from ballots.kinds import BallotRules
from ballots.paper import Difference, PaperEntry, ballot_of, compare, field_names
from ballots.validate import validate
from service.auth.guard import Actor
from service.db.base import utcnow
from service.db.models import PaperKeying, PaperSerial
from service.errors import Conflict, Invalid
from service.paper.rounds import last_serial, voting_round
from service.paper.schemas import SETTLED, EntryIn, EntryOutcome, SerialState
from service.paper.sealing import EntrySeal
from service.paper.settling import Settler
from service.voting.codes import normalize_code


def checked(data: EntryIn, rules: BallotRules) -> PaperEntry:
    """The entry as stored and compared: one mark per option (422 ``paper-marks-count``),
    a readable code for a ballot (422 ``paper-code-unreadable``), the marks a valid ballot
    of the round (422 ``invalid-ballot``); a spoiled or blank ballot keeps no marks."""
    code = data.code.strip()
    if data.verdict != "ballot":
        if code and normalize_code(code) is None:
            raise Invalid("paper-code-unreadable", field="code")
        return PaperEntry(data.serial, code, data.verdict, (None,) * len(rules.candidates))
    if normalize_code(code) is None:
        raise Invalid("paper-code-unreadable", field="code")
    if len(data.marks) != len(rules.candidates):
        raise Invalid(
            "paper-marks-count", field="marks", got=len(data.marks), want=len(rules.candidates)
        )
    try:
        validate(ballot_of(tuple(data.marks), rules), rules)
    except InvalidBallot as exc:  # said of the boxes the clerk keyed, not of a ballot's JSON
        raise InvalidBallot(
            str(exc),
            problem=exc.problem,
            candidate=exc.candidate,
            params=exc.params,
            where="marks",
        ) from None
    return PaperEntry(data.serial, code, data.verdict, tuple(data.marks))


async def serial_row(db: AsyncSession, round_id: int, serial: int) -> PaperSerial | None:
    return await db.scalar(
        select(PaperSerial).where(PaperSerial.round_id == round_id, PaperSerial.serial == serial)
    )


async def keyings(db: AsyncSession, round_id: int, serial: int) -> list[PaperKeying]:
    rows = await db.scalars(
        select(PaperKeying)
        .where(PaperKeying.round_id == round_id, PaperKeying.serial == serial)
        .order_by(PaperKeying.slot)
    )
    return list(rows)


def refuse_settled(row: PaperSerial | None, serial: int) -> None:
    if row is not None and row.state in SETTLED:
        raise Conflict("paper-serial-settled", field="serial", serial=serial, state=row.state)


class DoubleEntry:
    """Keys entries of one round's paper ballots (one per request)."""

    def __init__(
        self, maker: async_sessionmaker[AsyncSession], settler: Settler, secret_key: str
    ) -> None:
        self._maker = maker
        self._settler = settler
        self._secret_key = secret_key

    async def enter(self, round_id: int, data: EntryIn, actor: Actor) -> EntryOutcome:
        """Store a clerk's entry; settle the serial when it agrees with the other clerk's."""
        seal = EntrySeal(self._secret_key, round_id)
        async with self._maker() as db, db.begin():
            paper = await voting_round(db, round_id)
            if data.serial > await last_serial(db, round_id):
                raise Invalid("paper-serial-unknown", field="serial", serial=data.serial)
            row = await serial_row(db, round_id, data.serial)
            refuse_settled(row, data.serial)
            if row is not None and row.state == "agreed":
                agreed = await self._settler.agreed_entry(db, seal, data.serial)
            else:
                entry = checked(data, paper.rules)
                agreed, outcome = await self._store(db, seal, row, entry, actor)
                if outcome is not None:
                    return outcome
        return await self._settler.settle(round_id, paper.rules, agreed, actor)

    async def _store(
        self,
        db: AsyncSession,
        seal: EntrySeal,
        row: PaperSerial | None,
        entry: PaperEntry,
        actor: Actor,
    ) -> tuple[PaperEntry, EntryOutcome | None]:
        """Store the entry in its slot; the outcome to answer now, or the agreed entry to
        settle (with ``None``)."""
        round_id, serial = seal.round_id, entry.serial
        if row is not None and row.state == "mismatch":
            raise Conflict("paper-serial-mismatch", field="serial", serial=serial)
        stored = await keyings(db, round_id, serial)
        if any(k.clerk_id == actor.id for k in stored):
            raise Conflict("paper-same-clerk", field="serial", serial=serial)
        slot = len(stored) + 1
        nonce, sealed = seal.seal(entry, slot)
        db.add(
            PaperKeying(
                round_id=round_id,
                serial=serial,
                slot=slot,
                clerk_id=actor.id,
                nonce=nonce,
                sealed=sealed,
            )
        )
        if row is None:
            row = PaperSerial(round_id=round_id, serial=serial, state="keying")
            db.add(row)
        differences: list[Difference] = []
        if slot == 2:
            first = seal.open(serial, 1, stored[0].nonce, stored[0].sealed)
            differences = compare(first, entry)
            row.state = "mismatch" if differences else "agreed"
            row.updated_at = utcnow()
        try:
            await db.flush()
        except IntegrityError:
            raise Conflict("paper-entry-collided", field="serial", serial=serial) from None
        if row.state == "agreed":
            return entry, None
        outcome = EntryOutcome(
            round_id=round_id,
            serial=serial,
            state=cast(SerialState, row.state),
            differences=field_names(differences),
        )
        return entry, outcome
