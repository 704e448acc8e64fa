"""Ballot kinds as strict msgspec Structs, and the rules a round sets for them.

Ballots are a tagged union on ``kind``::

    {"kind": "ranked", "ranking": [["a"], ["b", "c"], ["d"]]}   # a > b = c > d, rest unranked
    {"kind": "approval", "approved": ["a", "c"]}
    {"kind": "score", "scores": {"a": 5, "b": 2}}              # unscored candidates get 0
    {"kind": "budget", "approved": ["a", "c"]}                  # costs and budget from the rules
"""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta, Struct

Name = Annotated[str, Meta(min_length=1, max_length=200)]


class _Ballot(Struct, frozen=True, forbid_unknown_fields=True, tag_field="kind"):
    """Base config for every ballot kind."""


class RankedBallot(_Ballot, tag="ranked"):
    """Preference groups, best first; a group with several names is a tie."""

    ranking: list[list[Name]]


class ApprovalBallot(_Ballot, tag="approval"):
    """The candidates the voter approves of."""

    approved: list[Name]


class ScoreBallot(_Ballot, tag="score"):
    """A score per candidate; candidates left out score 0."""

    scores: dict[Name, int]


class BudgetBallot(_Ballot, tag="budget"):
    """Approved projects; their total cost must fit the round's budget."""

    approved: list[Name]


Ballot = RankedBallot | ApprovalBallot | ScoreBallot | BudgetBallot
Kind = Literal["ranked", "approval", "score", "budget"]


class BallotRules(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """What a round allows on its ballots (fixed when voting opens).

    ``costs`` (one per candidate) and ``budget`` apply to budget ballots;
    ``max_approvals`` to approval and budget ballots; ``max_score`` to score ballots.
    """

    kind: Kind
    candidates: tuple[Name, ...]
    allow_ties: bool = False
    allow_truncation: bool = True
    max_approvals: Annotated[int, Meta(ge=1)] | None = None
    max_score: Annotated[int, Meta(ge=1)] = 5
    costs: tuple[Annotated[float, Meta(ge=0)], ...] | None = None
    budget: Annotated[float, Meta(ge=0)] | None = None
