"""Site surveys in the database: recording one for a process, and reading a process's
surveys with their photos (for the console's process page and the meeting record)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from service.audit import record
from service.auth.guard import Actor
from service.db.street import SiteSurvey
from service.errors import Invalid, NotFound
from service.photos.store import photos_of
from service.processes.repository import find_process
from service.surveys import schemas
from service.zones import latest_today


async def find_survey(db: AsyncSession, survey_id: int) -> SiteSurvey:
    survey = await db.get(SiteSurvey, survey_id)
    if survey is None:
        raise NotFound("no-survey", survey_id=survey_id)
    return survey


async def survey_out(db: AsyncSession, survey: SiteSurvey) -> schemas.Survey:
    return schemas.Survey(
        id=survey.id,
        process_id=survey.process_id,
        surveyed_on=survey.surveyed_on,
        surveyor=survey.surveyor,
        notes=survey.notes,
        measurements=[schemas.Measurement(**m) for m in survey.measurements],
        photos=await photos_of(db, "survey", survey.id),
        created_at=survey.created_at,
    )


async def record_survey(
    db: AsyncSession, actor: Actor, process_id: int, data: schemas.SurveyCreate
) -> SiteSurvey:
    """A survey of the process's site; one dated after today anywhere is refused."""
    await find_process(db, process_id)
    if data.surveyed_on > latest_today():
        raise Invalid("survey-in-future", field="surveyed_on", on=data.surveyed_on.isoformat())
    survey = SiteSurvey(
        process_id=process_id,
        surveyed_on=data.surveyed_on,
        surveyor=data.surveyor,
        notes=data.notes,
        measurements=[
            {"label": m.label, "value": m.value, "unit": m.unit} for m in data.measurements
        ],
        created_by=actor.id,
    )
    db.add(survey)
    await db.flush()
    record(db, actor, "survey.recorded", "process", process_id, survey_id=survey.id)
    return survey


async def surveys_of(db: AsyncSession, process_ids: list[int]) -> list[schemas.Survey]:
    """The surveys of the processes, by process in the order given, then oldest first."""
    if not process_ids:
        return []
    rows = list(
        (
            await db.scalars(
                select(SiteSurvey)
                .where(SiteSurvey.process_id.in_(process_ids))
                .order_by(SiteSurvey.surveyed_on, SiteSurvey.id)
            )
        ).all()
    )
    rows.sort(key=lambda s: process_ids.index(s.process_id))
    return [await survey_out(db, s) for s in rows]
