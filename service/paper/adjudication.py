"""A third person decides between two differing entries of a paper ballot: entry 1, entry
2 or a corrected entry, with a reason. Neither clerk of the serial may decide, and neither
sees the other's entry; the decision is audited with the serial, the reason, the choice and
which fields differed, never the marks or the code."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ballots.paper import PaperEntry, compare, field_names
from service.audit import record
from service.auth.guard import Actor
from service.db.base import utcnow
from service.db.models import PaperKeying, PaperSerial, User
from service.errors import Conflict, Invalid
from service.paper.entries import checked, keyings, serial_row
from service.paper.rounds import on_paper, voting_round
from service.paper.schemas import (
    Adjudication,
    EntryOutcome,
    EntryShown,
    Mismatch,
    MismatchList,
)
from service.paper.sealing import EntrySeal
from service.paper.settling import Settler
from service.rounds.repository import find_round
from service.text import blank

ADJUDICATED = 3
"""The slot of the entry a third person chose or corrected."""


def shown(entry: PaperEntry, clerk: str) -> EntryShown:
    return EntryShown(clerk=clerk, code=entry.code, verdict=entry.verdict, marks=list(entry.marks))


async def mismatches(
    db: AsyncSession, round_id: int, secret_key: str, actor: Actor
) -> MismatchList:
    """The round's serials whose two entries differ, side by side (the entries hidden from a
    caller who keyed one of them)."""
    round_row = await find_round(db, round_id)
    rules = on_paper(round_row)
    seal = EntrySeal(secret_key, round_id)
    serials = await db.scalars(
        select(PaperSerial.serial)
        .where(PaperSerial.round_id == round_id, PaperSerial.state == "mismatch")
        .order_by(PaperSerial.serial)
    )
    found: list[Mismatch] = []
    for serial in serials:
        rows = [k for k in await keyings(db, round_id, serial) if k.slot in (1, 2)]
        if len(rows) != 2:
            continue
        first, second = (seal.open(serial, k.slot, k.nonce, k.sealed) for k in rows)
        mine = any(k.clerk_id == actor.id for k in rows)
        names = await _clerks(db, rows)
        found.append(
            Mismatch(
                serial=serial,
                fields=field_names(compare(first, second)),
                options=list(rules.candidates),
                first=None if mine else shown(first, names[0]),
                second=None if mine else shown(second, names[1]),
                keyed_by_you=mine,
            )
        )
    return MismatchList(round_id=round_id, mismatches=found)


async def _clerks(db: AsyncSession, rows: list[PaperKeying]) -> list[str]:
    """The display names of the clerks of ``rows``, in their order."""
    ids = [k.clerk_id for k in rows if k.clerk_id is not None]
    found = await db.execute(select(User.id, User.display_name).where(User.id.in_(ids)))
    names: dict[int, str] = {uid: name for uid, name in found}
    return [names.get(k.clerk_id or 0, "—") for k in rows]


async def adjudicate(
    maker: async_sessionmaker[AsyncSession],
    settler: Settler,
    secret_key: str,
    round_id: int,
    data: Adjudication,
    actor: Actor,
) -> EntryOutcome:
    """Decide a mismatched serial and settle it (409 ``paper-not-mismatched``, 403
    ``paper-clerk-adjudicates`` for one of its clerks, 422 for a missing reason or a
    corrected entry missing or of another serial)."""
    if blank(data.reason):
        raise Invalid("paper-reason-required", field="reason")
    seal = EntrySeal(secret_key, round_id)
    async with maker() as db, db.begin():
        paper = await voting_round(db, round_id)
        row = await serial_row(db, round_id, data.serial)
        if row is None or row.state != "mismatch":
            raise Conflict(
                "paper-not-mismatched",
                field="serial",
                serial=data.serial,
                state="—" if row is None else row.state,
            )
        rows = [k for k in await keyings(db, round_id, data.serial) if k.slot in (1, 2)]
        if any(k.clerk_id == actor.id for k in rows):
            raise Conflict("paper-clerk-adjudicates", field="serial", serial=data.serial)
        first, second = (seal.open(data.serial, k.slot, k.nonce, k.sealed) for k in rows)
        if data.choose == "corrected":
            if data.entry is None:
                raise Invalid("paper-corrected-missing", field="entry")
            if data.entry.serial != data.serial:
                raise Invalid("paper-corrected-serial", field="entry", serial=data.serial)
            chosen = checked(data.entry, paper.rules)
        else:
            chosen = first if data.choose == 1 else second
        nonce, sealed = seal.seal(chosen, ADJUDICATED)
        for stale in await keyings(db, round_id, data.serial):
            await db.delete(stale)
        await db.flush()
        db.add(
            PaperKeying(
                round_id=round_id,
                serial=data.serial,
                slot=ADJUDICATED,
                clerk_id=actor.id,
                nonce=nonce,
                sealed=sealed,
            )
        )
        row.state, row.adjudicated_by, row.updated_at = "agreed", actor.id, utcnow()
        record(
            db,
            actor,
            "paper.adjudicated",
            "round",
            round_id,
            serial=data.serial,
            reason=data.reason.strip(),
            choice=str(data.choose),
            fields=field_names(compare(first, second)),
        )
    return await settler.settle(round_id, paper.rules, chosen, actor)
