"""The loop over HTTP: secretaries (and admins) set tasks, note progress with photos, record
feedback, moderate residents' feedback from the board and close or re-open the item; staff
read it; anyone reads the public board and the photos on it."""

from __future__ import annotations

from typing import Any, Literal

from litestar import Controller, Request, Response, get, patch, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, FromQuery, JSONBody, MultipartBody

from service.auth.guard import STAFF, roles
from service.auth.scope import check_community, reachable_communities
from service.deps import DB, Caller
from service.errors import Invalid
from service.loop import board as public
from service.loop import closeout, feedback, photos, residents, schemas, tasks
from service.loop.photos import SERVED_TYPES, UPLOAD_LIMIT
from service.openapi.responses import download, refusals

SECRETARY = roles("secretary", "admin")


async def files_attached(request: Request[Any, Any, Any]) -> None:
    """Refuse a photo upload that holds no file (an empty or file-less form) before the
    body is bound, with 422 naming the field."""
    form = await request.form()
    if not any(isinstance(value, UploadFile) for _, value in form.multi_items()):
        raise Invalid("photo-missing", field="data")


class LoopController(Controller):
    path = "/api/v1"
    tags = ["loop"]

    @post("/processes/{process_id:int}/tasks", opt=SECRETARY)
    async def create_task(
        self, db: DB, process_id: FromPath[int], data: JSONBody[schemas.TaskCreate], actor: Caller
    ) -> schemas.Task:
        """Set an implementation task (the first one starts implementation)."""
        task = await tasks.create_task(db, process_id, data, actor)
        return (await tasks.tasks_out(db, [task]))[0]

    @get("/processes/{process_id:int}/tasks", opt=roles(*STAFF))
    async def list_tasks(self, db: DB, process_id: FromPath[int]) -> list[schemas.Task]:
        return await tasks.tasks_out(db, await tasks.process_tasks(db, process_id))

    @get("/tasks/{task_id:int}", opt=roles(*STAFF))
    async def get_task(self, db: DB, task_id: FromPath[int]) -> schemas.Task:
        return (await tasks.tasks_out(db, [await tasks.find_task(db, task_id)]))[0]

    @patch("/tasks/{task_id:int}", opt=SECRETARY)
    async def update_task(
        self, db: DB, task_id: FromPath[int], data: JSONBody[schemas.TaskUpdate], actor: Caller
    ) -> schemas.Task:
        """Change a task's title, owner, due date or description."""
        task = await tasks.update_task(db, task_id, data, actor)
        return (await tasks.tasks_out(db, [task]))[0]

    @post("/tasks/{task_id:int}/notes", opt=SECRETARY)
    async def add_note(
        self, db: DB, task_id: FromPath[int], data: JSONBody[schemas.NoteCreate], actor: Caller
    ) -> schemas.Note:
        """A progress note; ``status`` and ``progress`` move the task."""
        note = await tasks.add_note(db, task_id, data, actor)
        return schemas.Note(
            id=note.id,
            task_id=note.task_id,
            body=note.body,
            status=note.status,
            progress=note.progress,
            author=note.author,
            created_at=note.created_at,
            photos=[],
        )

    @post(
        "/task-notes/{note_id:int}/photos",
        opt=SECRETARY,
        request_max_body_size=UPLOAD_LIMIT,
        before_request=files_attached,
        responses=refusals(
            {
                413: "`too-large`: a photo is over 20 MB, or the upload over 100 MB (the "
                "message gives the size in MB)",
                415: "`unsupported-media-type`: a file is not a JPEG, PNG, WebP or HEIC image "
                "(told by decoding it)",
            }
        ),
    )
    async def add_photos(
        self,
        db: DB,
        note_id: FromPath[int],
        data: MultipartBody[list[UploadFile]],
        actor: Caller,
    ) -> list[schemas.Photo]:
        """Attach photos (multipart form, one or more files; JPEG, PNG, WebP or HEIC, up to
        20 MB each and 100 MB in all). Each is stored shrunk (long side 2048 px, JPEG) with
        its orientation applied and every piece of metadata — GPS position, EXIF, XMP,
        comments — removed; the answer describes the stored JPEG."""
        note = await tasks.find_note(db, note_id)
        files = [(upload.filename or "", await upload.read()) for upload in data]
        shrunk = await photos.shrunk_photos(files)
        return [photos.photo_out(p) for p in await photos.add_photos(db, note, shrunk, actor)]

    @get(
        "/photos/{photo_id:int}",
        opt=roles("public", *STAFF),
        responses=download(200, list(SERVED_TYPES), description="the photo"),
    )
    async def photo(self, db: DB, photo_id: FromPath[int]) -> Response[bytes]:
        """A photo from a progress note (public: they are shown on the board)."""
        data, media, digest = await photos.photo_bytes(db, photo_id)
        return Response(
            data,
            media_type=media,
            headers={
                "ETag": f'"{digest}"',
                "Cache-Control": "public, max-age=86400",
                "X-Content-Type-Options": "nosniff",
            },
        )

    @get("/tasks/overdue", opt=SECRETARY)
    async def overdue(
        self, db: DB, actor: Caller, community_id: FromQuery[int | None] = None
    ) -> list[schemas.OverdueTask]:
        """Open tasks past their due date, most overdue first: in ``community_id``, else in
        every community the caller reaches."""
        if community_id is not None:
            await check_community(db, actor, community_id)
        reach = await reachable_communities(db, actor)
        return await tasks.overdue_tasks(db, community_id, reach=reach)

    @post("/processes/{process_id:int}/feedback", opt=SECRETARY)
    async def add_feedback(
        self,
        db: DB,
        process_id: FromPath[int],
        data: JSONBody[schemas.FeedbackCreate],
        actor: Caller,
    ) -> schemas.Feedback:
        """Record a satisfaction check (the first opens the feedback phase)."""
        return feedback.feedback_out(await feedback.record_feedback(db, process_id, data, actor))

    @get("/processes/{process_id:int}/feedback", opt=roles(*STAFF))
    async def list_feedback(self, db: DB, process_id: FromPath[int]) -> list[schemas.Feedback]:
        return [feedback.feedback_out(f) for f in await feedback.process_feedback(db, process_id)]

    @get("/processes/{process_id:int}/resident-feedback", opt=SECRETARY)
    async def list_resident_feedback(
        self,
        db: DB,
        process_id: FromPath[int],
        status: FromQuery[Literal["pending", "approved", "rejected"] | None] = None,
    ) -> list[schemas.ResidentFeedback]:
        """Residents' feedback given on the board (with the household label they gave):
        pending oldest first, or those of one ``status``."""
        statuses = (status,) if status else ("pending", "approved", "rejected")
        rows = await residents.of_process(db, process_id, statuses)
        return [residents.resident_feedback_out(r) for r in rows]

    @post("/resident-feedback/{feedback_id:int}/approve", opt=SECRETARY, status_code=200)
    async def approve_resident_feedback(
        self, db: DB, feedback_id: FromPath[int], actor: Caller
    ) -> schemas.ResidentFeedback:
        """Show it on the board and count its verdict into the board channel's check."""
        row = await residents.approve(db, feedback_id, actor)
        return residents.resident_feedback_out(row)

    @post("/resident-feedback/{feedback_id:int}/reject", opt=SECRETARY, status_code=200)
    async def reject_resident_feedback(
        self,
        db: DB,
        feedback_id: FromPath[int],
        data: JSONBody[schemas.Rejection],
        actor: Caller,
    ) -> schemas.ResidentFeedback:
        """Keep it off the board, with the reason (never shown publicly)."""
        row = await residents.reject(db, feedback_id, data.reason, actor)
        return residents.resident_feedback_out(row)

    @post("/processes/{process_id:int}/close-out", opt=SECRETARY, status_code=200)
    async def close_out(
        self,
        db: DB,
        process_id: FromPath[int],
        data: JSONBody[schemas.CloseOutCreate],
        actor: Caller,
    ) -> schemas.CloseOut:
        """Close the item (销号) with the sign-off note."""
        return closeout.close_out_out(await closeout.close_out(db, process_id, data.note, actor))

    @post("/processes/{process_id:int}/reopen", opt=SECRETARY, status_code=200)
    async def reopen(
        self, db: DB, process_id: FromPath[int], data: JSONBody[schemas.Reopen], actor: Caller
    ) -> schemas.CloseOut:
        """Send a closed item (or one in feedback) back to implementation, with a reason."""
        return closeout.close_out_out(await closeout.reopen(db, process_id, data.reason, actor))

    @get("/processes/{process_id:int}/loop", opt=roles(*STAFF))
    async def loop(self, db: DB, process_id: FromPath[int]) -> schemas.Loop:
        """Tasks, feedback and close-outs of a process in one answer."""
        return await public.loop_view(db, process_id)

    @get("/communities/{community_id:int}/board", opt=roles("public", *STAFF))
    async def board(self, db: DB, community_id: FromPath[int]) -> schemas.Board:
        """The community's public board: every process, its decisions, tasks and close-out."""
        return await public.board(db, community_id)
