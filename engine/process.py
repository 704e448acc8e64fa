"""The deliberation state machines: a process (议题) and its rounds.

A process runs 收集 → 协商 → 落实 → 反馈 → 销号 (collect, deliberate, implement, report
back, close). A round runs scheduled → commenting → voting → closed → published, or is
cancelled, with a reason, before its voting opens (a round set up by mistake).
:func:`advance` allows a listed transition and refuses anything else with a reason.
Reasons are codes plus an English sentence; the service translates the code.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final, TypeVar

from engine.errors import TransitionRefused


class ProcessPhase(StrEnum):
    """Where a process (议题) stands."""

    COLLECTING = "collecting"  # 收集: requests and proposals come in
    DELIBERATING = "deliberating"  # 协商: rounds of comments and ballots
    DECIDED = "decided"  # 决定: the final round is published, handed to the branch
    IMPLEMENTING = "implementing"  # 落实: tasks carried out
    FEEDBACK = "feedback"  # 反馈: residents report back
    CLOSED = "closed"  # 销号: the secretary closed the item
    WITHDRAWN = "withdrawn"  # dropped before a decision, with a reason


class RoundPhase(StrEnum):
    """Where a deliberation round stands."""

    SCHEDULED = "scheduled"
    COMMENTING = "commenting"
    VOTING = "voting"
    CLOSED = "closed"
    PUBLISHED = "published"
    CANCELLED = "cancelled"  # dropped before voting opened, with a reason


P = ProcessPhase
R = RoundPhase

PROCESS_TRANSITIONS: Final[dict[ProcessPhase, tuple[ProcessPhase, ...]]] = {
    P.COLLECTING: (P.DELIBERATING, P.WITHDRAWN),
    P.DELIBERATING: (P.DECIDED, P.WITHDRAWN),
    P.DECIDED: (P.IMPLEMENTING,),
    P.IMPLEMENTING: (P.FEEDBACK,),
    P.FEEDBACK: (P.CLOSED, P.IMPLEMENTING),
    P.CLOSED: (P.IMPLEMENTING,),  # re-opened, with a reason
    P.WITHDRAWN: (),
}

ROUND_TRANSITIONS: Final[dict[RoundPhase, tuple[RoundPhase, ...]]] = {
    R.SCHEDULED: (R.COMMENTING, R.VOTING, R.CANCELLED),
    R.COMMENTING: (R.VOTING, R.CANCELLED),
    R.VOTING: (R.CLOSED,),
    R.CLOSED: (R.PUBLISHED,),
    R.PUBLISHED: (),
    R.CANCELLED: (),
}

NEEDS_REASON: Final[frozenset[tuple[str, str]]] = frozenset(
    {
        (P.CLOSED.value, P.IMPLEMENTING.value),
        (P.COLLECTING.value, P.WITHDRAWN.value),
        (P.DELIBERATING.value, P.WITHDRAWN.value),
        (P.FEEDBACK.value, P.IMPLEMENTING.value),
        (R.SCHEDULED.value, R.CANCELLED.value),
        (R.COMMENTING.value, R.CANCELLED.value),
    }
)
"""Transitions that must carry a written reason (re-opening, withdrawing, sending back,
cancelling a round)."""

_WHY: Final[dict[tuple[str, str], str]] = {
    (R.VOTING.value, R.COMMENTING.value): "voting has opened: the slate and method are frozen",
    (R.VOTING.value, R.SCHEDULED.value): "voting has opened: the slate and method are frozen",
    (R.CLOSED.value, R.VOTING.value): "the round is closed; ballots can no longer be cast",
    (R.PUBLISHED.value, R.VOTING.value): "the round is published; ballots can no longer be cast",
    (R.SCHEDULED.value, R.CLOSED.value): "voting never opened in this round",
    (R.COMMENTING.value, R.CLOSED.value): "voting never opened in this round",
    (R.SCHEDULED.value, R.PUBLISHED.value): "there is no result to publish before voting closes",
    (R.COMMENTING.value, R.PUBLISHED.value): "there is no result to publish before voting closes",
    (R.VOTING.value, R.PUBLISHED.value): "close the voting before publishing the result",
    (R.VOTING.value, R.CANCELLED.value): "voting has opened: a round that took ballots is "
    "closed and counted, not cancelled",
    (R.CLOSED.value, R.CANCELLED.value): "voting has opened: a round that took ballots is "
    "closed and counted, not cancelled",
    (R.PUBLISHED.value, R.CANCELLED.value): "voting has opened: a round that took ballots is "
    "closed and counted, not cancelled",
    (P.COLLECTING.value, P.DECIDED.value): "no round has been held yet",
    (P.DECIDED.value, P.DELIBERATING.value): "the decision is recorded; open a new process",
    (P.WITHDRAWN.value, P.DELIBERATING.value): "the process was withdrawn",
}

Phase = TypeVar("Phase", ProcessPhase, RoundPhase)


def allowed(current: Phase) -> tuple[Phase, ...]:
    """The phases reachable from ``current`` in one step."""
    table = PROCESS_TRANSITIONS if isinstance(current, ProcessPhase) else ROUND_TRANSITIONS
    return table[current]


def advance(current: Phase, requested: Phase, *, reason: str | None = None) -> Phase:
    """Move from ``current`` to ``requested`` or raise :class:`TransitionRefused` saying why."""
    if type(current) is not type(requested):
        raise TransitionRefused(
            f"cannot mix process and round phases ({current} → {requested})",
            current=current.value,
            requested=requested.value,
        )
    if requested == current:
        raise TransitionRefused(
            f"already {current.value}", current=current.value, requested=requested.value
        )
    if requested not in allowed(current):
        why = _WHY.get((current.value, requested.value))
        options = ", ".join(p.value for p in allowed(current)) or "none (final phase)"
        message = f"cannot go from {current.value} to {requested.value}"
        message += f": {why}" if why else f"; allowed next: {options}"
        raise TransitionRefused(message, current=current.value, requested=requested.value)
    if (current.value, requested.value) in NEEDS_REASON and not (reason and reason.strip()):
        raise TransitionRefused(
            f"going from {current.value} to {requested.value} needs a written reason",
            current=current.value,
            requested=requested.value,
        )
    return requested
