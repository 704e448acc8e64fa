"""Meetings over HTTP: facilitators (and admins) plan a meeting, set its agenda, count who
came, add photos, mark it held or cancelled and finish its minutes from the draft; staff of
the community read it."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from litestar import Controller, Response, delete, get, patch, post, put
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from service.auth.clock import now_of
from service.auth.guard import STAFF, roles
from service.deps import DB, Caller
from service.i18n import asked_language
from service.loop.controllers import files_attached
from service.loop.photos import UPLOAD_LIMIT
from service.meetings import agenda, attendance, desk, minutes, schemas
from service.meetings import repository as repo
from service.openapi.responses import download
from service.photos import store
from service.photos.answer import photo_response
from service.photos.schemas import Photo
from service.photos.uploads import PHOTO_REFUSALS, PhotoUpload, Upload

RUNS = roles(*repo.RUNS_MEETINGS)


class MeetingController(Controller):
    path = "/api/v1"
    tags = ["meetings"]

    @post("/communities/{community_id:int}/meetings", opt=RUNS)
    async def create_meeting(
        self,
        db: DB,
        community_id: FromPath[int],
        data: JSONBody[schemas.MeetingCreate],
        actor: Caller,
    ) -> schemas.Meeting:
        """Plan a meeting (议事, 宣讲 or 走访); the caller facilitates unless another is named."""
        return await repo.described(db, await repo.create_meeting(db, actor, community_id, data))

    @get("/communities/{community_id:int}/meetings", opt=roles(*STAFF))
    async def list_meetings(
        self,
        db: DB,
        community_id: FromPath[int],
        first: Annotated[date | None, QueryParameter(name="from")] = None,
        last: Annotated[date | None, QueryParameter(name="to")] = None,
    ) -> list[schemas.Meeting]:
        """The community's meetings by start, from ``from`` to ``to`` (dates in the
        community's zone, both included) when given."""
        found = await repo.list_meetings(db, community_id, first, last)
        return [await repo.described(db, m) for m in found]

    @get("/meetings/{meeting_id:int}", opt=roles(*STAFF))
    async def get_meeting(self, db: DB, meeting_id: FromPath[int]) -> schemas.MeetingDetail:
        return await desk.meeting_detail(db, meeting_id)

    @patch("/meetings/{meeting_id:int}", opt=RUNS)
    async def update_meeting(
        self,
        db: DB,
        meeting_id: FromPath[int],
        data: JSONBody[schemas.MeetingUpdate],
        actor: Caller,
    ) -> schemas.Meeting:
        """Change a planned meeting (409 ``meeting-not-planned`` once held or cancelled)."""
        return await repo.described(db, await repo.update_meeting(db, actor, meeting_id, data))

    @post("/meetings/{meeting_id:int}/held", opt=RUNS, status_code=200)
    async def held(
        self,
        db: DB,
        state: State,
        meeting_id: FromPath[int],
        data: JSONBody[schemas.Held],
        actor: Caller,
    ) -> schemas.Meeting:
        """The meeting took place; a briefing or visit gives the people it reached (409
        ``meeting-held-before-its-day`` before the day it starts on)."""
        meeting = await repo.mark_held(db, actor, meeting_id, data.reached, now_of(state))
        return await repo.described(db, meeting)

    @post("/meetings/{meeting_id:int}/cancel", opt=RUNS, status_code=200)
    async def cancel(
        self,
        db: DB,
        meeting_id: FromPath[int],
        data: JSONBody[schemas.Cancellation],
        actor: Caller,
        state: State,
    ) -> schemas.Meeting:
        meeting = await repo.cancel_meeting(db, actor, meeting_id, data.reason, now_of(state))
        return await repo.described(db, meeting)


