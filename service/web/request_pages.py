"""The community's request pages: the grid worker's phone form (``/console/requests/new``,
laid out for a 390×844 screen), the community's requests by stage with their triage
(``/console/requests``), and one request with its history, triage and close
(``/console/requests/{id}``). They call the API's repository functions."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from service.auth.clock import now_of
from service.auth.guard import STAFF, roles
from service.auth.scope import check_community
from service.communities.controllers import community_out, find_community
from service.db.street import REQUEST_CATEGORIES, REQUEST_STATES, VERDICTS
from service.deps import DB, Caller
from service.errors import Invalid
from service.loop.photos import UPLOAD_LIMIT
from service.photos.uploads import shrunk_uploads
from service.requests import TAKERS, closing, field_log, triage
from service.requests import repository as repo
from service.web.forms import Form
from service.web.render import page, redirect
from service.web.request_forms import CloseForm, MeetingForm, NewRequestForm, NoteForm, ReopenForm
from service.web.secretary_forms import Upload

READERS = roles(*STAFF)


class RequestPagesController(Controller):
    path = "/console/requests"
    tags = ["pages"]
    include_in_schema = False

    @get("/", opt=READERS)
    async def requests_page(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        actor: Caller,
        community: FromQuery[int | None] = None,
    ) -> Template:
        """The community's requests, grouped by stage, each with its days open."""
        shown, choices = await repo.desk_community(db, actor, community)
        groups: dict[str, list[Any]] = {s: [] for s in REQUEST_STATES}
        days: dict[int, int] = {}
        now = now_of(request.app.state)
        if shown is not None:
            for row in await repo.community_requests(db, shown.id):
                groups[row.stage].append(row)
                days[row.id] = repo.days_open(row, shown.time_zone, now)
        return page(
            request,
            "console/requests.html",
            community=shown,
            choices=choices,
            groups=groups,
            days=days,
        )

    @get("/new", opt=TAKERS)
    async def new_request(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        actor: Caller,
        community: FromQuery[int | None] = None,
    ) -> Template:
        """The phone form: large fields, the grid, category buttons, a photo."""
        shown, choices = await repo.desk_community(db, actor, community)
        grids = [] if shown is None else (await community_out(db, shown)).grids
        return page(
            request,
            "console/request_new.html",
            community=shown,
            choices=choices,
            grids=grids,
            categories=REQUEST_CATEGORIES,
        )

    @post("/", opt=TAKERS, request_max_body_size=UPLOAD_LIMIT)
    async def log_request(
        self, request: Request[Any, Any, Any], db: DB, actor: Caller, data: Upload[NewRequestForm]
    ) -> Redirect:
        """Log it with its photo: the photo is checked and re-encoded before anything is
        written, and a refused photo stores nothing."""
        if not data.community.strip().isdigit():
            raise Invalid("no-community-chosen", field="community")
        community_id = int(data.community)
        await check_community(db, actor, community_id)
        create = data.to_create()
        chosen = data.photos()
        shrunk = await shrunk_uploads(chosen) if chosen else []
        now = now_of(request.app.state)
        made = await field_log.log_request(db, actor, community_id, create, now)
        if shrunk:
            await field_log.add_photos(db, made, shrunk, actor, now)
        return redirect(f"/console/requests?community={community_id}#request-{made.id}")

    @get("/{request_id:int}", opt=READERS)
    async def request_page(
        self, request: Request[Any, Any, Any], db: DB, actor: Caller, request_id: FromPath[int]
    ) -> Template:
        """One request: its facts, photos, history, and the forms its stage allows."""
        row = await repo.find_request(db, request_id, actor=actor)
        community = await community_out(db, await find_community(db, row.community_id))
        detail = await repo.request_detail(db, row, actor, now_of(request.app.state))
        grid = next((g.name for g in community.grids if g.id == row.grid_id), None)
        return page(
            request,
            "console/request.html",
            item=detail,
            community=community,
            grid=grid,
            meetings=await repo.planned_meetings(db, row.community_id),
            can={action: repo.may_move(row, action) for action in repo.MOVES},
            verdicts=VERDICTS,
            takes=actor.role in ("grid_worker", "facilitator", "admin"),
        )

    @post("/{request_id:int}/on-spot", opt=TAKERS)
    async def on_spot(
        self, db: DB, state: State, actor: Caller, request_id: FromPath[int], data: Form[NoteForm]
    ) -> Redirect:
        await triage.handle_on_spot(db, actor, request_id, data.handled().note, now_of(state))
        return redirect(f"/console/requests/{request_id}")

    @post("/{request_id:int}/to-meeting", opt=TAKERS)
    async def to_meeting(
        self,
        db: DB,
        state: State,
        actor: Caller,
        request_id: FromPath[int],
        data: Form[MeetingForm],
    ) -> Redirect:
        await triage.put_to_meeting(db, actor, request_id, data.chosen(), now_of(state))
        return redirect(f"/console/requests/{request_id}")

    @post("/{request_id:int}/escalate", opt=TAKERS)
    async def escalate(
        self, db: DB, state: State, actor: Caller, request_id: FromPath[int], data: Form[NoteForm]
    ) -> Redirect:
        await triage.escalate(db, actor, request_id, data.handled().note, now_of(state))
        return redirect(f"/console/requests/{request_id}")

    @post("/{request_id:int}/close", opt=READERS)
    async def close(
        self, db: DB, state: State, actor: Caller, request_id: FromPath[int], data: Form[CloseForm]
    ) -> Redirect:
        await closing.close_request(db, actor, request_id, data.closing(), now_of(state))
        return redirect(f"/console/requests/{request_id}")

    @post("/{request_id:int}/reopen", opt=READERS)
    async def reopen(
        self,
        db: DB,
        state: State,
        actor: Caller,
        request_id: FromPath[int],
        data: Form[ReopenForm],
    ) -> Redirect:
        reason = data.reopening().reason
        await closing.reopen_request(db, actor, request_id, reason, now_of(state))
        return redirect(f"/console/requests/{request_id}")
