"""The request pages' HTML forms as Structs, and turning them into the API's shapes (a
refusal names the field, as the API's would)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar.datastructures import UploadFile

from service.photos.uploads import chosen_files
from service.requests.schemas import Answer, Assignment, Closing, Handled, Reopening, RequestCreate
from service.web.forms import checked, whole


class NewRequestForm(msgspec.Struct):
    """The grid worker's phone form: what, where, which grid and category, who raised it,
    a photo taken there and then."""

    body: str = ""
    place: str = ""
    grid: str = ""
    category: str = "other"
    raised_by: str = ""
    community: str = ""
    photo: Any = ""

    def to_create(self) -> RequestCreate:
        grid_id = whole(self.grid, "grid_id", least=1, most=2**31 - 1)
        return checked(
            {
                "body": self.body,
                "place": self.place.strip(),
                "category": self.category or "other",
                "raised_by": self.raised_by.strip(),
                "grid_id": grid_id,
            },
            RequestCreate,
        )

    def photos(self) -> list[UploadFile]:
        """The photo, if one was taken (an empty file input sends no file)."""
        return chosen_files(self.photo)


class NoteForm(msgspec.Struct):
    note: str = ""

    def handled(self) -> Handled:
        return checked({"note": self.note}, Handled)


class MeetingForm(msgspec.Struct):
    meeting_id: str = ""

    def chosen(self) -> int:
        picked = whole(self.meeting_id, "meeting_id", least=1, most=2**31 - 1)
        return checked({"meeting_id": picked}, _MeetingPick).meeting_id


class _MeetingPick(msgspec.Struct):
    meeting_id: int


class CloseForm(msgspec.Struct):
    note: str = ""
    satisfaction: str = ""

    def closing(self) -> Closing:
        return checked({"note": self.note, "satisfaction": self.satisfaction or None}, Closing)


class ReopenForm(msgspec.Struct):
    reason: str = ""

    def reopening(self) -> Reopening:
        return checked({"reason": self.reason}, Reopening)


class AssignForm(msgspec.Struct):
    assignee: str = ""

    def assignment(self) -> Assignment:
        return checked({"assignee": self.assignee}, Assignment)


class AnswerForm(msgspec.Struct):
    answer: str = ""

    def answered(self) -> Answer:
        return checked({"answer": self.answer}, Answer)
