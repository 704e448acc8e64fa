"""Request and response shapes for residents' requests (诉求) and their way to 销号."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from msgspec import Meta, Struct

from service.inputs import LINE, PROSE, Input
from service.photos.schemas import Photo
from service.processes.schemas import Question, Reason, Title
from service.refusals import check

RequestStatus = Literal["open", "promoted", "declined"]
"""The older outcome of a request: still open, promoted into a process, or declined."""
Stage = Literal["open", "on_spot", "meeting", "escalated", "returned", "closed"]
"""Where a request stands (:data:`service.db.street.REQUEST_STATES`)."""
Category = Literal[
    "roads",
    "drainage",
    "greenery",
    "sanitation",
    "safety",
    "facilities",
    "neighbours",
    "elderly_care",
    "property",
    "other",
]
"""What a request is about (:data:`service.db.street.REQUEST_CATEGORIES`)."""
Verdict = Literal["satisfied", "fairly_satisfied", "dissatisfied"]
"""The resident's satisfaction at the close (:data:`service.db.street.VERDICTS`)."""
DeskState = Literal["pending", "assigned", "answered", "returned", "closed"]
"""Where an escalated request stands as the street office sees it: still at the street
(pending, assigned, answered), returned to the community, or closed."""

Body = Annotated[str, Meta(min_length=1, max_length=4000, extra=PROSE)]
Place = Annotated[str, Meta(max_length=200, extra=LINE)]
Person = Annotated[str, Meta(max_length=120, extra=LINE)]
Note = Annotated[str, Meta(min_length=1, max_length=2000, extra=PROSE)]
Assignee = Annotated[str, Meta(min_length=1, max_length=120, extra=LINE)]


class ResidentRequest(Struct):
    """A resident's request as logged, and where it stands. ``raised_by`` (who raised it)
    is for the community's staff only: the street's answers leave it out (``None``)."""

    id: int
    community_id: int
    grid_id: int | None
    body: str
    status: str
    process_id: int | None
    decline_reason: str | None
    logged_by: int
    created_at: datetime
    place: str
    category: str
    raised_by: str | None
    stage: str
    meeting_id: int | None
    escalated_at: datetime | None
    street_state: str | None
    street_assignee: str
    street_answer: str
    returned_at: datetime | None
    closed_at: datetime | None
    close_note: str
    satisfaction: str | None


class RequestEvent(Struct):
    """One step of a request's history, oldest first."""

    action: str
    note: str
    detail: dict[str, Any]
    actor: str
    at: datetime


class RequestDetail(ResidentRequest):
    """A request with its history, its photos and its days open: calendar days in the
    community's zone from the day it was logged to the day it was closed, or to today."""

    days_open: int
    events: list[RequestEvent]
    photos: list[Photo]


class Escalation(Struct):
    """An escalated request on the street office's list (never who raised it)."""

    id: int
    community_id: int
    community: str
    grid: str | None
    category: str
    place: str
    body: str
    stage: str
    street_state: str | None
    street_assignee: str
    escalated_at: datetime
    days_open: int


class RequestCreate(Input, forbid_unknown_fields=True):
    """A request logged in the field: what, where, about what, in which grid, and who raised
    it if they wish to be named."""

    body: Body
    grid_id: int | None = None
    place: Place = ""
    category: Category = "other"
    raised_by: Person = ""


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


class Handled(Input, forbid_unknown_fields=True):
    """What was done on the spot, or why it goes to the street, or back to the community."""

    note: Note


class ToMeeting(Input, forbid_unknown_fields=True):
    """Onto the agenda of a planned bench meeting of the same community."""

    meeting_id: int


class Assignment(Input, forbid_unknown_fields=True):
    """The department or person at the street who takes it on (城管科, 住建办 王科长 …)."""

    assignee: Assignee


class Answer(Input, forbid_unknown_fields=True):
    answer: Note


class Closing(Input, forbid_unknown_fields=True):
    """销号: what was done, and the resident's satisfaction if they were asked (回访)."""

    note: Note
    satisfaction: Verdict | None = None


class Reopening(Input, forbid_unknown_fields=True):
    reason: Reason
