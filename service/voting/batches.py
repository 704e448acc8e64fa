"""The slips of a round after they were issued: each batch with its numbers and how many
slips are used, unused or void; an unused slip's code made again to print it once more;
and slips voided by their numbers when a batch was never printed or was lost.

Nothing here reads a code from the database, because none is stored: an unused slip's code
is made again from the slip key (:mod:`service.voting.slip_codes`) and checked against the
stored hash before it is printed. A used or void slip is never printed again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from service import offload
from service.audit import record
from service.auth.guard import Actor
from service.db.models import Household, SlipBatch, User, VoterCode
from service.errors import Conflict, Invalid, NotFound
from service.rounds.repository import find_round
from service.voting.codes import code_hash, refuse_closed, shown
from service.voting.slip_codes import slip_codes

MOST_NUMBERS: Final[int] = 5000
"""Slips one voiding may name."""


@dataclass(frozen=True, slots=True)
class BatchRow:
    """A batch as the round page lists it."""

    number: int
    first: int
    last: int
    issued_at: datetime
    issued_by: str | None
    used: int
    unused: int
    void: int


@dataclass(frozen=True, slots=True)
class Slip:
    """An unused slip to print: its number, its code as printed and its household."""

    number: int
    code: str
    household: str | None


@dataclass(frozen=True, slots=True)
class Voiding:
    """What voiding by numbers did: the slips voided, those left alone because they were
    used or already void, and the reason given."""

    voided: list[int]
    used: list[int]
    already: list[int]
    reason: str


async def batch_rows(db: AsyncSession, round_id: int) -> list[BatchRow]:
    """The round's batches, newest first, with their slips counted by status."""
    counts = await db.execute(
        select(VoterCode.batch_id, VoterCode.status, func.count())
        .where(VoterCode.round_id == round_id, VoterCode.batch_id.is_not(None))
        .group_by(VoterCode.batch_id, VoterCode.status)
    )
    by_batch: dict[int, dict[str, int]] = {}
    for batch_id, status, n in counts:
        if batch_id is not None:
            by_batch.setdefault(batch_id, {})[status] = n
    rows = await db.execute(
        select(SlipBatch, User.display_name)
        .outerjoin(User, User.id == SlipBatch.issued_by)
        .where(SlipBatch.round_id == round_id)
        .order_by(SlipBatch.number.desc())
    )
    listed: list[BatchRow] = []
    for batch, who in rows:
        seen = by_batch.get(batch.id, {})
        listed.append(
            BatchRow(
                number=batch.number,
                first=batch.first,
                last=batch.first + batch.count - 1,
                issued_at=batch.issued_at,
                issued_by=who,
                used=seen.get("used", 0),
                unused=seen.get("issued", 0),
                void=seen.get("void", 0),
            )
        )
    return listed


async def find_batch(db: AsyncSession, round_id: int, number: int) -> SlipBatch:
    batch = await db.scalar(
        select(SlipBatch).where(SlipBatch.round_id == round_id, SlipBatch.number == number)
    )
    if batch is None:
        raise NotFound("no-slip-batch", field="batch", round_id=round_id, batch=number)
    return batch


