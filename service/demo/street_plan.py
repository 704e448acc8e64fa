"""The street demo's plan: what :func:`service.demo.street.load_street` writes, as plain
dataclasses, made from a seed alone (no clock, no database), so that the same seed gives
the same street and a test can count the figures from the plan without reading the rows.

Rows refer to each other by name (a community, a grid) or by their index in the plan (a
meeting, a request); the loader turns those into ids. A request's standing (stage, dates,
the street's answer …) is not chosen but worked out from its history by :func:`settle`,
step by step as the service would move it, so the row and its ``request_events`` agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Final

from service.zones import DEFAULT_ZONE, zone

ZONE: Final = DEFAULT_ZONE
"""The street's and every community's zone (北京时间)."""
STREET_ACTIONS: Final = frozenset({"assigned", "answered", "returned"})
"""Steps the street office takes (the ``jiedao`` account); the rest are the community's."""


def local(day: date, hour: int, minute: int = 0) -> datetime:
    """``day`` at ``hour:minute`` in the street's zone, as an aware datetime."""
    return datetime.combine(day, time(hour, minute), tzinfo=zone(ZONE))


@dataclass(frozen=True)
class PlanCommunity:
    """A community of the street, with the account of its facilitator and the account that
    logs its requests (the pocket park's grid worker ``wangge`` for 杜集社区)."""

    name: str
    facilitator: str
    logger: str
    existing: bool
    """Already there (the pocket park's): put on the street, not made."""


@dataclass(frozen=True)
class PlanBranch:
    """A grid party branch (网格党支部)."""

    community: str
    name: str


@dataclass(frozen=True)
class PlanGrid:
    """A grid, in the order the grids get their ids (the pocket park's first)."""

    community: str
    name: str
    branch: str
    existing: bool = False


@dataclass(frozen=True)
class PlanMember:
    """A member of the red-bench team; a phone shown publicly only with ``consent_on``."""

    community: str
    grid: str | None
    name: str
    role: str
    phone: str
    phone_public: bool
    consent_on: date | None
    active: bool = True


@dataclass(frozen=True)
class PlanAccount:
    """A staff account the demo makes (password :data:`service.demo.loader.PASSWORD`)."""

    username: str
    display_name: str
    role: str
    community: str | None
    """The community it is tied to (None: the street account)."""


@dataclass(frozen=True)
class PlanItem:
    """An agenda item: a request (its index in :attr:`StreetPlan.requests`) or a note."""

    position: int
    request: int | None
    note: str = ""
    decision: str = ""
    follow_up: str = ""


@dataclass
class PlanMeeting:
    """A meeting; ``items`` are filled in once the requests put to it are known."""

    community: str
    grid: str | None
    kind: str
    title: str
    place: str
    topic: str
    starts_at: datetime
    status: str
    reached: int
    attendance: tuple[tuple[str, int], ...]
    minutes: str = ""
    created_at: datetime | None = None
    items: list[PlanItem] = field(default_factory=list)

    @property
    def people_reached(self) -> int:
        """``reached`` when counted, else everyone on the attendance counts."""
        return self.reached if self.reached > 0 else sum(n for _, n in self.attendance)


@dataclass(frozen=True)
class PlanEvent:
    """One step of a request's history (``meeting``: the meeting's index in the plan)."""

    action: str
    at: datetime
    note: str = ""
    meeting: int | None = None
    assignee: str = ""
    satisfaction: str | None = None


@dataclass(frozen=True)
class Standing:
    """Where a request stands after its history: the columns of its row."""

    stage: str = "open"
    meeting: int | None = None
    escalated_at: datetime | None = None
    street_state: str | None = None
    street_assignee: str = ""
    street_answer: str = ""
    returned_at: datetime | None = None
    closed_at: datetime | None = None
    close_note: str = ""
    satisfaction: str | None = None


def settle(events: tuple[PlanEvent, ...]) -> Standing:
    """Replay a request's steps as the service moves a request (the first is ``logged``)."""
    s: dict[str, object] = {}
    for e in events:
        if e.action == "meeting":
            s |= {"stage": "meeting", "meeting": e.meeting}
        elif e.action == "escalated":
            s |= {
                "stage": "escalated",
                "street_state": "pending",
                "escalated_at": e.at,
                "returned_at": None,
            }
        elif e.action == "assigned":
            s |= {"street_assignee": e.assignee}
            if s.get("street_state") == "pending":
                s["street_state"] = "assigned"
        elif e.action == "answered":
            s |= {"street_answer": e.note, "street_state": "answered"}
        elif e.action == "returned":
            s |= {"stage": "returned", "returned_at": e.at}
        elif e.action == "closed":
            s |= {
                "stage": "closed",
                "closed_at": e.at,
                "close_note": e.note,
                "satisfaction": e.satisfaction,
            }
        elif e.action == "reopened":
            s |= {"stage": "open", "closed_at": None, "satisfaction": None}
    return Standing(**s)  # type: ignore[arg-type]


@dataclass(frozen=True)
class PlanRequest:
    """A request and its history; :attr:`standing` is what its row says now."""

    community: str
    grid: str | None
    category: str
    place: str
    body: str
    raised_by: str
    events: tuple[PlanEvent, ...]

    @property
    def created_at(self) -> datetime:
        return self.events[0].at

    @property
    def standing(self) -> Standing:
        return settle(self.events)

    def did(self, action: str) -> bool:
        """Whether the history has a step ``action``."""
        return any(e.action == action for e in self.events)


@dataclass(frozen=True)
class StreetPlan:
    """Everything the street demo makes, in the order it is written."""

    seed: int
    year: int
    street: str
    zone: str
    communities: tuple[PlanCommunity, ...]
    branches: tuple[PlanBranch, ...]
    grids: tuple[PlanGrid, ...]
    accounts: tuple[PlanAccount, ...]
    members: tuple[PlanMember, ...]
    meetings: tuple[PlanMeeting, ...]
    requests: tuple[PlanRequest, ...]

    def solved_at_meetings(self) -> list[int]:
        """Requests on the agenda of a held meeting and closed on its decision (not sent on
        to the street afterwards)."""
        solved = []
        for i, request in enumerate(self.requests):
            standing = request.standing
            if (
                standing.meeting is not None
                and self.meetings[standing.meeting].status == "held"
                and standing.stage == "closed"
                and not request.did("escalated")
            ):
                solved.append(i)
        return solved
