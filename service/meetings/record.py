"""What the printed sign-in sheet and meeting record show, read from the database into plain
data (so that the PDFs are drawn in the worker process): the meeting, its attendance by
category, each agenda item with its speakers, result, decision and follow-up, the site
surveys of the agenda's processes, the minutes and the photos with their captions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from service.db import models
from service.db.street import ATTENDANCE
from service.i18n import text
from service.meetings.minutes import item_subject, produced, speaker_words
from service.photos.store import photo_data, photos_of
from service.surveys.repository import surveys_of


@dataclass(frozen=True, slots=True)
class ItemFacts:
    subject: str
    speakers: str
    result: str
    decision: str
    follow_up: str


@dataclass(frozen=True, slots=True)
class SurveyFacts:
    process: str
    surveyed_on: date
    surveyor: str
    notes: str
    measurements: tuple[tuple[str, str, str], ...]


@dataclass(frozen=True, slots=True)
class PhotoFacts:
    caption: str
    data: bytes


@dataclass(frozen=True, slots=True)
class MeetingFacts:
    """Everything the sign-in sheet and the record print about one meeting."""

    meeting_id: int
    community: str
    kind: str
    title: str
    place: str
    grid: str
    starts_at: datetime
    ends_at: datetime | None
    zone: str
    facilitator: str
    status: str
    topic: str
    reached: int
    cancel_reason: str
    attendance: tuple[tuple[str, int], ...]
    """Each category (its code) with its count, in :data:`ATTENDANCE` order."""
    total: int
    items: tuple[ItemFacts, ...]
    surveys: tuple[SurveyFacts, ...]
    minutes: str
    photos: tuple[PhotoFacts, ...]


async def meeting_facts(db: AsyncSession, meeting_id: int, lang: str) -> MeetingFacts:
    p = await produced(db, meeting_id, lang)
    m = p.meeting
    winners = {r.round_id: r.winners for r in p.rounds}
    items = tuple(
        ItemFacts(
            subject=item_subject(item, lang),
            speakers=speaker_words(p.spoken.get(item.round_id, []), lang)
            if item.round_id is not None
            else "",
            result=(winners.get(item.round_id) or "") if item.round_id is not None else "",
            decision=item.decision,
            follow_up=item.follow_up,
        )
        for item in p.agenda
    )
    process_ids = list(dict.fromkeys(i.process_id for i in p.agenda if i.process_id is not None))
    rows = await db.execute(
        select(models.Process.id, models.Process.title).where(models.Process.id.in_(process_ids))
    )
    titles = {process_id: title for process_id, title in rows}
    surveys = tuple(
        SurveyFacts(
            process=titles.get(s.process_id, ""),
            surveyed_on=s.surveyed_on,
            surveyor=s.surveyor,
            notes=s.notes,
            measurements=tuple((x.label, x.value, x.unit) for x in s.measurements),
        )
        for s in await surveys_of(db, process_ids)
    )
    grid = ""
    if m.grid_id is not None:
        grid = await db.scalar(select(models.Grid.name).where(models.Grid.id == m.grid_id)) or ""
    data = await photo_data(db, "meeting", meeting_id)
    shown = await photos_of(db, "meeting", meeting_id)
    return MeetingFacts(
        meeting_id=m.id,
        community=p.community.name,
        kind=m.kind,
        title=m.title,
        place=m.place,
        grid=grid,
        starts_at=m.starts_at,
        ends_at=m.ends_at,
        zone=p.community.time_zone,
        facilitator=p.facilitator or "",
        status=m.status,
        topic=m.topic,
        reached=m.reached,
        cancel_reason=m.cancel_reason or "",
        attendance=tuple((c, p.attendance.counts.get(c, 0)) for c in ATTENDANCE),
        total=p.attendance.total,
        items=items,
        surveys=surveys,
        minutes=m.minutes,
        photos=tuple(PhotoFacts(photo.caption, data[photo.id]) for photo in shown),
    )


def file_name(facts: MeetingFacts, what: str, lang: str) -> tuple[str, str]:
    """The download's name in the reader's words and its ASCII fallback:
    ``会议记录-12.pdf`` / ``meeting-12-record.pdf``."""
    shown = text(lang, f"meeting.file.{what}", id=facts.meeting_id) + ".pdf"
    return shown, f"meeting-{facts.meeting_id}-{what}.pdf"
