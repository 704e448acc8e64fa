"""Request and response shapes for rounds."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from msgspec import Meta, Struct

from ballots.kinds import Kind
from engine.process import RoundPhase
from engine.validity import Validity
from service.inputs import LINE, PROSE, Input
from service.rounds.settings import OptionValue, SlateOption

Title = Annotated[str, Meta(min_length=1, max_length=200, extra=LINE)]
Prompt = Annotated[str, Meta(min_length=1, max_length=200, extra=LINE)]
Reason = Annotated[str, Meta(min_length=1, max_length=2000, extra=PROSE)]
MethodName = Annotated[str, Meta(min_length=1, max_length=40)]

DEFAULT_PROMPTS = ("这个方案好在哪里？", "您担心什么？", "您想怎么改？")
"""The three structured prompts of DESIGN.md: what is good, what worries you, what to change."""


class RoundRules(Struct, frozen=True, forbid_unknown_fields=True):
    """What the round's ballots allow, beyond the slate (see :class:`ballots.BallotRules`).

    ``allow_ties`` applies to ranked ballots, ``max_approvals`` to approval and budget
    ballots, ``max_score`` to score ballots (left out: the default of
    :class:`~service.rounds.settings.BallotSettings`).
    """

    allow_ties: bool = False
    allow_truncation: bool = True
    max_approvals: Annotated[int, Meta(ge=1)] | None = None
    max_score: Annotated[int, Meta(ge=1, le=100)] | None = None


class SeedFrom(Struct, forbid_unknown_fields=True):
    """Take the slate from the top ``top`` options of a published round of the same process."""

    round_id: int
    top: Annotated[int, Meta(ge=1, le=100)]


class RoundCreate(Input, forbid_unknown_fields=True):
    """A new round. The slate is ``proposal_ids`` (in ballot order) or ``seed_from``, not both.

    ``options`` holds ``seats``, ``budget`` (yuan, budget rounds only), ``tie_policy``
    (``lot`` or ``refuse``) and the method's own options.

    ``open_receipts``: a receipt looked up shows what its ballot says, and the published
    list pairs each ballot with its tracker. Off by default: then a receipt proves only that
    the ballot was counted, so nobody can be made to prove how they voted. Turn it on only
    where a secret ballot is not wanted (a show of hands) or each resident should check
    their own marks — it lets a vote be bought or demanded.
    """

    title: Title
    method: MethodName
    ballot_kind: Kind = "ranked"
    options: dict[str, OptionValue] = {}
    rules: RoundRules = RoundRules()
    prompts: Annotated[list[Prompt], Meta(max_length=10)] | None = None
    household_roll: bool = False
    open_receipts: bool = False
    proposal_ids: Annotated[list[int], Meta(max_length=100)] | None = None
    seed_from: SeedFrom | None = None
    validity: Annotated[
        Validity,
        Meta(
            description="the community's rule for a valid decision: a quorum (`households`: "
            "a share of the household roll voted, household rounds only; `codes`: a share of "
            "the codes issued, less voided, took part; `count`: at least `quorum_count` took "
            "part) and the winner's share of the valid ballots (docs/facilitator.md)"
        ),
    ] = Validity()


class RoundUpdate(Input, forbid_unknown_fields=True):
    """Changes before voting opens (409 ``round-frozen`` after); fields left out stay as
    they are.

    ``options`` and ``rules`` replace the stored ones whole. Changing ``method`` without
    ``options`` keeps seats, budget and tie policy and resets the method's own options.
    ``proposal_ids`` is the whole slate in ballot order, checked as when setting up.
    """

    title: Title | None = None
    method: MethodName | None = None
    ballot_kind: Kind | None = None
    options: dict[str, OptionValue] | None = None
    rules: RoundRules | None = None
    prompts: Annotated[list[Prompt], Meta(max_length=10)] | None = None
    household_roll: bool | None = None
    open_receipts: bool | None = None
    proposal_ids: Annotated[list[int], Meta(max_length=100)] | None = None
    validity: Validity | None = None


class SlateUpdate(Struct, forbid_unknown_fields=True):
    """The whole slate, in ballot order (active proposals of the round's process)."""

    proposal_ids: Annotated[list[int], Meta(max_length=100)]


class PhaseChange(Struct, forbid_unknown_fields=True):
    to: Literal["commenting", "voting", "closed", "published"]


class RoundCancel(Input, forbid_unknown_fields=True):
    """Why a round is cancelled before its voting opens (a round set up by mistake, or no
    longer needed); kept on the round and in the audit log."""

    reason: Reason


class Round(Struct):
    """A round as staff see it. ``frozen`` is true once voting opened (``voting_at``);
    ``issues_before_freeze`` lists what stops voting from opening (empty when ready);
    ``cancelled_at`` and ``cancel_reason`` are set when it was cancelled (phase
    ``cancelled``)."""

    id: int
    process_id: int
    number: int
    title: str
    phase: RoundPhase
    ballot_kind: str
    method: str
    options: dict[str, OptionValue]
    rules: RoundRules
    prompts: list[str]
    household_roll: bool
    open_receipts: bool
    slate: list[SlateOption]
    frozen: bool
    seeded_from_round_id: int | None
    issues_before_freeze: list[str]
    issues_before_freeze_zh: list[str]
    created_at: datetime
    commenting_at: datetime | None
    voting_at: datetime | None
    closed_at: datetime | None
    published_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str | None
    validity: Validity = Validity()
