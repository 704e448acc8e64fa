"""One-time voter codes: made with :mod:`secrets`, shown once, stored only as HMAC-SHA256
under the server's secret key, optionally bound to a household of the round's roll.

Issuing runs in three steps so that no step holds the event loop or the database for long:
:func:`plan_codes` reads the round and its roll, :func:`fresh_codes` makes and hashes the
codes in the worker process (:mod:`service.offload`; thousands of codes take a few
milliseconds there), and :func:`store_codes` writes the households and hashes in a few
statements. A slip PDF is made between the last two, so the write comes last and is short
(on SQLite a write holds the database's one write lock until the commit).
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, cast

from sqlalchemy import Table, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from ballots.digest import as_typed, foreign, random_characters
from engine.process import RoundPhase
from service import offload
from service.audit import record
from service.auth.guard import Actor
from service.db.models import BoxPart, Envelope, Household, LateBallot, Round, VoterCode
from service.errors import Conflict, Invalid, NotFound, ServiceError
from service.rounds.freeze import refuse_if_cancelled
from service.rounds.repository import find_round
from service.text import household_key
from service.voting.guess_alert import guessing
from service.voting.schemas import CodesCreate, CodesIssued, IssuedCode, Turnout

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
    return CodeUnknown(
        "this voter code is not valid for this round: check the 10 characters on the slip "
        "(O and I may be typed as 0 and 1), or ask the facilitator",
        code="code-unknown",
        zh="投票码无效：请核对纸条上的10位字符，或询问主持人",
        field="code",
    )


def used_code() -> Conflict:
    return Conflict(
        "this voter code has already been used to cast a ballot; each code votes once",
        code="code-used",
        zh="此投票码已经投过票，每个投票码只能使用一次",
        field="code",
    )


def void_code_error() -> Conflict:
    return Conflict(
        "this voter code was voided by the facilitator and cannot vote; ask for a new code",
        code="code-void",
        zh="此投票码已被作废，不能投票；请向主持人领取新的投票码",
        field="code",
    )


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


async def _refuse_closed(db: AsyncSession, round_row: Round, doing: str, doing_zh: str) -> None:
    await refuse_if_cancelled(db, round_row)
    if round_row.phase not in OPEN_FOR_CODES:
        raise Conflict(
            f"round {round_row.id} is {round_row.phase}: codes can no longer be {doing}",
            code="round-closed",
            zh=f"本轮投票已结束，不能再{doing_zh}投票码",
        )


def _labels(data: CodesCreate, round_row: Round) -> list[str] | None:
    """The request's household labels, or ``None`` for a plain count."""
    if (data.count is None) == (data.households is None):
        raise Invalid(
            'give either "count" (how many codes) or "households" (the roll), not both',
            zh="请填写投票码的数量，或提供户籍名单，二者选一",
            field="count",
        )
    if data.households is None:
        if round_row.household_roll:
            raise Invalid(
                "this round votes one per household: give the households, not a count",
                code="households-required",
                zh="本轮按户投票：请提供户名单，而不是数量",
                field="households",
            )
        return None
    if not round_row.household_roll:
        raise Invalid(
            "this round has no household roll: give a count of codes instead",
            code="no-household-roll",
            zh="本轮不按户投票：请提供投票码数量",
            field="households",
        )
    return list(data.households)  # normalised, none blank, no household twice (CodesCreate)


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
    for a plain count, or an id of ``None`` for a household not yet on the roll), and the
    households skipped because they have voted."""

    round_id: int
    bound: list[tuple[str | None, int | None]]
    skipped: list[str]


@dataclass(frozen=True, slots=True)
class FreshCode:
    """A new code as printed (``XXXXX-XXXXX``) and its stored hash."""

    code: str
    hash: str


async def plan_codes(db: AsyncSession, round_id: int, data: CodesCreate) -> CodePlan:
    """Check an issuing request against its round and roll (reads only)."""
    round_row = await find_round(db, round_id)
    await _refuse_closed(db, round_row, "issued", "发放")
    labels = _labels(data, round_row)
    if labels is None:
        return CodePlan(round_id, [(None, None)] * (data.count or 0), [])
    known = await _roll(db, round_id)
    bound: list[tuple[str | None, int | None]] = []
    skipped: list[str] = []
    for label in labels:
        stored, hid, voted = known.get(household_key(label), (label, None, False))
        if voted:
            skipped.append(stored)
        else:
            bound.append((stored, hid))
    return CodePlan(round_id, bound, skipped)


def fresh_codes(count: int, secret_key: str) -> list[FreshCode]:
    """``count`` distinct new codes with their keyed hashes (pure: runs in the worker)."""
    made: set[str] = set()
    while len(made) < count:
        made.add(new_code())
    return [FreshCode(shown(code), code_hash(secret_key, code)) for code in made]


async def store_codes(
    db: AsyncSession, plan: CodePlan, fresh: Sequence[FreshCode], actor: Actor
) -> CodesIssued:
    """Write the plan's new households and the codes' hashes (a few statements for
    thousands of codes), audited; the plaintext codes go back to the caller only."""
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
    household_ids = [created[label] if hid is None and label else hid for label, hid in plan.bound]
    rows = [
        {"round_id": round_id, "code_hash": c.hash, "household_id": hid, "status": "issued"}
        for c, hid in zip(fresh, household_ids, strict=True)
    ]
    for start in range(0, len(rows), INSERT_CHUNK):
        await db.execute(insert(_CODES), rows[start : start + INSERT_CHUNK])
    issued = [
        IssuedCode(code=c.code, household=label)
        for c, (label, _) in zip(fresh, plan.bound, strict=True)
    ]
    record(
        db, actor, "codes.issued", "round", round_id, count=len(issued), skipped=len(plan.skipped)
    )
    return CodesIssued(round_id=round_id, codes=issued, skipped=plan.skipped)


async def issue_codes(
    db: AsyncSession, round_id: int, data: CodesCreate, secret_key: str, actor: Actor
) -> CodesIssued:
    """New codes for a round not yet closed; a household that has voted gets none."""
    plan = await plan_codes(db, round_id, data)
    fresh = await offload.run(fresh_codes, len(plan.bound), secret_key)
    return await store_codes(db, plan, fresh, actor)


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
) -> VoterCode:
    """Void an unused code (lost slip, given twice by mistake) with a reason."""
    round_row = await find_round(db, round_id)
    await _refuse_closed(db, round_row, "voided", "作废")
    row = await find_code(db, round_id, text, secret_key)
    if row is None:
        raise unknown_code()
    if row.status == "used":
        raise used_code()
    if row.status == "void":
        raise void_code_error()
    row.status = "void"
    row.void_reason = reason
    record(db, actor, "code.voided", "voter_code", row.id, round_id=round_id, reason=reason)
    return row


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
    return Turnout(
        round_id=round_id,
        phase=round_row.phase,
        codes_issued=issued,
        codes_void=by_status.get("void", 0),
        codes_used=by_status.get("used", 0),
        codes_unused=by_status.get("issued", 0),
        ballots_cast=(counted or 0) + (sealed or 0),
        households=sum(households.values()),
        households_voted=households.get(True, 0),
        guessing=await guessing(db, round_id, issued),
        late_ballots=await db.scalar(
            select(func.count()).select_from(LateBallot).where(LateBallot.round_id == round_id)
        )
        or 0,
    )
