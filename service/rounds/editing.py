"""Changing a round before its voting opens — its title, method, seats or budget, tie
policy, ballot rules, slate and its order, prompts, household roll and receipts — with the
same checks as setting one up, and the audit row saying what changed from what to what.

Typos and second thoughts are fixed here rather than by cancelling and setting the round up
again; once voting has opened the round is frozen (:mod:`service.rounds.freeze`) and every
change is refused with 409 ``round-frozen``.
"""

from __future__ import annotations

from typing import Any

import msgspec
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from engine.validity import Validity
from service.audit import record
from service.auth.guard import Actor
from service.db.models import Round, RoundOption, VoterCode
from service.errors import Conflict
from service.rounds import schemas
from service.rounds.config import (
    check_method,
    check_options,
    check_rules,
    check_tie_order,
    check_validity,
    rules_for,
)
from service.rounds.freeze import pending_slate, refuse_if_cancelled, refuse_if_frozen
from service.rounds.repository import check_slate, find_round, write_slate
from service.rounds.settings import ROUND_OPTIONS


async def settings_of(db: AsyncSession, round_row: Round) -> dict[str, Any]:
    """What a round's set-up is now, in the API's shapes: the audit log compares two of
    these to say what an edit changed."""
    return {
        "title": round_row.title,
        "ballot_kind": round_row.ballot_kind,
        "method": round_row.method,
        "options": round_row.options.shown(),
        "rules": msgspec.to_builtins(rules_for(round_row.ballot_kind, round_row.rules)),
        "prompts": list(round_row.prompts),
        "household_roll": round_row.household_roll,
        "open_receipts": round_row.open_receipts,
        "proposal_ids": [p.id for p in await pending_slate(db, round_row.id)],
        "validity": msgspec.to_builtins(round_row.validity or Validity()),
    }


def differences(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each setting that changed, with its value before and after."""
    return {
        name: {"before": before[name], "after": after[name]}
        for name in before
        if before[name] != after[name]
    }


async def update_round(
    db: AsyncSession, round_id: int, data: schemas.RoundUpdate, actor: Actor
) -> Round:
    """Change a round before voting opens (409 ``round-frozen`` after, ``round-cancelled``
    for a cancelled one); fields left out stay as they are. Audited as ``round.updated``
    with each changed setting's value before and after (nothing changed: no row)."""
    round_row = await find_round(db, round_id, for_update=True)
    await refuse_if_cancelled(db, round_row)
    await refuse_if_frozen(db, round_row)
    before = await settings_of(db, round_row)
    kind = data.ballot_kind or round_row.ballot_kind
    method = data.method or round_row.method
    kind_changed = kind != round_row.ballot_kind
    if kind_changed or data.method is not None or data.options is not None:
        info = check_method(kind, method)
        if data.options is not None:
            options = data.options
        else:
            keep = (
                ROUND_OPTIONS
                if kind == "budget"
                else ("seats", "tie_policy", "tie_break", "tie_order")
            )
            options = {k: v for k, v in round_row.options.shown().items() if k in keep}
        round_row.options = check_options(kind, info, options)
    if kind_changed or data.rules is not None:
        round_row.rules = check_rules(kind, data.rules or rules_for(kind, round_row.rules))
    round_row.ballot_kind = kind
    round_row.method = method
    if data.title is not None:
        round_row.title = data.title
    if data.prompts is not None:
        round_row.prompts = list(data.prompts)
    if data.household_roll is not None and data.household_roll != round_row.household_roll:
        await refuse_if_codes_issued(db, round_row)
        round_row.household_roll = data.household_roll
    if data.open_receipts is not None:
        round_row.open_receipts = data.open_receipts
    if data.validity is not None:
        round_row.validity = data.validity if data.validity.any else None
    check_validity(round_row.validity or Validity(), household_roll=round_row.household_roll)
    if data.proposal_ids is not None and data.proposal_ids != before["proposal_ids"]:
        await put_on_slate(db, round_row, data.proposal_ids)
    check_tie_order(round_row.options, [p.title for p in await pending_slate(db, round_id)])
    changes = differences(before, await settings_of(db, round_row))
    if changes:
        record(db, actor, "round.updated", "round", round_id, changes=changes)
    await db.flush()
    return round_row


async def put_on_slate(db: AsyncSession, round_row: Round, proposal_ids: list[int]) -> None:
    """The slate becomes ``proposal_ids`` in this order (checked as when setting up); a
    slate chosen by hand is no longer the one seeded from an earlier round."""
    await check_slate(db, round_row.process_id, proposal_ids)
    await db.execute(delete(RoundOption).where(RoundOption.round_id == round_row.id))
    await write_slate(db, round_row.id, proposal_ids)
    round_row.seeded_from_round_id = None


async def refuse_if_codes_issued(db: AsyncSession, round_row: Round) -> None:
    """The household rule cannot change once codes are out: codes issued without a household
    would let one household vote again under the rule, and household codes would lose the
    rule they were issued under (void them first to start again)."""
    issued = await db.scalar(
        select(func.count()).select_from(VoterCode).where(VoterCode.round_id == round_row.id)
    )
    if issued:
        raise Conflict("household-rule-codes-out", field="household_roll", count=issued)
