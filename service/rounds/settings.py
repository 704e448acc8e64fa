"""A round's settings as stored: its options, its ballot rules and its frozen slate, each a
Struct whose defaults are stated here once, and the ballot rules that ballots are checked
against and counted with, built from them in one place (:func:`ballot_rules`)."""

from __future__ import annotations

from typing import Annotated, Any, Literal, Protocol, cast

import msgspec
from msgspec import Meta, Struct

from ballots.kinds import MAX_SCORE, BallotRules
from engine.result import TieAnswer, TieBreak

TiePolicy = Literal["lot", "refuse"]
TieBreakMode = Literal[
    "earlier-round",
    "later-round",
    "lot",
    "candidate-order",
    "permutation",
    "ask",
    "later-round-then-ask",
]
OptionValue = str | int | float | bool | None

ROUND_OPTIONS = ("budget", "seats", "tie_policy", "tie_break", "tie_order")
"""Options every round has, besides the method's own."""


class Setting(Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Base of a round's stored settings: immutable (a change replaces the whole value), and
    refusing a field it does not name, so a stored value that drifted fails when read."""


class RoundOptions(Setting, frozen=True):
    """How the round is counted, besides its method: ``seats`` to fill, ``tie_policy``
    (``lot``: a tie the method's rules leave open is drawn with the seed derived from the
    ballot-box digest; ``refuse``: it is reported and nothing is drawn), ``budget`` in
    yuan (budget rounds only) and ``own``, the method's own options with their defaults
    filled in."""

    seats: Annotated[int, Meta(ge=1)] = 1
    tie_policy: TiePolicy = "lot"
    budget: int | float | None = None
    own: dict[str, OptionValue] = {}
    tie_break: TieBreakMode | None = None
    """The count's tie-break mode (:class:`~engine.tiebreak.TieBreaker`); ``None`` (every
    round stored before modes existed): the method's own rule, then ``tie_policy``."""
    tie_order: list[str] = []
    """``candidate-order``: every option once, the preferred first."""
    tie_answers: list[TieAnswer] = []
    """The facilitator's answers to the ties the count asked (modes that ask), in order."""
    tie_question: TieQuestion | None = None
    """The tie the last count stopped at, waiting for the facilitator's answer."""

    @classmethod
    def of(cls, flat: dict[str, Any]) -> RoundOptions:
        """The options from the flat shape the API takes and shows (:meth:`shown`); the tie
        order is one option name per line there."""
        own = {k: v for k, v in flat.items() if k not in ROUND_OPTIONS}
        common = {k: v for k, v in flat.items() if k in ROUND_OPTIONS}
        if isinstance(common.get("tie_order"), str):
            common["tie_order"] = tie_order_names(common["tie_order"])
        return msgspec.convert({**common, "own": own}, cls)

    def shown(self) -> dict[str, OptionValue]:
        """The options in one flat mapping, as the API shows them (the budget only when
        one is set, the tie-break mode and order only when set)."""
        budget = {} if self.budget is None else {"budget": self.budget}
        ties: dict[str, OptionValue] = {}
        if self.tie_break is not None:
            ties["tie_break"] = self.tie_break
        if self.tie_order:
            ties["tie_order"] = "\n".join(self.tie_order)
        return {"seats": self.seats, "tie_policy": self.tie_policy, **budget, **ties, **self.own}

    def tie_mode(self) -> TieBreak | None:
        """The count's tie-break mode with its order and the answers so far, for the engine."""
        if self.tie_break is None:
            return None
        return TieBreak(
            mode=self.tie_break, order=tuple(self.tie_order), answers=tuple(self.tie_answers)
        )


class TieQuestion(Setting, frozen=True):
    """A tie the count asks the facilitator to decide: ``count`` of ``tied`` for
    ``purpose`` (``eliminate``, ``elect``, ...) at count step ``round``."""

    round: int | None
    purpose: str
    tied: list[str]
    count: int = 1


def tie_order_names(typed: str) -> list[str]:
    """The option names of a typed tie order: one per line, blank lines skipped."""
    return [line.strip() for line in typed.splitlines() if line.strip()]


class BallotSettings(Setting, frozen=True):
    """What the round's ballots allow beyond the slate: ``allow_ties`` (ranked ballots),
    ``allow_truncation``, ``max_approvals`` (approval and budget ballots; ``None``: no
    limit) and ``max_score`` (score ballots)."""

    allow_ties: bool = False
    allow_truncation: bool = True
    max_approvals: Annotated[int, Meta(ge=1)] | None = None
    max_score: Annotated[int, Meta(ge=1, le=100)] = MAX_SCORE


class SlateOption(Setting, frozen=True):
    """One option on the ballot, as frozen when voting opened (``cost_cents`` in fen)."""

    proposal_id: int
    name: str
    cost_cents: int | None = None


class Configured(Protocol):
    """A round's settings, as the round row holds them."""

    @property
    def ballot_kind(self) -> str: ...
    @property
    def options(self) -> RoundOptions: ...
    @property
    def rules(self) -> BallotSettings: ...
    @property
    def slate(self) -> list[SlateOption] | None: ...


def ballot_rules(round_row: Configured) -> BallotRules:
    """The round's ballot rules over its frozen slate (budget costs in yuan, like the
    budget)."""
    slate = round_row.slate or []
    options, rules = round_row.options, round_row.rules
    budget = round_row.ballot_kind == "budget"
    return BallotRules(
        kind=cast(Any, round_row.ballot_kind),
        candidates=tuple(option.name for option in slate),
        allow_ties=rules.allow_ties,
        allow_truncation=rules.allow_truncation,
        max_approvals=rules.max_approvals,
        max_score=rules.max_score,
        costs=tuple((o.cost_cents or 0) / 100 for o in slate) if budget else None,
        budget=None if not budget or options.budget is None else float(options.budget),
    )
