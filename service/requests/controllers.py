"""Residents' requests over HTTP: logged in the field with photos, triaged by the community,
taken on, answered and returned by the street office, closed (销号) and re-opened.

Every time written (logged, escalated, closed …) is the app's clock's
(:func:`service.auth.clock.now_of`), so that days open can be tested by moving it."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State, UploadFile
from litestar.params import FromPath, FromQuery, JSONBody, MultipartBody, QueryParameter

from service.auth.clock import now_of
from service.auth.guard import STAFF, roles
from service.deps import DB, Caller
from service.loop.controllers import files_attached
from service.loop.photos import SERVED_TYPES, UPLOAD_LIMIT
from service.openapi.responses import download, refusals
from service.photos.answer import photo_response
from service.photos.schemas import Photo
from service.photos.uploads import shrunk_uploads
from service.requests import TAKERS, closing, field_log, street_desk, triage
from service.requests import repository as repo
from service.requests.schemas import (
    Answer,
    Assignment,
    Closing,
    Decline,
    Escalation,
    Handled,
    Promotion,
    Reopening,
    RequestCreate,
    RequestDetail,
    RequestStatus,
    ResidentRequest,
    Stage,
    ToMeeting,
)
from service.streets import STREET_OFFICE

CLOSERS = roles(*STAFF)
"""Who closes a request (销号) or re-opens it: any of the community's staff."""
PROCESS_OWNERS = roles("facilitator", "secretary", "admin")
READERS = roles(*STAFF, "street")
"""Who reads one request: the community's staff, and street staff once it was escalated."""


STATE_HELP = "where it stands: pending, assigned, answered (at the street), returned, closed"


class RequestController(Controller):
    path = "/api/v1"
    tags = ["requests"]

    @post("/communities/{community_id:int}/requests", opt=TAKERS)
    async def log_request(
        self,
        db: DB,
        state: State,
        community_id: FromPath[int],
        data: JSONBody[RequestCreate],
        actor: Caller,
    ) -> ResidentRequest:
        """Log a request from the field: what, where (``place``), about what (``category``),
        in which grid, and who raised it (``raised_by``, optional, staff only)."""
        made = await field_log.log_request(db, actor, community_id, data, now_of(state))
        return repo.request_out(made)

    @get("/communities/{community_id:int}/requests", opt=roles(*STAFF))
    async def list_requests(
        self,
        db: DB,
        community_id: FromPath[int],
        status: FromQuery[RequestStatus | None] = None,
        stage: FromQuery[Stage | None] = None,
    ) -> list[ResidentRequest]:
        return await repo.list_requests(db, community_id, status, stage)

    @get("/requests/{request_id:int}", opt=READERS)
    async def get_request(
        self, db: DB, state: State, request_id: FromPath[int], actor: Caller
    ) -> RequestDetail:
        """A request with its history, photos and days open (street staff: only once it was
        escalated, and never who raised it)."""
        request = await repo.find_request(db, request_id, actor=actor)
        return await repo.request_detail(db, request, actor, now_of(state))

    @post(
        "/requests/{request_id:int}/photos",
        opt=TAKERS,
        request_max_body_size=UPLOAD_LIMIT,
        before_request=files_attached,
        responses=refusals(
            {
                413: "`too-large`: a photo is over 20 MB, or the upload over 100 MB",
                415: "`unsupported-media-type`: a file is not a JPEG, PNG, WebP or HEIC image",
            }
        ),
    )
    async def add_photos(
        self,
        db: DB,
        state: State,
        request_id: FromPath[int],
        data: MultipartBody[list[UploadFile]],
        actor: Caller,
    ) -> list[Photo]:
        """Attach photos of the scene (multipart form, one or more files). Each is decoded
        and stored re-encoded as JPEG without metadata (no GPS position, no EXIF)."""
        request = await repo.find_request(db, request_id)
        shrunk = await shrunk_uploads(data)
        await field_log.add_photos(db, request, shrunk, actor, now_of(state))
        return await repo.request_photos(db, request.id)

    @get(
        "/requests/{request_id:int}/photos/{photo_id:int}",
        opt=READERS,
        responses=download(200, list(SERVED_TYPES), description="the photo"),
    )
    async def photo(
        self, db: DB, request_id: FromPath[int], photo_id: FromPath[int], actor: Caller
    ) -> Response[bytes]:
        """A photo of a request (staff; street staff once it was escalated)."""
        await repo.find_request(db, request_id, actor=actor)
        return photo_response(await field_log.photo_bytes(db, request_id, photo_id), max_age=3600)

    @post("/requests/{request_id:int}/on-spot", opt=TAKERS, status_code=200)
    async def on_spot(
        self,
        db: DB,
        state: State,
        request_id: FromPath[int],
        data: JSONBody[Handled],
        actor: Caller,
    ) -> ResidentRequest:
        """Handled on the spot: closed at once with what was done."""
        done = await triage.handle_on_spot(db, actor, request_id, data.note, now_of(state))
        return repo.request_out(done)

    @post("/requests/{request_id:int}/to-meeting", opt=TAKERS, status_code=200)
    async def to_meeting(
        self,
        db: DB,
        state: State,
        request_id: FromPath[int],
        data: JSONBody[ToMeeting],
        actor: Caller,
    ) -> ResidentRequest:
        """Onto the end of the agenda of a planned bench meeting of the same community."""
        put = await triage.put_to_meeting(db, actor, request_id, data.meeting_id, now_of(state))
        return repo.request_out(put)

    @post("/requests/{request_id:int}/escalate", opt=TAKERS, status_code=200)
    async def escalate(
        self,
        db: DB,
        state: State,
        request_id: FromPath[int],
        data: JSONBody[Handled],
        actor: Caller,
    ) -> ResidentRequest:
        """To the street office (409 ``request-no-street`` when the community has none)."""
        sent = await triage.escalate(db, actor, request_id, data.note, now_of(state))
        return repo.request_out(sent)

    @post("/requests/{request_id:int}/promote", opt=PROCESS_OWNERS, status_code=200)
    async def promote_request(
        self, db: DB, request_id: FromPath[int], data: JSONBody[Promotion], actor: Caller
    ) -> ResidentRequest:
        """Into an existing process of the same community, or into a new one."""
        return repo.request_out(await triage.promote_request(db, actor, request_id, data))

    @post("/requests/{request_id:int}/decline", opt=PROCESS_OWNERS, status_code=200)
    async def decline_request(
        self, db: DB, request_id: FromPath[int], data: JSONBody[Decline], actor: Caller
    ) -> ResidentRequest:
        return repo.request_out(await triage.decline_request(db, actor, request_id, data.reason))

    @post("/requests/{request_id:int}/close", opt=CLOSERS, status_code=200)
    async def close(
        self,
        db: DB,
        state: State,
        request_id: FromPath[int],
        data: JSONBody[Closing],
        actor: Caller,
    ) -> ResidentRequest:
        """销号, with the resident's satisfaction if asked (回访)."""
        done = await closing.close_request(db, actor, request_id, data, now_of(state))
        return repo.request_out(done)

    @post("/requests/{request_id:int}/reopen", opt=CLOSERS, status_code=200)
    async def reopen(
        self,
        db: DB,
        state: State,
        request_id: FromPath[int],
        data: JSONBody[Reopening],
        actor: Caller,
    ) -> ResidentRequest:
        """Open a closed request again, with the reason."""
        opened = await closing.reopen_request(db, actor, request_id, data.reason, now_of(state))
        return repo.request_out(opened)