async def unused_slips(
    db: AsyncSession,
    round_id: int,
    batch_number: int,
    secret_key: str,
    actor: Actor,
    numbers: set[int] | None = None,
) -> tuple[SlipBatch, list[Slip]]:
    """A batch's unused, unvoided slips (of ``numbers`` only, if given) with their codes
    made again, for printing; audited, since each showing is a printing. A code that does
    not match its stored hash (the secret key changed since) is refused, never printed."""
    round_row = await find_round(db, round_id)
    await refuse_closed(db, round_row, "slips-printed")
    batch = await find_batch(db, round_id, batch_number)
    query = (
        select(VoterCode.number, VoterCode.code_hash, Household.label)
        .outerjoin(Household, Household.id == VoterCode.household_id)
        .where(VoterCode.batch_id == batch.id, VoterCode.status == "issued")
        .order_by(VoterCode.number)
    )
    rows = [(n, h, label) for n, h, label in await db.execute(query) if n is not None]
    if numbers is not None:
        rows = [row for row in rows if row[0] in numbers]
    made = await offload.run(slip_codes, secret_key, round_id, batch.salt, [n for n, _, _ in rows])
    if any(code_hash(secret_key, code) != h for code, (_, h, _) in zip(made, rows, strict=True)):
        raise Conflict("slips-key-changed", field="batch", batch=batch_number)
    slips = [Slip(n, shown(code), label) for code, (n, _, label) in zip(made, rows, strict=True)]
    record(
        db,
        actor,
        "codes.slips_printed",
        "round",
        round_id,
        batch=batch_number,
        numbers=[s.number for s in slips],
    )
    return batch, slips


_PART: Final = re.compile(r"^(\d+)(?:\s*[-－—~～至到]\s*(\d+))?$")
_SEPARATORS: Final = re.compile(r"[,，、;；\s]+")


def slip_numbers(typed: str) -> set[int]:
    """Slip numbers as a person types them — ``12-18, 21``, ``12至18、21`` — as a set
    (422 ``slip-numbers`` naming the part that is not a number or a range)."""
    found: set[int] = set()
    for part in _SEPARATORS.split(typed.strip()):
        if not part:
            continue
        matched = _PART.match(part)
        if matched is None:
            raise Invalid("slip-numbers", field="numbers", part=part)
        low = int(matched.group(1))
        high = int(matched.group(2) or low)
        if low < 1 or high < low or high - low >= MOST_NUMBERS:
            raise Invalid("slip-numbers", field="numbers", part=part)
        found.update(range(low, high + 1))
        if len(found) > MOST_NUMBERS:
            raise Invalid("slip-numbers-many", field="numbers", most=MOST_NUMBERS)
    if not found:
        raise Invalid("slip-numbers-missing", field="numbers")
    return found


def ranges(numbers: list[int]) -> list[tuple[int, int]]:
    """Sorted numbers as runs: ``[12, 13, 14, 21]`` is ``[(12, 14), (21, 21)]``."""
    runs: list[tuple[int, int]] = []
    for n in sorted(numbers):
        if runs and runs[-1][1] == n - 1:
            runs[-1] = (runs[-1][0], n)
        else:
            runs.append((n, n))
    return runs


async def void_slips(
    db: AsyncSession,
    round_id: int,
    numbers: set[int],
    reason: str,
    actor: Actor,
) -> Voiding:
    """Void the unused slips among ``numbers`` with ``reason``; used slips are reported and
    never touched, and a number no slip of the round has is refused (422, nothing voided)."""
    round_row = await find_round(db, round_id)
    await refuse_closed(db, round_row, "codes-voided")
    rows = list(
        await db.scalars(
            select(VoterCode).where(
                VoterCode.round_id == round_id, VoterCode.number.in_(sorted(numbers))
            )
        )
    )
    by_number = {row.number: row for row in rows if row.number is not None}
    unknown = numbers - by_number.keys()
    if unknown:
        first, last = ranges(sorted(unknown))[0]
        raise Invalid(
            "slip-numbers-unknown",
            field="numbers",
            numbers=str(first) if first == last else f"{first}-{last}",
            detail={"numbers": sorted(unknown)},
        )
    voided: list[int] = []
    used: list[int] = []
    already: list[int] = []
    for number in sorted(by_number):
        row = by_number[number]
        if row.status == "issued":
            row.status = "void"
            row.void_reason = reason
            voided.append(number)
        else:
            (used if row.status == "used" else already).append(number)
    record(
        db,
        actor,
        "slips.voided",
        "round",
        round_id,
        voided=voided,
        used=used,
        already_void=already,
        reason=reason,
    )
    return Voiding(voided, used, already, reason)
