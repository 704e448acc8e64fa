"""Request and response shapes for processes (议题)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from msgspec import Meta, Struct

from engine.process import ProcessPhase, RoundPhase
from service.inputs import LINE, PROSE, Input

Title = Annotated[str, Meta(min_length=1, max_length=200, extra=LINE)]
Question = Annotated[str, Meta(max_length=4000, extra=PROSE)]
Reason = Annotated[str, Meta(min_length=1, max_length=2000, extra=PROSE)]


class Process(Struct):
    """An agenda item and where it stands."""

    id: int
    community_id: int
    title: str
    question: str
    phase: ProcessPhase
    created_at: datetime
    deliberating_at: datetime | None
    decided_at: datetime | None
    closed_at: datetime | None
    withdrawn_reason: str | None


class ProposalSummary(Struct):
    id: int
    title: str
    status: str
    version: int


class RoundSummary(Struct):
    id: int
    number: int
    phase: RoundPhase


class ProcessDetail(Process):
    """A process with its proposals and rounds, oldest first."""

    proposals: list[ProposalSummary]
    rounds: list[RoundSummary]


class ProcessCreate(Input, forbid_unknown_fields=True):
    title: Title
    question: Question = ""


class PhaseChange(Input, forbid_unknown_fields=True):
    """Move a process to phase ``to``; re-opening, sending back and withdrawing need a reason."""

    to: ProcessPhase
    reason: Reason | None = None
