"""The slips of a round after they were issued: each batch with its numbers and how many
slips are used, unused or void; an unused slip's code made again to print it once more;
and slips voided by their numbers when a batch was never printed or was lost.

Codes are shown freely only in a batch's *printing window*: to the account that issued it,
for :data:`PRINTING_WINDOW` after issuing (reloads show the same codes and make none). After
that, or for anyone else, printing an unused slip again is a *reprint*: an explicit request
naming the slips and giving a reason, audited (``codes.reprinted``) and counted on the
batch, so that the whole meeting sees on the round page and the turnout that reprints
happened (docs/security.md says what a reprint during voting risks).

Nothing here reads a code from the database, because none is stored: an unused slip's code
is made again from the slip key (:mod:`service.voting.slip_codes`) and checked against the
stored hash before it is printed. A used or void slip is never printed again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from service import offload
from service.audit import record
from service.auth.guard import Actor
from service.db.base import utcnow
from service.db.models import Household, SlipBatch, User, VoterCode
from service.errors import Conflict, Forbidden, Invalid, NotFound
from service.rounds.repository import find_round
from service.voting.codes import code_hash, refuse_closed, shown
from service.voting.slip_codes import slip_codes

MOST_NUMBERS: Final[int] = 5000
"""Slips one voiding may name."""
PRINTING_WINDOW: Final = timedelta(minutes=30)
"""How long after issuing a batch the facilitator who issued it may show its codes again
without a reprint (a printer jam, a reload, a second copy for the PDF)."""


def in_printing_window(batch: SlipBatch, actor: Actor, now: datetime | None = None) -> bool:
    """Whether ``actor`` may show ``batch``'s codes without a reprint now."""
    moment = now or utcnow()
    return (
        actor.id is not None
        and batch.issued_by == actor.id
        and moment - batch.issued_at <= PRINTING_WINDOW
    )


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
    reprints: int


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
    """The round's batches, newest first, with their slips counted by status. A used code
    keeps no batch or number (:mod:`service.voting.statements`): a batch's used slips are
    those neither unused nor void."""
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
                used=batch.count - seen.get("issued", 0) - seen.get("void", 0),
                unused=seen.get("issued", 0),
                void=seen.get("void", 0),
                reprints=batch.reprints,
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
    reprint: str | None = None,
) -> tuple[SlipBatch, list[Slip]]:
    """A batch's unused, unvoided slips (of ``numbers`` only, if given) with their codes
    made again, for printing; audited, since each showing is a printing. A code that does
    not match its stored hash (the secret key changed since) is refused, never printed.

    With a ``reprint`` reason it is a reprint: audited as ``codes.reprinted`` with the
    numbers and the reason (never a code) and counted on the batch. Without one it is a
    showing in the printing window, and refused (403 ``slips-window-closed``) outside it."""
    round_row = await find_round(db, round_id)
    await refuse_closed(db, round_row, "slips-printed")
    batch = await find_batch(db, round_id, batch_number)
    if reprint is None and not in_printing_window(batch, actor):
        raise Forbidden("slips-window-closed", field="batch", batch=batch_number)
    if numbers is not None and not numbers <= set(range(batch.first, batch.first + batch.count)):
        raise Invalid(
            "slip-numbers-outside",
            field="numbers",
            batch=batch_number,
            first=batch.first,
            last=batch.first + batch.count - 1,
        )
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
    printed = [s.number for s in slips]
    if reprint is None:
        record(
            db, actor, "codes.slips_printed", "round", round_id, batch=batch_number, numbers=printed
        )
        return batch, slips
    if not slips:
        raise Conflict("slips-none-unused", field="numbers", batch=batch_number)
    await db.execute(
        update(SlipBatch)
        .where(SlipBatch.id == batch.id)
        .values(reprints=SlipBatch.reprints + len(slips))
        .execution_options(synchronize_session=False)
    )
    record(
        db,
        actor,
        "codes.reprinted",
        "round",
        round_id,
        batch=batch_number,
        numbers=printed,
        reason=reprint,
    )
    return batch, slips


@dataclass(frozen=True, slots=True)
class SlipState:
    """A slip of a batch as its page lists it after the printing window: no code."""

    number: int
    status: str
    """``issued`` (unused), ``used`` or ``void``."""
    household: str | None


async def batch_states(db: AsyncSession, batch: SlipBatch) -> list[SlipState]:
    """Every slip of ``batch`` with its status; a number with no code row is used (a cast
    takes the number off its code, :mod:`service.voting.statements`)."""
    rows = await db.execute(
        select(VoterCode.number, VoterCode.status, Household.label)
        .outerjoin(Household, Household.id == VoterCode.household_id)
        .where(VoterCode.batch_id == batch.id)
    )
    found = {n: (status, label) for n, status, label in rows if n is not None}
    return [
        SlipState(n, *found.get(n, ("used", None)))
        for n in range(batch.first, batch.first + batch.count)
    ]


_PART: Final = re.compile(r"^([0-9]{1,6})(?:\s*[-－—~～至到]\s*([0-9]{1,6}))?$")
"""A number or a range; at most 6 digits each (no round has a million slips), so that a
number typed with thousands of digits is a 422, never a 500."""
_SEPARATORS: Final = re.compile(r"[,，、;；\s]+")


def _shortened(part: str) -> str:
    """A refused part as a message quotes it: a line of thousands of digits is cut."""
    return part if len(part) <= 20 else part[:20] + "…"


def slip_numbers(typed: str) -> set[int]:
    """Slip numbers as a person types them — ``12-18, 21``, ``12至18、21`` — as a set
    (422 ``slip-numbers`` naming the part that is not a number or a range)."""
    found: set[int] = set()
    for part in _SEPARATORS.split(typed.strip()):
        if not part:
            continue
        matched = _PART.match(part)
        if matched is None:
            raise Invalid("slip-numbers", field="numbers", part=_shortened(part))
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
    never touched, and a number no batch of the round has is refused (422, nothing voided).

    One conditional ``UPDATE … WHERE status = 'issued' … RETURNING`` voids, so that a cast
    committing meanwhile is never overwritten (PostgreSQL, READ COMMITTED): the row it
    marked used no longer matches. A number of a batch with no row is a used slip (a cast
    takes the number off its code, see :mod:`service.voting.statements`)."""
    round_row = await find_round(db, round_id)
    await refuse_closed(db, round_row, "codes-voided")
    spans = await db.execute(
        select(SlipBatch.first, SlipBatch.count).where(SlipBatch.round_id == round_id)
    )
    known = {n for first, count in spans for n in range(first, first + count)}
    unknown = numbers - known
    if unknown:
        first, last = ranges(sorted(unknown))[0]
        raise Invalid(
            "slip-numbers-unknown",
            field="numbers",
            numbers=str(first) if first == last else f"{first}-{last}",
            detail={"numbers": sorted(unknown)},
        )
    wanted = sorted(numbers)
    voided = sorted(
        n
        for n in await db.scalars(
            update(VoterCode)
            .where(
                VoterCode.round_id == round_id,
                VoterCode.number.in_(wanted),
                VoterCode.status == "issued",
            )
            .values(status="void", void_reason=reason)
            .returning(VoterCode.number)
            .execution_options(synchronize_session=False)
        )
        if n is not None
    )
    rest = set(wanted) - set(voided)
    already = sorted(
        n
        for n in await db.scalars(
            select(VoterCode.number).where(
                VoterCode.round_id == round_id,
                VoterCode.number.in_(sorted(rest)),
                VoterCode.status == "void",
            )
        )
        if n is not None
    )
    used = sorted(rest - set(already))
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