class StreetDeskController(Controller):
    """The street office's desk: escalated requests, taken on, answered, returned."""

    path = "/api/v1"
    tags = ["requests"]

    @get("/streets/{street_id:int}/escalations", opt=STREET_OFFICE)
    async def escalations(
        self,
        db: DB,
        request: Request[Any, Any, Any],
        street_id: FromPath[int],
        where: Annotated[str | None, QueryParameter(name="state", description=STATE_HELP)] = None,
    ) -> list[Escalation]:
        """Every escalated request of the street's communities, with community, grid,
        category, place and days open (never who raised it); ``state`` filters by where it
        stands: ``pending``, ``assigned``, ``answered`` (at the street), ``returned``,
        ``closed``."""
        return await street_desk.escalations(
            db, street_id, now_of(request.app.state), street_desk.desk_filter(where)
        )

    @post("/requests/{request_id:int}/assign", opt=STREET_OFFICE, status_code=200)
    async def assign(
        self,
        db: DB,
        state: State,
        request_id: FromPath[int],
        data: JSONBody[Assignment],
        actor: Caller,
    ) -> ResidentRequest:
        """Taken on by a department or a person of the street."""
        done = await street_desk.assign(db, actor, request_id, data.assignee, now_of(state))
        return repo.request_out(done, actor)

    @post("/requests/{request_id:int}/answer", opt=STREET_OFFICE, status_code=200)
    async def answer(
        self, db: DB, state: State, request_id: FromPath[int], data: JSONBody[Answer], actor: Caller
    ) -> ResidentRequest:
        """The street's answer (409 when the request is not at the street)."""
        done = await street_desk.answer(db, actor, request_id, data.answer, now_of(state))
        return repo.request_out(done, actor)

    @post("/requests/{request_id:int}/return", opt=STREET_OFFICE, status_code=200)
    async def return_request(
        self,
        db: DB,
        state: State,
        request_id: FromPath[int],
        data: JSONBody[Handled],
        actor: Caller,
    ) -> ResidentRequest:
        """Back to the community, which closes it."""
        done = await street_desk.return_request(db, actor, request_id, data.note, now_of(state))
        return repo.request_out(done, actor)
