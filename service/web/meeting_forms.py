"""The meeting pages' HTML forms as Structs, turned into the API's request shapes: a new
meeting (the date and times typed in the community's zone), an agenda item, an item's
decision, the attendance counts, the minutes, marking it held and calling it off.

Browsers send every field as text; a blank optional field is left out."""

from __future__ import annotations

from datetime import date, datetime, time

import msgspec

from service.db.street import ATTENDANCE
from service.errors import Invalid
from service.meetings import schemas
from service.web.forms import checked, whole
from service.zones import zone


def _moment(on: str, at: str, zone_name: str, field: str) -> datetime | None:
    """A date and a time of day typed in the zone, as an aware time (``None`` if blank)."""
    if not at.strip():
        return None
    try:
        return datetime.combine(
            date.fromisoformat(on.strip()), time.fromisoformat(at.strip()), zone(zone_name)
        )
    except ValueError:
        raise Invalid("meeting-form-time", field=field) from None


class MeetingForm(msgspec.Struct):
    """A new meeting: its kind, title, place, grid, date, start and end, and a briefing's
    topic."""

    kind: str = "deliberation"
    title: str = ""
    place: str = ""
    grid_id: str = ""
    on: str = ""
    starts: str = ""
    ends: str = ""
    topic: str = ""

    def to_create(self, zone_name: str) -> schemas.MeetingCreate:
        starts_at = _moment(self.on, self.starts, zone_name, "starts")
        if starts_at is None:
            raise Invalid("meeting-form-time", field="starts")
        return checked(
            {
                "kind": self.kind,
                "title": self.title.strip(),
                "place": self.place.strip(),
                "grid_id": whole(self.grid_id, "grid_id", least=1, most=2**31),
                "starts_at": starts_at,
                "ends_at": _moment(self.on, self.ends, zone_name, "ends"),
                "topic": self.topic.strip(),
            },
            schemas.MeetingCreate,
        )


class ItemForm(msgspec.Struct):
    """An agenda item: ``process-7`` or ``round-12`` chosen, or a note alone."""

    subject: str = ""
    note: str = ""

    def to_create(self) -> schemas.ItemCreate:
        kind, _, number = self.subject.partition("-")
        chosen = whole(number, "subject", least=1, most=2**31) if number else None
        return checked(
            {
                "process_id": chosen if kind == "process" else None,
                "round_id": chosen if kind == "round" else None,
                "note": self.note.strip(),
            },
            schemas.ItemCreate,
        )


class ItemNotesForm(msgspec.Struct):
    decision: str = ""
    follow_up: str = ""

    def to_update(self) -> schemas.ItemUpdate:
        return checked(
            {"decision": self.decision.strip(), "follow_up": self.follow_up.strip()},
            schemas.ItemUpdate,
        )


class AttendanceForm(msgspec.Struct):
    """The sign-in sheet counted, one number a category (blank: nobody)."""

    party_member: str = ""
    representative: str = ""
    elder: str = ""
    youth_volunteer: str = ""
    grid_worker: str = ""
    resident: str = ""

    def to_set(self) -> schemas.AttendanceSet:
        counts = {c: whole(getattr(self, c), c, most=100_000) or 0 for c in ATTENDANCE}
        return checked({"counts": counts}, schemas.AttendanceSet)


class MinutesForm(msgspec.Struct):
    minutes: str = ""

    def to_save(self) -> schemas.MinutesSave:
        return checked({"minutes": self.minutes.strip()}, schemas.MinutesSave)


class HeldForm(msgspec.Struct):
    reached: str = ""

    def to_held(self) -> schemas.Held:
        return checked({"reached": whole(self.reached, "reached", most=100_000)}, schemas.Held)


class CallOffForm(msgspec.Struct):
    reason: str = ""

    def to_cancel(self) -> schemas.Cancellation:
        if not self.reason.strip():
            raise Invalid("meeting-cancel-reason", field="reason")
        return checked({"reason": self.reason.strip()}, schemas.Cancellation)
