"""Ballot kinds as strict msgspec Structs, and the rules a round sets for them.

Ballots are a tagged union on ``kind``::

    {"kind": "ranked", "ranking": [["a"], ["b", "c"], ["d"]]}   # a > b = c > d, rest unranked
    {"kind": "approval", "approved": ["a", "c"]}
    {"kind": "score", "scores": {"a": 5, "b": 2}}              # unscored candidates get 0
    {"kind": "budget", "approved": ["a", "c"]}                  # costs and budget from the rules
"""

from __future__ import annotations

import math
from typing import Annotated, Final, Literal

from msgspec import Meta, Struct

from ballots.errors import InvalidRules

Name = Annotated[str, Meta(min_length=1, max_length=200)]


class _Ballot(Struct, frozen=True, forbid_unknown_fields=True, tag_field="kind"):
    """Base config for every ballot kind."""


class RankedBallot(_Ballot, frozen=True, tag="ranked"):
    """Preference groups, best first; a group with several names is a tie."""

    ranking: tuple[tuple[Name, ...], ...]


class ApprovalBallot(_Ballot, frozen=True, tag="approval"):
    """The candidates the voter approves of."""

    approved: tuple[Name, ...]


class ScoreBallot(_Ballot, frozen=True, tag="score"):
    """A score per candidate; candidates left out score 0."""

    scores: dict[Name, int]


class BudgetBallot(_Ballot, frozen=True, tag="budget"):
    """Approved projects; their total cost must fit the round's budget."""

    approved: tuple[Name, ...]


Ballot = RankedBallot | ApprovalBallot | ScoreBallot | BudgetBallot
Kind = Literal["ranked", "approval", "score", "budget"]

KINDS: Final[tuple[Kind, ...]] = ("ranked", "approval", "score", "budget")


def kind_of(ballot: Ballot) -> str:
    """The ``kind`` tag of a ballot (``"ranked"``, ``"approval"``, ``"score"``, ``"budget"``)."""
    return str(type(ballot).__struct_config__.tag)


MAX_SCORE: Final = 5
"""The highest score a score ballot gives unless its rules set another."""


class BallotRules(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """What a round allows on its ballots (fixed when voting opens).

    ``costs`` (one per candidate) and ``budget`` are required for budget ballots and
    refused for other kinds; ``max_approvals`` applies to approval and budget ballots;
    ``max_score`` to score ballots. ``allow_empty`` admits blank ballots (counted as
    cast, supporting nobody); ``allow_over_budget`` admits budget ballots whose projects
    cost more than the budget (as some participatory-budgeting data sets hold).
    Inconsistent rules raise :class:`~ballots.errors.InvalidRules`.
    """

    kind: Kind
    candidates: tuple[Name, ...]
    allow_ties: bool = False
    allow_truncation: bool = True
    allow_empty: bool = False
    max_approvals: Annotated[int, Meta(ge=1)] | None = None
    max_score: Annotated[int, Meta(ge=1)] = MAX_SCORE
    costs: tuple[Annotated[float, Meta(ge=0)], ...] | None = None
    budget: Annotated[float, Meta(ge=0)] | None = None
    allow_over_budget: bool = False

    def __post_init__(self) -> None:
        problem = _rules_problem(self)
        if problem:
            raise InvalidRules(problem)


def _rules_problem(rules: BallotRules) -> str:
    """What is inconsistent in ``rules``, or ``""``."""
    if rules.kind not in KINDS:
        return f"unknown ballot kind {rules.kind!r}; kinds: {', '.join(KINDS)}"
    if not rules.candidates:
        return "the rules list no candidates"
    seen: set[str] = set()
    for name in rules.candidates:
        if not isinstance(name, str) or not name.strip():
            return f"candidate names must be non-empty text, got {name!r}"
        if name in seen:
            return f"candidate {name!r} is listed twice"
        seen.add(name)
    if rules.max_approvals is not None and rules.max_approvals < 1:
        return f"max_approvals must be at least 1, got {rules.max_approvals}"
    if rules.max_score < 1:
        return f"max_score must be at least 1, got {rules.max_score}"
    if rules.kind != "budget":
        if rules.costs is not None or rules.budget is not None:
            return f"costs and budget apply only to budget ballots, not {rules.kind} ballots"
        return ""
    if rules.costs is None or rules.budget is None:
        return "budget ballots need both costs (one per candidate) and a budget"
    if len(rules.costs) != len(rules.candidates):
        return f"{len(rules.costs)} costs given for {len(rules.candidates)} candidates"
    for name, cost in zip(rules.candidates, rules.costs, strict=True):
        if not math.isfinite(cost) or cost < 0:
            return f"the cost of {name!r} must be a finite amount of at least 0, got {cost}"
    if not math.isfinite(rules.budget) or rules.budget < 0:
        return f"the budget must be a finite amount of at least 0, got {rules.budget}"
    return ""
