"""Request and response shapes for processes (议题) and residents' requests (诉求)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from msgspec import Meta, Struct

from engine.process import ProcessPhase, RoundPhase
from service.inputs import LINE, PROSE, Input
from service.refusals import check

Title = Annotated[str, Meta(min_length=1, max_length=200, extra=LINE)]
Question = Annotated[str, Meta(max_length=4000, extra=PROSE)]
Reason = Annotated[str, Meta(min_length=1, max_length=2000, extra=PROSE)]
RequestStatus = Literal["open", "promoted", "declined"]


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


class ResidentRequest(Struct):
    """A resident's request as logged, and what became of it."""

    id: int
    community_id: int
    grid_id: int | None
    body: str
    status: str
    process_id: int | None
    decline_reason: str | None
    logged_by: int
    created_at: datetime


class RequestCreate(Input, forbid_unknown_fields=True):
    body: Annotated[str, Meta(min_length=1, max_length=4000, extra=PROSE)]
    grid_id: int | None = None


class Promotion(Input, forbid_unknown_fields=True):
    """Into an existing process (``process_id``) or a new one (``title`` and ``question``)."""

    process_id: int | None = None
    title: Title | None = None
    question: Question = ""

    def __post_init__(self) -> None:
        super().__post_init__()
        if (self.process_id is None) == (self.title is None):
            raise ValueError(check("promotion-either"))


class Decline(Input, forbid_unknown_fields=True):
    reason: Reason
