"""The tables of the bench meeting and the street (issue 17): the street above its
communities, grid party branches, the team, meetings with their agenda, attendance and
minutes, site surveys before a meeting, and the life of a resident's request from the field
to its close (销号), the street's answer included.

The request row itself (``requests``) is :class:`service.db.models.ResidentRequest`; its
history is :class:`RequestEvent`, one row per step, never edited.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from service.db.base import Base, utcnow
from service.zones import DEFAULT_ZONE

TEAM_ROLES = (
    "party_member",
    "grid_worker",
    "building_head",
    "representative",
    "elder",
    "youth_volunteer",
)
"""What a team member (红板凳队伍) is: 党员, 网格员, 楼栋长, 居民代表, 五老, 青年志愿者."""

ATTENDANCE = (
    "party_member",
    "representative",
    "elder",
    "youth_volunteer",
    "grid_worker",
    "resident",
)
"""The categories a meeting's attendance is counted by (the last: other residents)."""

MEETING_KINDS = ("deliberation", "briefing", "visit")
"""议事 (to decide), 宣讲 (to explain a policy in plain words), 走访 (to hear residents)."""

REQUEST_CATEGORIES = (
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
)
"""What a request is about: 道路, 排水, 绿化, 环境卫生, 安全, 公共设施, 邻里, 养老, 物业, 其他."""

REQUEST_STATES = ("open", "on_spot", "meeting", "escalated", "returned", "closed")
"""``requests.stage``: logged and not yet triaged; handled on the spot (closed at once);
put to a bench meeting; escalated to the street office; answered and returned by the street;
closed (销号). (``requests.status`` keeps the older promoted/declined outcome.)"""

STREET_STATES = ("pending", "assigned", "answered")
"""Where an escalated request stands at the street office."""

VERDICTS = ("satisfied", "fairly_satisfied", "dissatisfied")
"""A resident's satisfaction when the request is closed (回访)."""


class Street(Base):
    """A street office (街道办事处) and the communities under it, e.g. 矿山集街道."""

    __tablename__ = "streets"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    time_zone: Mapped[str] = mapped_column(
        String(64), default=DEFAULT_ZONE, server_default=DEFAULT_ZONE
    )
    """IANA zone of its dashboard's months and days."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class GridBranch(Base):
    """A grid party branch (网格党支部) of a community; it covers one grid or several."""

    __tablename__ = "grid_branches"
    __table_args__ = (UniqueConstraint("community_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))


class TeamMember(Base):
    """A member of the red-bench team (红板凳队伍). A phone number is shown on the board's
    grid card ("有事请找我") only with the member's recorded consent."""

    __tablename__ = "team_members"
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grids.id"), default=None)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(20))
    """One of :data:`TEAM_ROLES`."""
    phone: Mapped[str] = mapped_column(String(20), default="")
    phone_public: Mapped[bool] = mapped_column(default=False)
    """The member agreed to have the number shown on the public board."""
    consent_on: Mapped[date | None] = mapped_column(default=None)
    """When that consent was given (required with it)."""
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Meeting(Base):
    """A bench meeting (议事会) or a policy briefing (宣讲) or a visit (走访)."""

    __tablename__ = "meetings"
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    """One of :data:`MEETING_KINDS`."""
    title: Mapped[str] = mapped_column(String(200))
    place: Mapped[str] = mapped_column(String(200), default="")
    """Where, as people say it: 3号楼前小广场, 百姓说事点 …"""
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grids.id"), default=None)
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime | None] = mapped_column(default=None)
    facilitator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    status: Mapped[str] = mapped_column(String(12), default="planned")
    """``planned``, ``held`` or ``cancelled``."""
    topic: Mapped[str] = mapped_column(Text, default="")
    """For a briefing: the policy explained."""
    reached: Mapped[int] = mapped_column(Integer, default=0)
    """For a briefing or visit: people reached (attendance counts say who sat down)."""
    minutes: Mapped[str] = mapped_column(Text, default="")
    """The minutes (会议纪要) as the facilitator finished them from the draft."""
    held_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(default=None)
    cancel_reason: Mapped[str | None] = mapped_column(Text, default=None)
    """Why the meeting was called off (rain, the hall taken …); set with ``cancelled``."""


