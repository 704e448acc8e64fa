"""The branch secretary's HTML forms as Structs, and turning them into the loop's request
shapes (tasks, progress notes with photos, satisfaction checks, close-out and re-opening,
and the reason a resident's feedback is not shown).

Browsers send every field as text; a blank optional field means "leave it as it is", and
a file input left empty arrives as an empty string, not a file.
"""

from __future__ import annotations

from typing import Annotated, Any, TypeAlias, TypeVar

import msgspec
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body

from service.errors import Invalid
from service.loop.schemas import (
    CloseOutCreate,
    FeedbackCreate,
    NoteCreate,
    Rejection,
    Reopen,
    TaskCreate,
    TaskUpdate,
)
from service.photos.uploads import chosen_files
from service.web.forms import checked, whole

T = TypeVar("T")
Upload: TypeAlias = Annotated[T, Body(media_type=RequestEncodingType.MULTI_PART)]
"""A handler's ``data`` sent as a multipart HTML form (a form with a file input)."""


def _blank_to_none(values: dict[str, str]) -> dict[str, str]:
    return {k: v.strip() for k, v in values.items() if v.strip()}


def _needs(value: str, field: str, key: str) -> str:
    """``value`` stripped, or the refusal ``key`` when it is blank."""
    if not value.strip():
        raise Invalid(key, field=field)
    return value.strip()


class TaskForm(msgspec.Struct):
    """A new task: what, who, by when, and (optionally) the decided option it carries out."""

    title: str = ""
    owner: str = ""
    due_on: str = ""
    description: str = ""
    proposal_id: str = ""

    def to_create(self) -> TaskCreate:
        return checked(
            {
                "title": _needs(self.title, "title", "task-title-required"),
                "owner": _needs(self.owner, "owner", "task-owner-required"),
                "due_on": _needs(self.due_on, "due_on", "task-due-required"),
                "description": self.description.strip(),
                "proposal_id": whole(self.proposal_id, "proposal_id", least=1, most=2**31),
            },
            TaskCreate,
        )


class TaskChangeForm(msgspec.Struct):
    """A change to a task's plan; blank fields stay as they are."""

    title: str = ""
    owner: str = ""
    due_on: str = ""

    def to_update(self) -> TaskUpdate:
        fields = {"title": self.title, "owner": self.owner, "due_on": self.due_on}
        return checked(_blank_to_none(fields), TaskUpdate)


class NoteForm(msgspec.Struct):
    """A progress note, optionally moving the status and progress, with photos attached."""

    body: str = ""
    status: str = ""
    progress: str = ""
    photos: list[Any] = []

    def to_create(self) -> NoteCreate:
        return checked(
            {
                "body": _needs(self.body, "body", "note-body-required"),
                "status": self.status.strip() or None,
                "progress": whole(self.progress, "progress", most=100),
            },
            NoteCreate,
        )

    def files(self) -> list[UploadFile]:
        """The photos chosen (an empty file input sends none)."""
        return chosen_files(self.photos)


class FeedbackForm(msgspec.Struct):
    """A satisfaction check: where it was taken, when, and the counts."""

    channel: str = "bench"
    held_on: str = ""
    satisfied: str = ""
    fairly_satisfied: str = ""
    dissatisfied: str = ""
    note: str = ""

    def to_create(self) -> FeedbackCreate:
        held_on = _needs(self.held_on, "held_on", "check-date-required")
        counts = {
            name: whole(getattr(self, name), name) or 0
            for name in ("satisfied", "fairly_satisfied", "dissatisfied")
        }
        return checked(
            {"channel": self.channel, "held_on": held_on, "note": self.note.strip(), **counts},
            FeedbackCreate,
        )


class CloseOutForm(msgspec.Struct):
    note: str = ""

    def to_create(self) -> CloseOutCreate:
        note = _needs(self.note, "note", "sign-off-required")
        return checked({"note": note}, CloseOutCreate)


class ReopenForm(msgspec.Struct):
    reason: str = ""

    def to_reopen(self) -> Reopen:
        reason = _needs(self.reason, "reason", "reopen-reason-required")
        return checked({"reason": reason}, Reopen)


class SlipsForm(msgspec.Struct):
    count: str = ""


class RejectForm(msgspec.Struct):
    """Why a resident's feedback is not shown on the board."""

    reason: str = ""

    def to_rejection(self) -> Rejection:
        reason = _needs(self.reason, "reason", "reject-reason-required")
        return checked({"reason": reason}, Rejection)
