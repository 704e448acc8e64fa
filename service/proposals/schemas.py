"""Request and response shapes for proposals and their history."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from msgspec import UNSET, Meta, Struct, UnsetType

from service.inputs import LINE, PROSE, Input

Title = Annotated[str, Meta(min_length=1, max_length=120, extra=LINE)]
Description = Annotated[str, Meta(max_length=20000, extra=PROSE)]
Author = Annotated[str, Meta(max_length=120, extra=LINE)]
Reason = Annotated[str, Meta(min_length=1, max_length=2000, extra=PROSE)]


class Proposal(Struct):
    """An option under a process. ``cost`` is in yuan (a decimal string), ``cost_cents`` in fen."""

    id: int
    process_id: int
    title: str
    description: str
    cost: Decimal | None
    cost_cents: int | None
    author: str
    status: str
    merged_into_id: int | None
    version: int
    created_at: datetime


class ProposalEvent(Struct):
    """One step of a proposal's history, with the proposal as it stood after it."""

    action: str
    version: int
    snapshot: dict[str, Any]
    reason: str | None
    actor_id: int | None
    at: datetime


class ProposalDetail(Proposal):
    history: list[ProposalEvent]


class ProposalCreate(Input, forbid_unknown_fields=True):
    """``author`` is the resident who put it forward, or "on behalf of ..." (代…提出)."""

    title: Title
    description: Description = ""
    cost: Decimal | None = None
    author: Author = ""


class ProposalUpdate(Input, forbid_unknown_fields=True):
    """Fields left out stay as they are; ``"cost": null`` clears the cost."""

    title: Title | UnsetType = UNSET
    description: Description | UnsetType = UNSET
    cost: Decimal | UnsetType | None = UNSET
    author: Author | UnsetType = UNSET
    reason: Reason | None = None


class Merge(Input, forbid_unknown_fields=True):
    into: int
    reason: Reason


class Withdrawal(Input, forbid_unknown_fields=True):
    reason: Reason