class AgendaController(Controller):
    path = "/api/v1/meetings/{meeting_id:int}"
    tags = ["meetings"]

    @get("/items", opt=roles(*STAFF))
    async def list_items(self, db: DB, meeting_id: FromPath[int]) -> list[schemas.AgendaItem]:
        await repo.find_meeting(db, meeting_id)
        return await agenda.agenda_of(db, meeting_id)

    @post("/items", opt=RUNS)
    async def add_item(
        self, db: DB, meeting_id: FromPath[int], data: JSONBody[schemas.ItemCreate], actor: Caller
    ) -> list[schemas.AgendaItem]:
        """Add a process, one of its rounds, or a note at the end; the whole agenda back."""
        await agenda.add_item(db, actor, meeting_id, data)
        return await agenda.agenda_of(db, meeting_id)

    @patch("/items/{item_id:int}", opt=RUNS)
    async def update_item(
        self,
        db: DB,
        meeting_id: FromPath[int],
        item_id: FromPath[int],
        data: JSONBody[schemas.ItemUpdate],
        actor: Caller,
    ) -> list[schemas.AgendaItem]:
        """An item's note, decision and follow-up (also after the meeting was held)."""
        await agenda.update_item(db, actor, meeting_id, item_id, data)
        return await agenda.agenda_of(db, meeting_id)

    @delete("/items/{item_id:int}", opt=RUNS, status_code=200)
    async def remove_item(
        self,
        db: DB,
        state: State,
        meeting_id: FromPath[int],
        item_id: FromPath[int],
        actor: Caller,
    ) -> list[schemas.AgendaItem]:
        await agenda.remove_item(db, actor, meeting_id, item_id, now_of(state))
        return await agenda.agenda_of(db, meeting_id)

    @put("/agenda", opt=RUNS)
    async def reorder(
        self, db: DB, meeting_id: FromPath[int], data: JSONBody[schemas.AgendaOrder], actor: Caller
    ) -> list[schemas.AgendaItem]:
        """Put the agenda in the order given (every item's id once)."""
        await agenda.reorder(db, actor, meeting_id, data.order)
        return await agenda.agenda_of(db, meeting_id)

    @get("/attendance", opt=roles(*STAFF))
    async def get_attendance(self, db: DB, meeting_id: FromPath[int]) -> schemas.Attendance:
        await repo.find_meeting(db, meeting_id)
        return await attendance.attendance_of(db, meeting_id)

    @put("/attendance", opt=RUNS)
    async def set_attendance(
        self,
        db: DB,
        meeting_id: FromPath[int],
        data: JSONBody[schemas.AttendanceSet],
        actor: Caller,
    ) -> schemas.Attendance:
        """Counts by category from the sign-in sheet (replacing what was there), and the
        names when the meeting records them."""
        return await attendance.set_attendance(db, actor, meeting_id, data)

    @get("/minutes/draft", opt=RUNS)
    async def minutes_draft(
        self, db: DB, meeting_id: FromPath[int], lang: FromQuery[str | None] = None
    ) -> schemas.MinutesDraft:
        """The minutes drafted from what the meeting produced (``?lang=en`` for English)."""
        return await minutes.minutes_draft(db, meeting_id, asked_language(lang))

    @put("/minutes", opt=RUNS)
    async def save_minutes(
        self,
        db: DB,
        meeting_id: FromPath[int],
        data: JSONBody[schemas.MinutesSave],
        actor: Caller,
    ) -> schemas.MinutesOut:
        saved = await minutes.save_minutes(db, actor, meeting_id, data.minutes)
        return schemas.MinutesOut(meeting_id=meeting_id, minutes=saved)

    @post(
        "/photos",
        opt=RUNS,
        request_max_body_size=UPLOAD_LIMIT,
        before_request=files_attached,
        responses=PHOTO_REFUSALS,
    )
    async def add_photos(
        self, db: DB, meeting_id: FromPath[int], data: Upload[PhotoUpload], actor: Caller
    ) -> list[Photo]:
        """Photos of the meeting (multipart: ``photos``, one or more files, and an optional
        ``caption``), stored re-encoded without metadata (GPS position, EXIF …)."""
        repo.not_cancelled(await repo.find_meeting(db, meeting_id))
        caption = data.caption_text()
        shrunk = await data.shrunk()
        return await store.add_photos(db, actor, "meeting", meeting_id, shrunk, caption)

    @get("/photos", opt=roles(*STAFF))
    async def list_photos(self, db: DB, meeting_id: FromPath[int]) -> list[Photo]:
        await repo.find_meeting(db, meeting_id)
        return await store.photos_of(db, "meeting", meeting_id)

    @get(
        "/photos/{photo_id:int}",
        opt=roles(*STAFF),
        responses=download(200, ["image/jpeg"], description="the photo"),
    )
    async def photo(
        self, db: DB, meeting_id: FromPath[int], photo_id: FromPath[int]
    ) -> Response[bytes]:
        return photo_response(await store.photo_bytes(db, "meeting", meeting_id, photo_id))
