"""Request and response shapes of meetings: the meeting, its agenda items, attendance,
photos and minutes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from msgspec import UNSET, Meta, Struct, UnsetType

from service.inputs import LINE, PROSE, Input
from service.photos.schemas import Photo

MeetingKind = Literal["deliberation", "briefing", "visit"]
"""议事, 宣讲, 走访 (:data:`service.db.street.MEETING_KINDS`)."""
MeetingStatus = Literal["planned", "held", "cancelled"]
Category = Literal[
    "party_member", "representative", "elder", "youth_volunteer", "grid_worker", "resident"
]
"""An attendance category (:data:`service.db.street.ATTENDANCE`)."""

Title = Annotated[str, Meta(min_length=1, max_length=200, extra=LINE)]
Place = Annotated[str, Meta(max_length=200, extra=LINE)]
Prose = Annotated[str, Meta(max_length=4000, extra=PROSE)]
Minutes = Annotated[str, Meta(max_length=20000, extra=PROSE)]
Reason = Annotated[str, Meta(min_length=1, max_length=500, extra=PROSE)]
Count = Annotated[int, Meta(ge=0, le=100_000)]
Name = Annotated[str, Meta(min_length=1, max_length=120, extra=LINE)]


class MeetingCreate(Input, forbid_unknown_fields=True):
    """A new meeting. ``starts_at`` and ``ends_at`` carry their offset; the facilitator is
    the caller unless ``facilitator_id`` names another account; ``topic`` is the policy a
    briefing explains."""

    kind: MeetingKind
    title: Title
    starts_at: datetime
    place: Place = ""
    grid_id: int | None = None
    ends_at: datetime | None = None
    facilitator_id: int | None = None
    topic: Prose = ""


class MeetingUpdate(Input, forbid_unknown_fields=True):
    """A change to a planned meeting; fields left out stay as they are."""

    kind: MeetingKind | UnsetType = UNSET
    title: Title | UnsetType = UNSET
    place: Place | UnsetType = UNSET
    grid_id: int | UnsetType | None = UNSET
    starts_at: datetime | UnsetType = UNSET
    ends_at: datetime | UnsetType | None = UNSET
    topic: Prose | UnsetType = UNSET


class Meeting(Struct):
    """A meeting and where it stands."""

    id: int
    community_id: int
    kind: MeetingKind
    title: str
    place: str
    grid_id: int | None
    starts_at: datetime
    ends_at: datetime | None
    facilitator_id: int | None
    facilitator: str | None
    status: MeetingStatus
    topic: str
    reached: int
    held_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str | None
    created_at: datetime


class ItemCreate(Input, forbid_unknown_fields=True):
    """An agenda item: a process (``process_id``), one of its rounds (``round_id``, the
    process taken from it), or a note alone. Requests reach an agenda through triage."""

    process_id: int | None = None
    round_id: int | None = None
    note: Prose = ""


class ItemUpdate(Input, forbid_unknown_fields=True):
    """The item's note, what the meeting decided on it and who does what next."""

    note: Prose | UnsetType = UNSET
    decision: Prose | UnsetType = UNSET
    follow_up: Prose | UnsetType = UNSET


class AgendaOrder(Input, forbid_unknown_fields=True):
    """Every item of the agenda, by id, in its new order."""

    order: list[int]


class AgendaItem(Struct):
    """One item of an agenda, with what it points at said in words."""

    id: int
    position: int
    process_id: int | None
    process: str | None
    round_id: int | None
    round_number: int | None
    round_title: str | None
    request_id: int | None
    request_place: str | None
    request_body: str | None
    note: str
    decision: str
    follow_up: str


class Attendee(Input, forbid_unknown_fields=True):
    """A name on the sign-in sheet, with the category it signed in under."""

    name: Name
    category: Category


class AttendanceSet(Input, forbid_unknown_fields=True):
    """How many attended, by category (categories left out: none), and, when the meeting
    records them, the names (left out: the names recorded stay; ``[]``: none)."""

    counts: dict[Category, Count]
    names: list[Attendee] | UnsetType = UNSET


class Attendance(Struct):
    """Every category with its count (zeros included), the total, and the names."""

    counts: dict[str, int]
    total: int
    names: list[Attendee]


class Held(Input, forbid_unknown_fields=True):
    """The meeting took place; a briefing or a visit says how many people it reached."""

    reached: Count | None = None


class Cancellation(Input, forbid_unknown_fields=True):
    reason: Reason


class MeetingDetail(Meeting):
    """A meeting with its agenda, attendance, photos and minutes."""

    agenda: list[AgendaItem]
    attendance: Attendance
    photos: list[Photo]
    minutes: str


class MinutesSave(Input, forbid_unknown_fields=True):
    """The minutes as the facilitator finished them."""

    minutes: Minutes


class MinutesOut(Struct):
    meeting_id: int
    minutes: str


class Speaker(Struct):
    """Someone who spoke on an agenda round during the meeting, and how often."""

    name: str
    comments: int


class RoundHeld(Struct):
    """A round of the agenda and, once counted, its winners in words."""

    round_id: int
    title: str
    phase: str
    winners: str | None


class MinutesDraft(Struct):
    """What the meeting produced, and the minutes drafted from it (``text``), for the
    facilitator to edit."""

    meeting_id: int
    on: date
    speakers: list[Speaker]
    rounds: list[RoundHeld]
    attendance: Attendance
    text: str
