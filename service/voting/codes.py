"""One-time voter codes: issued in numbered batches, stored only as HMAC-SHA256 under the
server's secret key, optionally bound to a household of the round's roll. Each code is made
from the slip key, the batch's salt and the slip's number (:mod:`service.voting.slip_codes`),
so an unused slip can be printed again (:mod:`service.voting.batches`) though no code is
ever stored readable.

Issuing runs in three steps so that no step holds the event loop or the database for long:
:func:`plan_codes` reads the round and its roll and tells the household rules
(:func:`check_codes`), :func:`fresh_codes` makes and hashes the codes in the worker process
(:mod:`service.offload`; thousands of codes take a few milliseconds there), and
:func:`store_codes` writes the batch, the households and hashes in a few statements. A slip
PDF is made between the last two, so the write comes last and is short (on SQLite a write
holds the database's one write lock until the commit).
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Final, cast

import msgspec
from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ballots.digest import as_typed, foreign, random_characters
from engine.process import RoundPhase
from service import offload
from service.audit import record
from service.auth.guard import Actor
from service.db.models import (
    BoxPart,
    Envelope,
    Household,
    LateBallot,
    Process,
    Round,
    SlipBatch,
    VoterCode,
)
from service.errors import Conflict, Invalid, NotFound, ServiceError
from service.households.repository import roll_labels
from service.i18n import text
from service.records.labels import listed
from service.rounds.freeze import refuse_if_cancelled
from service.rounds.repository import find_round
from service.text import household_key
from service.voting.assistance import assistance
from service.voting.channels import channel_counts
from service.voting.guess_alert import guessing
from service.voting.participation import round_quorum
from service.voting.proxies import proxy_counts
from service.voting.roll import look_alikes, skeleton
from service.voting.schemas import (
    CodesCreate,
    CodesIssued,
    HouseholdWarning,
    IssuedCode,
    Turnout,
)
from service.voting.slip_codes import new_salt, slip_codes

CODE_LENGTH: Final[int] = 10
"""Characters in a voter code: 10 Crockford base-32 characters = 50 random bits."""

OPEN_FOR_CODES: Final = frozenset({RoundPhase.SCHEDULED, RoundPhase.COMMENTING, RoundPhase.VOTING})
INSERT_CHUNK: Final[int] = 1000
"""Rows per statement, so that the loop is free between statements."""
_HOUSEHOLDS: Final = cast(Table, Household.__table__)
_CODES: Final = cast(Table, VoterCode.__table__)


def new_code() -> str:
    """A fresh random code in canonical form (no dash): 50 random bits from :mod:`secrets`,
    five to a character (56 bits drawn, the last 6 dropped)."""
    return random_characters(CODE_LENGTH)


def shown(code: str) -> str:
    """A canonical code as printed on the slip: ``XXXXX-XXXXX``."""
    return f"{code[:5]}-{code[5:]}"


def normalize_code(text: str) -> str | None:
    """A code as a person typed it, in canonical form, or ``None`` if it cannot be one.

    Read as trackers are (:func:`ballots.digest.as_typed`): case, spaces and dashes are
    ignored; ``O`` reads as ``0``, ``I`` and ``L`` as ``1``.
    """
    chars = as_typed(text)
    if len(chars) != CODE_LENGTH or foreign(chars) is not None:
        return None
    return chars


def code_hash(secret_key: str, code: str) -> str:
    """HMAC-SHA256 (hex) of a canonical code: the only form in which a code is stored."""
    return hmac.digest(secret_key.encode(), code.encode("ascii"), "sha256").hex()


class CodeUnknown(NotFound):
    """No such code in this round (counted against the device's guesses)."""


def unknown_code() -> CodeUnknown:
    return CodeUnknown("code-unknown", field="code")


def used_code() -> Conflict:
    return Conflict("code-used", field="code")


def void_code_error() -> Conflict:
    return Conflict("code-void", field="code")


def refusal_for(status: str | None) -> ServiceError | None:
    """Why a code with this stored ``status`` (``None``: no such code in the round) cannot
    cast, or ``None`` if it can."""
    if status is None:
        return unknown_code()
    if status == "void":
        return void_code_error()
    if status == "used":
        return used_code()
    return None


async def refuse_closed(db: AsyncSession, round_row: Round, doing: str) -> None:
    await refuse_if_cancelled(db, round_row)
    if round_row.phase not in OPEN_FOR_CODES:
        raise Conflict(
            "round-closed",
            id=round_row.id,
            phase=round_row.phase,
            doing=partial(text, key=f"doing.{doing}"),
        )


async def _labels(db: AsyncSession, data: CodesCreate, round_row: Round) -> list[str] | None:
    """The request's household labels, or ``None`` for a plain count."""
    if data.from_roll:
        return await _from_roll(db, data, round_row)
    if data.buildings or data.grids:
        raise Invalid("roll-choice-without-roll", field="buildings")
    if (data.count is None) == (data.households is None):
        raise Invalid("count-or-households", field="count")
    if data.households is None:
        if round_row.household_roll:
            raise Invalid("households-required", field="households")
        return None
    if not round_row.household_roll:
        raise Invalid("no-household-roll", field="households")
    return list(data.households)  # normalised, none blank, no household twice (CodesCreate)


async def _from_roll(db: AsyncSession, data: CodesCreate, round_row: Round) -> list[str]:
    """Labels of the community's roll (:mod:`service.households`) that should get a code:
    active, of the chosen buildings or grids, not holding a live code in the round and not
    having voted in it. 422 outside a household round or beside ``count``/``households``;
    409 ``roll-none-left`` when no household is left to issue to."""
    if data.count is not None or data.households is not None:
        raise Invalid("count-or-households", field="count")
    if not round_row.household_roll:
        raise Invalid("no-household-roll", field="from_roll")
    community_id = await db.scalar(
        select(Process.community_id).where(Process.id == round_row.process_id)
    )
    if community_id is None:
        raise Invalid("roll-without-community", field="from_roll")
    labels = await roll_labels(db, community_id, data.buildings or (), data.grids or ())
    known = await _roll(db, round_row.id)
    live = await _live(db, round_row.id)
    left = []
    for label in labels:
        _, hid, voted = known.get(household_key(label), (label, None, False))
        if not voted and (hid is None or hid not in live):
            left.append(label)
    if not left:
        raise Conflict("roll-none-left", field="from_roll", found=len(labels))
    return left


async def _roll(db: AsyncSession, round_id: int) -> dict[str, tuple[str, int, bool]]:
    """The round's households by :func:`household_key`: label as stored, id, voted. Labels
    stored before they were normalised find their household too; should two stored labels
    be one household, it counts as voted if either voted."""
    rows = await db.execute(
        select(Household.label, Household.id, Household.voted).where(Household.round_id == round_id)
    )
    known: dict[str, tuple[str, int, bool]] = {}
    for label, hid, voted in rows:
        key = household_key(label)
        seen = known.get(key)
        if seen is None or (voted and not seen[2]):
            known[key] = (label, hid, voted)
    return known


@dataclass(frozen=True, slots=True)
class CodePlan:
    """What an issuing request will write: per code its household label and id (``None``
    for a plain count, or an id of ``None`` for a household not yet on the roll), the
    households skipped because they have voted, the household rules met, and the batch:
    its number in the round, its first slip's number and its salt."""

    round_id: int
    bound: list[tuple[str | None, int | None]]
    skipped: list[str]
    warnings: list[HouseholdWarning]
    batch: int
    first: int
    salt: bytes

    @property
    def unconfirmed(self) -> list[HouseholdWarning]:
        """The rules that need the facilitator's ``confirm``."""
        return [w for w in self.warnings if w.kind in CONFIRMED]


CONFIRMED: Final = frozenset({"live", "look-alike"})
"""Warnings that hold issuing back until confirmed (a voted household is simply skipped)."""


@dataclass(frozen=True, slots=True)
class FreshCode:
    """A new code as printed (``XXXXX-XXXXX``) and its stored hash."""

    code: str
    hash: str


async def _next_numbers(db: AsyncSession, round_id: int) -> tuple[int, int]:
    """The round's next batch number and next slip number."""
    batch = await db.scalar(
        select(func.coalesce(func.max(SlipBatch.number), 0)).where(SlipBatch.round_id == round_id)
    )
    slip = await db.scalar(
        select(func.coalesce(func.max(VoterCode.number), 0)).where(VoterCode.round_id == round_id)
    )
    return (batch or 0) + 1, (slip or 0) + 1


async def _live(db: AsyncSession, round_id: int) -> set[int]:
    """Households of the round holding a live code (issued, neither used nor void)."""
    rows = await db.scalars(
        select(VoterCode.household_id).where(
            VoterCode.round_id == round_id,
            VoterCode.status == "issued",
            VoterCode.household_id.is_not(None),
        )
    )
    return {hid for hid in rows if hid is not None}


def _roll_look_alikes(
    typed: list[tuple[int, str]], known: dict[str, tuple[str, int, bool]]
) -> list[HouseholdWarning]:
    """Typed lines new to the roll whose numbers match a household already on it."""
    on_roll: dict[tuple[str, ...], str] = {}
    for stored, _, _ in known.values():
        on_roll.setdefault(skeleton(stored), stored)
    found: list[HouseholdWarning] = []
    for number, label in typed:
        numbers = skeleton(label)
        like = on_roll.get(numbers) if numbers else None
        if like is not None and household_key(label) not in known:
            found.append(HouseholdWarning("look-alike", [number], [label, like]))
    return found


async def check_codes(db: AsyncSession, round_id: int, data: CodesCreate) -> CodePlan:
    """An issuing request checked against its round and roll (reads only): what it would
    write, and every household rule it meets (:class:`HouseholdWarning`)."""
    round_row = await find_round(db, round_id)
    await refuse_closed(db, round_row, "codes-issued")
    labels = await _labels(db, data, round_row)
    batch, first = await _next_numbers(db, round_id)
    salt = new_salt()
    if labels is None:
        return CodePlan(round_id, [(None, None)] * (data.count or 0), [], [], batch, first, salt)
    known = await _roll(db, round_id)
    live = await _live(db, round_id)
    typed = list(enumerate(labels, start=1))
    warnings = [
        HouseholdWarning("look-alike", [n for n, _ in g], [label for _, label in g])
        for g in look_alikes(typed)
    ]
    warnings += _roll_look_alikes(typed, known)
    bound: list[tuple[str | None, int | None]] = []
    skipped: list[str] = []
    for number, label in typed:
        stored, hid, voted = known.get(household_key(label), (label, None, False))
        if voted:
            skipped.append(stored)
            warnings.append(HouseholdWarning("voted", [number], [stored]))
            continue
        if hid is not None and hid in live:
            warnings.append(HouseholdWarning("live", [number], [stored]))
        bound.append((stored, hid))
    return CodePlan(round_id, bound, skipped, warnings, batch, first, salt)


async def plan_codes(db: AsyncSession, round_id: int, data: CodesCreate) -> CodePlan:
    """:func:`check_codes`, refused (409 ``codes-unconfirmed``, nothing made) while a
    household that holds a live code or looks like another is not confirmed."""
    plan = await check_codes(db, round_id, data)
    waiting = plan.unconfirmed
    if waiting and not data.confirm:
        raise Conflict(
            "codes-unconfirmed",
            field="households",
            households=partial(_warned, waiting),
            detail={"warnings": msgspec.to_builtins(waiting)},
        )
    return plan


NAMED: Final[int] = 8
"""Households a refusal names; the rest are counted (``detail.warnings`` lists them all)."""


def _warned(warnings: list[HouseholdWarning], lang: str) -> str:
    labels = list(dict.fromkeys(label for w in warnings for label in w.households))
    if len(labels) <= NAMED:
        return listed(lang, labels)
    named = listed(lang, labels[:NAMED])
    return text(lang, "console.check.more", named=named, count=len(labels))


def fresh_codes(plan: CodePlan, secret_key: str) -> list[FreshCode]:
    """The plan's codes, made from the slip key (:mod:`service.voting.slip_codes`), with
    their keyed hashes (pure: runs in the worker)."""
    numbers = range(plan.first, plan.first + len(plan.bound))
    made = slip_codes(secret_key, plan.round_id, plan.salt, numbers)
    return [FreshCode(shown(code), code_hash(secret_key, code)) for code in made]


async def store_codes(
    db: AsyncSession, plan: CodePlan, fresh: Sequence[FreshCode], actor: Actor
) -> CodesIssued:
    """Write the plan's batch, new households and the codes' hashes with their slip numbers
    (a few statements for thousands of codes), audited; the plaintext codes go back to the
    caller only."""
    round_id = plan.round_id
    missing = [label for label, hid in plan.bound if label is not None and hid is None]
    created: dict[str, int] = {}
    for start in range(0, len(missing), INSERT_CHUNK):
        chunk = missing[start : start + INSERT_CHUNK]
        added = await db.execute(
            insert(_HOUSEHOLDS).returning(_HOUSEHOLDS.c.label, _HOUSEHOLDS.c.id),
            [{"round_id": round_id, "label": label} for label in chunk],
        )
        created.update({label: hid for label, hid in added})
    if not fresh:
        return CodesIssued(
            round_id=round_id, codes=[], skipped=plan.skipped, warnings=plan.warnings
        )
    batch = SlipBatch(
        round_id=round_id,
        number=plan.batch,
        first=plan.first,
        count=len(fresh),
        salt=plan.salt,
        issued_by=actor.id,
    )
    db.add(batch)
    await db.flush()
    household_ids = [created[label] if hid is None and label else hid for label, hid in plan.bound]
    rows = [
        {
            "round_id": round_id,
            "code_hash": c.hash,
            "household_id": hid,
            "status": "issued",
            "batch_id": batch.id,
            "number": plan.first + i,
        }
        for i, (c, hid) in enumerate(zip(fresh, household_ids, strict=True))
    ]
    for start in range(0, len(rows), INSERT_CHUNK):
        await db.execute(insert(_CODES), rows[start : start + INSERT_CHUNK])
    issued = [
        IssuedCode(code=c.code, household=label, number=plan.first + i)
        for i, (c, (label, _)) in enumerate(zip(fresh, plan.bound, strict=True))
    ]
    record(
        db,
        actor,
        "codes.issued",
        "round",
        round_id,
        count=len(issued),
        skipped=len(plan.skipped),
        batch=plan.batch,
        numbers=numbers_text(plan.first, len(issued)),
        confirmed=[w.kind for w in plan.unconfirmed],
    )
    return CodesIssued(
        round_id=round_id,
        codes=issued,
        skipped=plan.skipped,
        batch=plan.batch,
        warnings=plan.warnings,
    )


STORE_TRIES: Final[int] = 4
"""Times a batch is numbered and stored before two facilitators issuing at once is a 409."""


async def issue_plan(
    db: AsyncSession,
    plan: CodePlan,
    secret_key: str,
    actor: Actor,
    before_store: Callable[[CodePlan, list[FreshCode]], Awaitable[None]] | None = None,
) -> CodesIssued:
    """Make the plan's codes and store them; if another batch took its numbers meanwhile
    (two facilitators issuing at once: the unique batch or slip number), number it again
    after that batch, with a fresh salt and codes, and store again (a few times).
    ``before_store`` runs on each attempt's codes before they are written (the API makes
    the slips' PDF there, so the write stays short and the PDF matches what is stored)."""
    for attempt in range(STORE_TRIES):
        fresh = await offload.run(fresh_codes, plan, secret_key)
        if before_store is not None:
            await before_store(plan, fresh)
        try:
            async with db.begin_nested():
                return await store_codes(db, plan, fresh, actor)
        except IntegrityError:
            if attempt == STORE_TRIES - 1:
                raise
            batch, first = await _next_numbers(db, plan.round_id)
            plan = replace(plan, batch=batch, first=first, salt=new_salt())
    raise AssertionError("unreachable")  # the loop returns or raises


def numbers_text(first: int, count: int) -> str:
    """Slip numbers ``first`` … as the audit log and file names write them: ``12-18``."""
    return f"{first}-{first + count - 1}" if count > 1 else str(first)


async def issue_codes(
    db: AsyncSession, round_id: int, data: CodesCreate, secret_key: str, actor: Actor
) -> CodesIssued:
    """New codes for a round not yet closed, as one numbered batch; a household that has
    voted gets none."""
    plan = await plan_codes(db, round_id, data)
    return await issue_plan(db, plan, secret_key, actor)


async def find_code(
    db: AsyncSession, round_id: int, text: str, secret_key: str
) -> VoterCode | None:
    """The round's code typed as ``text`` (in any spelling :func:`normalize_code` reads), or
    ``None`` if the round has no such code."""
    code = normalize_code(text)
    if code is None:
        return None
    return await db.scalar(
        select(VoterCode).where(
            VoterCode.code_hash == code_hash(secret_key, code), VoterCode.round_id == round_id
        )
    )


async def void_code(
    db: AsyncSession, round_id: int, text: str, reason: str, secret_key: str, actor: Actor
) -> int:
    """Void an unused code (lost slip, given twice by mistake) with a reason; its row's id.

    One conditional ``UPDATE … WHERE status = 'issued'`` voids it, so that a cast
    committing meanwhile is never overwritten (PostgreSQL, READ COMMITTED); if nothing
    matched, the code's status now says why (unknown, used, void)."""
    round_row = await find_round(db, round_id)
    await refuse_closed(db, round_row, "codes-voided")
    code = normalize_code(text)
    if code is None:
        raise unknown_code()
    voided = await db.scalar(
        update(VoterCode)
        .where(
            VoterCode.round_id == round_id,
            VoterCode.code_hash == code_hash(secret_key, code),
            VoterCode.status == "issued",
        )
        .values(status="void", void_reason=reason)
        .returning(VoterCode.id)
        .execution_options(synchronize_session=False)
    )
    if voided is None:
        row = await find_code(db, round_id, text, secret_key)
        raise refusal_for(None if row is None else row.status) or used_code()
    record(db, actor, "code.voided", "voter_code", voided, round_id=round_id, reason=reason)
    return voided


async def turnout(db: AsyncSession, round_id: int) -> Turnout:
    round_row = await find_round(db, round_id)
    statuses = await db.execute(
        select(VoterCode.status, func.count())
        .where(VoterCode.round_id == round_id)
        .group_by(VoterCode.status)
    )
    by_status: dict[str, int] = {status: n for status, n in statuses}
    counted = await db.scalar(
        select(func.coalesce(func.sum(BoxPart.count), 0)).where(BoxPart.round_id == round_id)
    )
    sealed = await db.scalar(
        select(func.count()).select_from(Envelope).where(Envelope.round_id == round_id)
    )
    rows = await db.execute(
        select(Household.voted, func.count())
        .where(Household.round_id == round_id)
        .group_by(Household.voted)
    )
    households: dict[bool, int] = {bool(voted): n for voted, n in rows}
    issued = sum(by_status.values())
    ways = await channel_counts(db, round_id)
    helped = await assistance(db, round_id)
    proxies, proxy_votes = await proxy_counts(db, round_id)
    return Turnout(
        round_id=round_id,
        phase=round_row.phase,
        codes_issued=issued,
        codes_void=by_status.get("void", 0),
        codes_used=ways.tablet + ways.paper + ways.phone,
        codes_unused=by_status.get("issued", 0),
        ballots_cast=(counted or 0) + (sealed or 0),
        households=sum(households.values()),
        households_voted=households.get(True, 0),
        guessing=await guessing(db, round_id, issued),
        late_ballots=await db.scalar(
            select(func.count()).select_from(LateBallot).where(LateBallot.round_id == round_id)
        )
        or 0,
        slips_reprinted=await db.scalar(
            select(func.coalesce(func.sum(SlipBatch.reprints), 0)).where(
                SlipBatch.round_id == round_id
            )
        )
        or 0,
        tablet_ballots=ways.tablet,
        paper_ballots=ways.paper,
        phone_ballots=ways.phone,
        paper_spoiled=ways.spoiled,
        paper_blank=ways.blank,
        reconciled=ways.balanced,
        quorum=await round_quorum(db, round_row, ways),
        assisted_chosen=helped.chosen,
        assisted_staff=helped.staff,
        proxies=proxies,
        proxy_votes=proxy_votes,
        roll_size=round_row.roll_size,
    )
