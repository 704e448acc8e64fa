"""Checking one ballot against its round's rules, and the normalised form a valid ballot takes.

Every refusal is an :class:`~ballots.errors.InvalidBallot` with a ``problem`` code and text
parameters; :data:`MESSAGES` holds the English wording in one place, so a translation is
another table with the same codes and parameters.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from typing import Final

import msgspec

from ballots.errors import InvalidBallot
from ballots.kinds import (
    ApprovalBallot,
    Ballot,
    BallotRules,
    BudgetBallot,
    RankedBallot,
    ScoreBallot,
    kind_of,
)

MESSAGES: Final[Mapping[str, str]] = {
    "unknown-candidate": "unknown candidate '{candidate}'",
    "ranked-twice": "candidate '{candidate}' is ranked twice",
    "approved-twice": "candidate '{candidate}' is approved twice",
    "empty": "the ballot is empty, and this round does not accept blank ballots",
    "ties-forbidden": "'{candidate}' and '{other}' are ranked equal, "
    "but this round does not allow ties",
    "truncation-forbidden": "candidate '{candidate}' is not ranked, "
    "but this round asks for every candidate to be ranked",
    "too-many-approvals": "the ballot approves {count} candidates, but at most {limit} are allowed",
    "score-out-of-range": "score {score} for '{candidate}' is out of range: "
    "scores go from 0 to {max_score}",
    "over-budget": "the approved projects cost {total} in total, over the budget of {budget}",
    "wrong-kind": "the ballot is of kind '{kind}', but this round takes '{expected}' ballots",
    "malformed": "malformed ballot: {detail}",
}
"""English message template for every ``problem`` code, filled from ``InvalidBallot.params``."""

BUDGET_TOLERANCE: Final[float] = 1e-9
"""Relative slack when comparing a total cost with the budget (float rounding, not money)."""


def message(problem: str, params: Mapping[str, str]) -> str:
    """The English message for ``problem`` with its parameters filled in."""
    return MESSAGES[problem].format_map(params)


def refuse(
    problem: str, where: str = "", candidate: str | None = None, **params: str
) -> InvalidBallot:
    """An :class:`InvalidBallot` for ``problem``; ``candidate`` also goes into the parameters."""
    if candidate is not None:
        params["candidate"] = candidate
    return InvalidBallot(
        message(problem, params), problem=problem, candidate=candidate, params=params, where=where
    )


def amount(value: float) -> str:
    """A cost or budget as text: whole numbers without a decimal point (``150000``)."""
    if math.isfinite(value) and float(value).is_integer():
        return str(int(value))
    return repr(float(value))


def validate(ballot: Ballot, rules: BallotRules) -> Ballot:
    """Check ``ballot`` against ``rules`` and return its normalised form.

    Problems are reported in reading order: the first faulty entry of the ballot decides
    the error. The normalised form lists candidates in the rules' candidate order inside
    each tie group and in approvals, drops empty preference groups and zero scores, so
    equal ballots written differently become identical.
    """
    expected = rules.kind
    kind = kind_of(ballot)
    if kind != expected:
        raise refuse("wrong-kind", "kind", kind=kind, expected=expected)
    index = _index(rules.candidates)
    if isinstance(ballot, RankedBallot):
        return _ranked(ballot, rules, index)
    if isinstance(ballot, ApprovalBallot | BudgetBallot):
        return _approval(ballot, rules, index)
    return _score(ballot, rules, index)


@functools.lru_cache(maxsize=64)
def _index(candidates: tuple[str, ...]) -> Mapping[str, int]:
    """Candidate name to position, built once per slate."""
    return {name: i for i, name in enumerate(candidates)}


def _ranked(ballot: RankedBallot, rules: BallotRules, index: Mapping[str, int]) -> RankedBallot:
    """Ranked ballots.

    A ballot that ranks every candidate but one is complete: the one left out is ranked
    last (so a tablet need not ask for the final tap).
    """
    seen: set[str] = set()
    groups: list[tuple[str, ...]] = []
    for g, group in enumerate(ballot.ranking):
        for i, name in enumerate(group):
            if name not in index:
                raise refuse("unknown-candidate", f"ranking[{g}][{i}]", str(name))
            if name in seen:
                raise refuse("ranked-twice", f"ranking[{g}][{i}]", name)
            seen.add(name)
        if len(group) > 1 and not rules.allow_ties:
            first, other = group[0], group[1]
            raise refuse("ties-forbidden", f"ranking[{g}]", first, other=other)
        if len(group) == 1:
            groups.append(tuple(group))
        elif group:
            groups.append(tuple(sorted(group, key=index.__getitem__)))
    if not groups:
        if rules.allow_empty:
            return RankedBallot(ranking=())
        raise refuse("empty", "ranking")
    if not rules.allow_truncation and len(seen) < len(index):
        missing = [name for name in rules.candidates if name not in seen]
        if len(missing) == 1:
            groups.append((missing[0],))
        elif missing:
            raise refuse("truncation-forbidden", "ranking", missing[0])
    return RankedBallot(ranking=tuple(groups))


def _approval(
    ballot: ApprovalBallot | BudgetBallot, rules: BallotRules, index: Mapping[str, int]
) -> ApprovalBallot | BudgetBallot:
    """Approval and budget ballots."""
    seen: set[str] = set()
    for i, name in enumerate(ballot.approved):
        if name not in index:
            raise refuse("unknown-candidate", f"approved[{i}]", str(name))
        if name in seen:
            raise refuse("approved-twice", f"approved[{i}]", name)
        seen.add(name)
    if not seen and not rules.allow_empty:
        raise refuse("empty", "approved")
    if rules.max_approvals is not None and len(seen) > rules.max_approvals:
        raise refuse(
            "too-many-approvals", "approved", count=str(len(seen)), limit=str(rules.max_approvals)
        )
    approved = tuple(sorted(seen, key=index.__getitem__))
    if isinstance(ballot, ApprovalBallot):
        return ApprovalBallot(approved=approved)
    if rules.costs is not None and rules.budget is not None and not rules.allow_over_budget:
        total = math.fsum(rules.costs[index[name]] for name in approved)
        if total - rules.budget > BUDGET_TOLERANCE * max(1.0, rules.budget):
            raise refuse(
                "over-budget", "approved", total=amount(total), budget=amount(rules.budget)
            )
    return BudgetBallot(approved=approved)


def _score(ballot: ScoreBallot, rules: BallotRules, index: Mapping[str, int]) -> ScoreBallot:
    """Score ballots."""
    kept: dict[str, int] = {}
    for name, score in ballot.scores.items():
        where = f"scores[{_quoted(name)}]"
        if name not in index:
            raise refuse("unknown-candidate", where, str(name))
        if isinstance(score, bool) or not isinstance(score, int):
            raise refuse(
                "score-out-of-range", where, name, score=repr(score), max_score=str(rules.max_score)
            )
        if score < 0 or score > rules.max_score:
            raise refuse(
                "score-out-of-range", where, name, score=str(score), max_score=str(rules.max_score)
            )
        if score:
            kept[name] = score
    if not kept and not rules.allow_empty:
        raise refuse("empty", "scores")
    return ScoreBallot(scores={name: kept[name] for name in sorted(kept, key=index.__getitem__)})


def _quoted(name: object) -> str:
    """A dict key as it appears in a JSON path: ``"文化墙"``."""
    return msgspec.json.encode(str(name)).decode()
