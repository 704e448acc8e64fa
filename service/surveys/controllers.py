"""Site surveys over HTTP: facilitators, secretaries and admins record a survey of a
process's site and add its photos; staff read them."""

from __future__ import annotations

from litestar import Controller, Response, get, post
from litestar.params import FromPath, JSONBody

from service.auth.guard import STAFF, roles
from service.deps import DB, Caller
from service.loop.controllers import files_attached
from service.loop.photos import UPLOAD_LIMIT
from service.openapi.responses import download
from service.photos import store
from service.photos.answer import photo_response
from service.photos.schemas import Photo
from service.photos.uploads import PHOTO_REFUSALS, PhotoUpload, Upload
from service.processes.repository import find_process
from service.surveys import repository as repo
from service.surveys.schemas import Survey, SurveyCreate

SURVEYORS = roles("facilitator", "secretary", "admin")


class SurveyController(Controller):
    path = "/api/v1"
    tags = ["surveys"]

    @post("/processes/{process_id:int}/surveys", opt=SURVEYORS)
    async def record_survey(
        self, db: DB, process_id: FromPath[int], data: JSONBody[SurveyCreate], actor: Caller
    ) -> Survey:
        """A survey of the site before the process's meeting: notes and measurements."""
        survey = await repo.record_survey(db, actor, process_id, data)
        return await repo.survey_out(db, survey)

    @get("/processes/{process_id:int}/surveys", opt=roles(*STAFF))
    async def list_surveys(self, db: DB, process_id: FromPath[int]) -> list[Survey]:
        await find_process(db, process_id)
        return await repo.surveys_of(db, [process_id])

    @post(
        "/surveys/{survey_id:int}/photos",
        opt=SURVEYORS,
        request_max_body_size=UPLOAD_LIMIT,
        before_request=files_attached,
        responses=PHOTO_REFUSALS,
    )
    async def add_photos(
        self, db: DB, survey_id: FromPath[int], data: Upload[PhotoUpload], actor: Caller
    ) -> list[Photo]:
        """Photos of the site (multipart: ``photos``, one or more files, and an optional
        ``caption``), stored re-encoded without metadata."""
        await repo.find_survey(db, survey_id)
        shrunk = await data.shrunk()
        return await store.add_photos(db, actor, "survey", survey_id, shrunk, data.caption_text())

    @get(
        "/surveys/{survey_id:int}/photos/{photo_id:int}",
        opt=roles(*STAFF),
        responses=download(200, ["image/jpeg"], description="the photo"),
    )
    async def photo(
        self, db: DB, survey_id: FromPath[int], photo_id: FromPath[int]
    ) -> Response[bytes]:
        return photo_response(await store.photo_bytes(db, "survey", survey_id, photo_id))
