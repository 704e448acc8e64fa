"""The minutes (会议纪要): a draft written from what the meeting produced — who spoke on the
agenda's rounds that day, the rounds and their results, each item's decision and follow-up,
the attendance — for the facilitator to finish and save.

"Who spoke" counts the comments recorded on the agenda's rounds on the meeting's date (in
the community's zone), hidden ones left out, by speaker as the facilitator typed the name;
a comment without a name is counted under "unnamed". A round's result is its stored count's
winners (closed or published rounds)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from engine.process import RoundPhase
from engine.result import Result
from service.audit import record
from service.auth.guard import Actor
from service.communities.controllers import find_community
from service.db import models
from service.db.street import ATTENDANCE, Meeting
from service.i18n import text
from service.meetings import schemas
from service.meetings.agenda import agenda_of
from service.meetings.attendance import attendance_of
from service.meetings.repository import (
    day_bounds,
    facilitator_name,
    find_meeting,
    not_cancelled,
)
from service.records.labels import listed
from service.results.explain import outcome_words
from service.rounds.titles import round_title
from service.zones import local_day, moment

COUNTED = (RoundPhase.CLOSED, RoundPhase.PUBLISHED)


@dataclass(frozen=True, slots=True)
class Produced:
    """What a meeting produced, read once for the draft and the printed record."""

    meeting: Meeting
    community: models.Community
    facilitator: str | None
    on: date
    agenda: list[schemas.AgendaItem]
    attendance: schemas.Attendance
    speakers: list[schemas.Speaker]
    rounds: list[schemas.RoundHeld]
    spoken: dict[int, list[schemas.Speaker]]
    """The speakers of each agenda round, by round id."""


async def produced(db: AsyncSession, meeting_id: int, lang: str) -> Produced:
    meeting = await find_meeting(db, meeting_id)
    community = await find_community(db, meeting.community_id)
    on = local_day(meeting.starts_at, community.time_zone)
    agenda = await agenda_of(db, meeting_id)
    round_ids = list(dict.fromkeys(i.round_id for i in agenda if i.round_id is not None))
    spoken = await _speakers(db, round_ids, on, community.time_zone, lang)
    everyone: Counter[str] = Counter()
    for speakers in spoken.values():
        everyone.update({s.name: s.comments for s in speakers})
    return Produced(
        meeting=meeting,
        community=community,
        facilitator=await facilitator_name(db, meeting.facilitator_id),
        on=on,
        agenda=agenda,
        attendance=await attendance_of(db, meeting_id),
        speakers=_ranked(everyone),
        rounds=await _rounds(db, round_ids, lang),
        spoken=spoken,
    )


def _ranked(counts: Counter[str]) -> list[schemas.Speaker]:
    """Speakers, who spoke most first, then by name."""
    ordered = sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))
    return [schemas.Speaker(name=name, comments=n) for name, n in ordered]


async def _speakers(
    db: AsyncSession, round_ids: list[int], on: date, zone_name: str, lang: str
) -> dict[int, list[schemas.Speaker]]:
    if not round_ids:
        return {}
    start, end = day_bounds(on, on, zone_name)
    rows = await db.execute(
        select(models.Comment.round_id, models.Comment.speaker).where(
            models.Comment.round_id.in_(round_ids),
            models.Comment.hidden_reason.is_(None),
            models.Comment.created_at >= start,
            models.Comment.created_at < end,
        )
    )
    unnamed = text(lang, "meeting.minutes.unnamed")
    by_round: dict[int, Counter[str]] = {}
    for round_id, speaker in rows:
        by_round.setdefault(round_id, Counter())[speaker.strip() or unnamed] += 1
    return {round_id: _ranked(counts) for round_id, counts in by_round.items()}


async def _rounds(db: AsyncSession, round_ids: list[int], lang: str) -> list[schemas.RoundHeld]:
    held = []
    for round_id in round_ids:
        round_row = await db.get(models.Round, round_id)
        if round_row is None:
            continue
        winners = None
        if round_row.phase in COUNTED:
            stored = await db.get(models.RoundResult, round_id)
            if stored is not None:
                result = msgspec.json.decode(stored.result, type=Result)
                winners = outcome_words(result, lang, nobody=text(lang, "record.no_winner"))
        held.append(
            schemas.RoundHeld(
                round_id=round_id,
                title=round_title(round_row.number, round_row.title, lang),
                phase=round_row.phase.value,
                winners=winners,
            )
        )
    return held


def attendance_words(attendance: schemas.Attendance, lang: str) -> str:
    """``党员 5 人、居民代表 8 人，共 13 人`` (categories with nobody left out)."""
    parts = [
        text(
            lang,
            "meeting.attendance.counted",
            category=text(lang, f"meeting.category.{c}"),
            count=attendance.counts[c],
        )
        for c in ATTENDANCE
        if attendance.counts.get(c)
    ]
    total = text(lang, "meeting.attendance.total", count=attendance.total)
    return text(lang, "join.clauses", a=listed(lang, parts), b=total) if parts else total


def speaker_words(speakers: list[schemas.Speaker], lang: str) -> str:
    return listed(
        lang,
        (text(lang, "meeting.minutes.spoke", name=s.name, count=s.comments) for s in speakers),
    )


def draft_text(p: Produced, lang: str) -> str:
    """The minutes drafted in ``lang``, one fact a line, for the facilitator to edit."""
    m = p.meeting
    zone_name = p.community.time_zone
    lines = [
        text(lang, "meeting.minutes.heading", title=m.title),
        text(lang, "meeting.minutes.when", at=moment(m.starts_at, zone_name, lang)),
        text(lang, "meeting.minutes.where", place=m.place or "—"),
        text(lang, "meeting.minutes.kind", kind=text(lang, f"meeting.kind.{m.kind}")),
        text(lang, "meeting.minutes.facilitator", name=p.facilitator or "—"),
        text(lang, "meeting.minutes.attended", words=attendance_words(p.attendance, lang)),
    ]
    if m.topic:
        lines.append(text(lang, "meeting.minutes.topic", topic=m.topic))
    if m.reached:
        lines.append(text(lang, "meeting.minutes.reached", count=m.reached))
    results = {r.round_id: r for r in p.rounds}
    for n, item in enumerate(p.agenda, start=1):
        lines.append("")
        lines.append(text(lang, "meeting.minutes.item", number=n, subject=item_subject(item, lang)))
        if item.round_id is not None and item.round_id in results:
            held = results[item.round_id]
            speakers = p.spoken.get(item.round_id, [])
            if speakers:
                words = speaker_words(speakers, lang)
                lines.append(text(lang, "meeting.minutes.speakers", words=words))
            if held.winners is not None:
                lines.append(text(lang, "meeting.minutes.result", winners=held.winners))
        if item.decision:
            lines.append(text(lang, "meeting.minutes.decision", words=item.decision))
        if item.follow_up:
            lines.append(text(lang, "meeting.minutes.follow_up", words=item.follow_up))
    return "\n".join(lines)


def item_subject(item: schemas.AgendaItem, lang: str) -> str:
    """What an agenda item is about, in words: the process and round, the request, or its
    note."""
    if item.request_id is not None:
        place = item.request_place or "—"
        return text(lang, "meeting.item.request", place=place, body=item.request_body or "")
    if item.process is not None:
        if item.round_number is not None:
            shown = round_title(item.round_number, item.round_title, lang)
            return text(lang, "meeting.item.round", process=item.process, round=shown)
        return item.process
    return item.note


async def minutes_draft(db: AsyncSession, meeting_id: int, lang: str) -> schemas.MinutesDraft:
    p = await produced(db, meeting_id, lang)
    return schemas.MinutesDraft(
        meeting_id=meeting_id,
        on=p.on,
        speakers=p.speakers,
        rounds=p.rounds,
        attendance=p.attendance,
        text=draft_text(p, lang),
    )


async def save_minutes(db: AsyncSession, actor: Actor, meeting_id: int, minutes: str) -> str:
    meeting = await find_meeting(db, meeting_id, lock=True)
    not_cancelled(meeting)
    meeting.minutes = minutes
    await db.flush()
    record(db, actor, "meeting.minutes", "meeting", meeting_id, length=len(minutes))
    return meeting.minutes