class MeetingItem(Base):
    """One item of a meeting's agenda: a process, one of its rounds, or a request."""

    __tablename__ = "meeting_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    process_id: Mapped[int | None] = mapped_column(ForeignKey("processes.id"), default=None)
    round_id: Mapped[int | None] = mapped_column(ForeignKey("rounds.id"), default=None)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("requests.id"), default=None)
    note: Mapped[str] = mapped_column(Text, default="")
    """What the item is, if none of the above (or a word on it)."""
    decision: Mapped[str] = mapped_column(Text, default="")
    """What the meeting decided on this item, for the minutes."""
    follow_up: Mapped[str] = mapped_column(Text, default="")
    """Who does what next, for the minutes."""


class MeetingAttendance(Base):
    """How many of one category attended a meeting (a count, from the sign-in sheet)."""

    __tablename__ = "meeting_attendance"
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), primary_key=True)
    category: Mapped[str] = mapped_column(String(20), primary_key=True)
    """One of :data:`ATTENDANCE`."""
    count: Mapped[int] = mapped_column(Integer, default=0)


class MeetingAttendee(Base):
    """A name on a meeting's sign-in sheet, when the meeting chooses to record names."""

    __tablename__ = "meeting_attendees"
    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    category: Mapped[str] = mapped_column(String(20))


ONE_OWNER = (
    "(CASE WHEN meeting_id IS NULL THEN 0 ELSE 1 END)"
    " + (CASE WHEN survey_id IS NULL THEN 0 ELSE 1 END)"
    " + (CASE WHEN request_id IS NULL THEN 0 ELSE 1 END) = 1"
)
"""The photos table's CHECK: a photo belongs to exactly one meeting, survey or request."""


class Photo(Base):
    """A photo of a meeting, a site survey or a request (JPEG, PNG or WebP, re-encoded
    without metadata). Exactly one owner column is set (:data:`ONE_OWNER`)."""

    __tablename__ = "photos"
    __table_args__ = (CheckConstraint(ONE_OWNER, name="one_owner"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int | None] = mapped_column(
        ForeignKey("meetings.id"), default=None, index=True
    )
    survey_id: Mapped[int | None] = mapped_column(
        ForeignKey("site_surveys.id"), default=None, index=True
    )
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("requests.id"), default=None, index=True
    )
    caption: Mapped[str] = mapped_column(String(200), default="")
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SiteSurvey(Base):
    """A survey of the site before a process's meeting (the engineers' look at the flooded
    road): notes, measurements and photos."""

    __tablename__ = "site_surveys"
    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(ForeignKey("processes.id"), index=True)
    surveyed_on: Mapped[date] = mapped_column()
    surveyor: Mapped[str] = mapped_column(String(200))
    """Who surveyed: a person or a unit (设计院、物业 …)."""
    notes: Mapped[str] = mapped_column(Text, default="")
    measurements: Mapped[list[Any]] = mapped_column(default=list)
    """``[{"label": "积水深度", "value": "0.3", "unit": "米"}, ...]``."""
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RequestEvent(Base):
    """One step in a request's life: logged, handled on the spot, put on a meeting's agenda,
    escalated, assigned, answered and returned by the street, closed, re-opened. Never edited;
    the request row holds where it stands now."""

    __tablename__ = "request_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"), index=True)
    action: Mapped[str] = mapped_column(String(20))
    """``logged``, ``on_spot``, ``meeting``, ``escalated``, ``assigned``, ``answered``,
    ``returned``, ``closed``, ``reopened``."""
    note: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    actor: Mapped[str] = mapped_column(String(120))
    """Display name at the time."""
    at: Mapped[datetime] = mapped_column(default=utcnow)
