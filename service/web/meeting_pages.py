"""The console's meeting pages: the list of meetings of the communities the facilitator
works in with the form for a new one, and one meeting — its agenda, attendance, minutes
(prefilled from the draft until saved), photos, held or called off, and links to the
sign-in sheet and the record. Each form calls the same functions as the API."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.params import FromPath
from litestar.response import Redirect, Template

from service.auth.clock import now_of
from service.db.street import ATTENDANCE, MEETING_KINDS
from service.deps import DB, Caller
from service.loop.photos import UPLOAD_LIMIT
from service.meetings import agenda, attendance, desk, minutes
from service.meetings import repository as repo
from service.photos import store
from service.photos.uploads import PhotoUpload, Upload
from service.web.console import RUNS_MEETINGS
from service.web.forms import Form
from service.web.meeting_forms import (
    AttendanceForm,
    CallOffForm,
    HeldForm,
    ItemForm,
    ItemNotesForm,
    MeetingForm,
    MinutesForm,
)
from service.web.render import language_of, page, redirect


def _back(meeting_id: int, part: str) -> Redirect:
    return redirect(f"/console/meetings/{meeting_id}#{part}")


class MeetingPagesController(Controller):
    path = "/console/meetings"
    tags = ["pages"]
    include_in_schema = False

    @get("/", opt=RUNS_MEETINGS)
    async def meetings(self, request: Request[Any, Any, Any], db: DB, actor: Caller) -> Template:
        """Each community's meetings, latest first, each with the form for a new one."""
        listed = await desk.meetings_by_community(db, actor)
        return page(request, "console/meetings.html", listed=listed, kinds=MEETING_KINDS)

    @post("/communities/{community_id:int}", opt=RUNS_MEETINGS)
    async def create(
        self, db: DB, actor: Caller, community_id: FromPath[int], data: Form[MeetingForm]
    ) -> Redirect:
        community = (await desk.choices(db, community_id)).community
        made = await repo.create_meeting(
            db, actor, community_id, data.to_create(community.time_zone)
        )
        return redirect(f"/console/meetings/{made.id}")

    @get("/{meeting_id:int}", opt=RUNS_MEETINGS)
    async def meeting(
        self, request: Request[Any, Any, Any], db: DB, meeting_id: FromPath[int]
    ) -> Template:
        """One meeting, as it goes: the agenda first, then attendance, minutes, photos."""
        shown = await desk.meeting_detail(db, meeting_id)
        offered = await desk.choices(db, shown.community_id)
        draft = (
            shown.minutes
            or (await minutes.minutes_draft(db, meeting_id, language_of(request))).text
        )
        return page(
            request,
            "console/meeting.html",
            meeting=shown,
            community=offered.community,
            grids={g.id: g.name for g in offered.grids},
            processes=offered.processes,
            categories=ATTENDANCE,
            minutes_text=draft,
            subject=lambda item: minutes.item_subject(item, language_of(request)),
        )

    @post("/{meeting_id:int}/items", opt=RUNS_MEETINGS)
    async def add_item(
        self, db: DB, actor: Caller, meeting_id: FromPath[int], data: Form[ItemForm]
    ) -> Redirect:
        await agenda.add_item(db, actor, meeting_id, data.to_create())
        return _back(meeting_id, "agenda")

    @post("/{meeting_id:int}/items/{item_id:int}", opt=RUNS_MEETINGS)
    async def item_notes(
        self,
        db: DB,
        actor: Caller,
        meeting_id: FromPath[int],
        item_id: FromPath[int],
        data: Form[ItemNotesForm],
    ) -> Redirect:
        await agenda.update_item(db, actor, meeting_id, item_id, data.to_update())
        return _back(meeting_id, f"item-{item_id}")

    @post("/{meeting_id:int}/items/{item_id:int}/remove", opt=RUNS_MEETINGS)
    async def remove_item(
        self,
        db: DB,
        actor: Caller,
        state: State,
        meeting_id: FromPath[int],
        item_id: FromPath[int],
    ) -> Redirect:
        await agenda.remove_item(db, actor, meeting_id, item_id, now_of(state))
        return _back(meeting_id, "agenda")

    @post("/{meeting_id:int}/items/{item_id:int}/up", opt=RUNS_MEETINGS)
    async def move_up(
        self, db: DB, actor: Caller, meeting_id: FromPath[int], item_id: FromPath[int]
    ) -> Redirect:
        """Move an item one place earlier."""
        order = [i.id for i in await agenda.agenda_of(db, meeting_id)]
        at = order.index(item_id) if item_id in order else 0
        if at > 0:
            order[at - 1], order[at] = order[at], order[at - 1]
        await agenda.reorder(db, actor, meeting_id, order)
        return _back(meeting_id, "agenda")

    @post("/{meeting_id:int}/attendance", opt=RUNS_MEETINGS)
    async def attendance(
        self, db: DB, actor: Caller, meeting_id: FromPath[int], data: Form[AttendanceForm]
    ) -> Redirect:
        await attendance.set_attendance(db, actor, meeting_id, data.to_set())
        return _back(meeting_id, "attendance")

    @post("/{meeting_id:int}/minutes", opt=RUNS_MEETINGS)
    async def save_minutes(
        self, db: DB, actor: Caller, meeting_id: FromPath[int], data: Form[MinutesForm]
    ) -> Redirect:
        await minutes.save_minutes(db, actor, meeting_id, data.to_save().minutes)
        return _back(meeting_id, "minutes")

    @post("/{meeting_id:int}/photos", opt=RUNS_MEETINGS, request_max_body_size=UPLOAD_LIMIT)
    async def add_photos(
        self, db: DB, actor: Caller, meeting_id: FromPath[int], data: Upload[PhotoUpload]
    ) -> Redirect:
        """Photos of the meeting, shrunk and stripped of metadata before anything is stored."""
        repo.not_cancelled(await repo.find_meeting(db, meeting_id))
        caption = data.caption_text()
        shrunk = await data.shrunk()
        await store.add_photos(db, actor, "meeting", meeting_id, shrunk, caption)
        return _back(meeting_id, "photos")

    @post("/{meeting_id:int}/held", opt=RUNS_MEETINGS)
    async def held(
        self, db: DB, state: State, actor: Caller, meeting_id: FromPath[int], data: Form[HeldForm]
    ) -> Redirect:
        await repo.mark_held(db, actor, meeting_id, data.to_held().reached, now_of(state))
        return _back(meeting_id, "status")

    @post("/{meeting_id:int}/cancel", opt=RUNS_MEETINGS)
    async def cancel(
        self,
        db: DB,
        state: State,
        actor: Caller,
        meeting_id: FromPath[int],
        data: Form[CallOffForm],
    ) -> Redirect:
        await repo.cancel_meeting(db, actor, meeting_id, data.to_cancel().reason, now_of(state))
        return _back(meeting_id, "status")
