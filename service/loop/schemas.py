"""Request and response shapes for the loop after the decision: tasks, notes and photos,
feedback, the close-out, and the public board."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from msgspec import Meta, Struct

from ballots.bundle import Channel, TaskStatus
from service.inputs import LINE, PROSE, Input
from service.refusals import check

OPEN_STATUSES: tuple[str, ...] = ("planned", "in_progress")
"""Statuses of a task still to be finished (an open task past its due date is overdue)."""
Title = Annotated[str, Meta(min_length=1, max_length=200, extra=LINE)]
Owner = Annotated[str, Meta(min_length=1, max_length=120, extra=LINE)]
Text = Annotated[str, Meta(max_length=4000, extra=PROSE)]
RequiredText = Annotated[str, Meta(min_length=1, max_length=4000, extra=PROSE)]
Count = Annotated[int, Meta(ge=0, le=1_000_000)]


class TaskCreate(Input, forbid_unknown_fields=True):
    """A new implementation task; ``proposal_id`` names the decided option it carries out."""

    title: Title
    owner: Owner
    due_on: date
    description: Text = ""
    proposal_id: int | None = None


class TaskUpdate(Input, forbid_unknown_fields=True):
    """Changes to a task's plan; fields left out stay (status changes go through notes)."""

    title: Title | None = None
    owner: Owner | None = None
    due_on: date | None = None
    description: Text | None = None


class NoteCreate(Input, forbid_unknown_fields=True):
    """A progress note; it may set the task's ``status`` and ``progress`` (per cent).
    ``done`` sets the progress to 100; cancelling needs the reason in ``body``."""

    body: RequiredText
    status: TaskStatus | None = None
    progress: Annotated[int, Meta(ge=0, le=100)] | None = None


class Photo(Struct):
    """A photo's description; the image itself is at ``url`` (public)."""

    id: int
    content_type: str
    size: int
    sha256: str
    filename: str
    url: str
    created_at: datetime


class Note(Struct):
    id: int
    task_id: int
    body: str
    status: str | None
    progress: int | None
    author: str
    created_at: datetime
    photos: list[Photo]


class Task(Struct):
    """A task as it stands: the latest status and progress, and its notes oldest first."""

    id: int
    process_id: int
    proposal_id: int | None
    option: str | None
    """The name of the decided option it carries out (``None``: the item as a whole)."""
    title: str
    description: str
    owner: str
    due_on: date
    status: str
    progress: int
    overdue: bool
    created_at: datetime
    done_at: datetime | None
    notes: list[Note]


class OverdueTask(Struct):
    """An open task past its due date, with its process, for the secretary's list."""

    id: int
    title: str
    owner: str
    due_on: date
    days_overdue: int
    status: str
    progress: int
    process_id: int
    process_title: str
    community_id: int


class FeedbackCreate(Input, forbid_unknown_fields=True):
    """A satisfaction check: at a bench meeting (``bench``, a show of hands) or collected on
    the board (``board``); at least one resident counted."""

    channel: Channel
    held_on: date
    satisfied: Count = 0
    fairly_satisfied: Count = 0
    dissatisfied: Count = 0
    note: Text = ""

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.satisfied + self.fairly_satisfied + self.dissatisfied == 0:
            raise ValueError(check("feedback-counted"))


class Feedback(Struct):
    """A satisfaction check; ``satisfaction`` is the share satisfied or fairly satisfied."""

    id: int
    process_id: int
    channel: str
    held_on: date
    satisfied: int
    fairly_satisfied: int
    dissatisfied: int
    total: int
    satisfaction: float
    note: str
    created_at: datetime
    from_residents: bool = False
    """The running count of residents' own feedback given on the board, as approved."""


Verdict = Literal["satisfied", "fairly_satisfied", "dissatisfied"]
VERDICTS: tuple[Verdict, ...] = ("satisfied", "fairly_satisfied", "dissatisfied")
Household = Annotated[str, Meta(max_length=40, extra=LINE)]
ShortText = Annotated[str, Meta(max_length=500, extra=PROSE)]


class ResidentFeedbackCreate(Input, forbid_unknown_fields=True):
    """A resident's feedback from the board: the verdict, and optionally a short text and the
    household label (门牌) — no account, nothing else about them."""

    verdict: Verdict
    body: ShortText = ""
    household: Household = ""


class Rejection(Input, forbid_unknown_fields=True):
    """Why the secretary does not show a resident's feedback (kept, never public)."""

    reason: RequiredText


class ResidentFeedback(Struct):
    """A resident's feedback as the secretary sees it (the board shows approved texts only,
    without the household)."""

    id: int
    process_id: int
    verdict: str
    body: str
    household: str
    given_on: date
    status: str
    reason: str
    moderated_at: datetime | None
    feedback_id: int | None


class Remark(Struct):
    """An approved resident's text as the board shows it: no household, no name."""

    verdict: str
    body: str
    given_on: date


class CloseOutCreate(Input, forbid_unknown_fields=True):
    """The secretary's sign-off note for closing the item (销号)."""

    note: RequiredText


class Reopen(Input, forbid_unknown_fields=True):
    """Why a closed item (or one in feedback) goes back to implementation."""

    reason: RequiredText


class CloseOut(Struct):
    """One close-out (``closed``, with the sign-off note) or re-opening (with the reason)."""

    id: int
    action: str
    note: str
    actor: str
    at: datetime


class Loop(Struct):
    """Where a process stands after its decision: phase, tasks, feedback and close-outs."""

    process_id: int
    phase: str
    closed: bool
    open_tasks: int
    overdue_tasks: int
    tasks: list[Task]
    feedback: list[Feedback]
    close_outs: list[CloseOut]


class Decision(Struct):
    """A published round's decision as the board shows it, with its published bundle."""

    round_id: int
    number: int
    title: str
    method: str
    ballot_kind: str
    ballots: int
    codes_issued: int
    winners: list[str]
    ballot_box_digest: str
    published_at: datetime | None
    bundle_url: str


class BoardProcess(Struct):
    """One agenda item on the public board, from question to close-out."""

    id: int
    title: str
    question: str
    phase: str
    created_at: datetime
    decided_at: datetime | None
    closed_at: datetime | None
    closed: bool
    withdrawn_reason: str | None
    decisions: list[Decision]
    tasks: list[Task]
    feedback: list[Feedback]
    close_outs: list[CloseOut]


class Board(Struct):
    """A community's public board: every process, newest first."""

    community_id: int
    community: str
    processes: list[BoardProcess]
