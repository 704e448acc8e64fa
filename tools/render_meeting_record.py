"""Render page 1 of the meeting record shown in docs/meetings.md
(docs/images/meeting-record.png): a sample bench meeting of 杜集社区 — two agenda items
(the flooded corner with its site survey, and a note), attendance, minutes and a photo —
built in a temporary SQLite database through the meetings' own functions, its record drawn
in Chinese at 100 dpi. Needs poppler's pdftoppm.

    .venv/bin/python tools/render_meeting_record.py
"""

from __future__ import annotations

import asyncio
import io
import sys
import tempfile
from datetime import date, datetime
from pathlib import Path

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from service.auth.guard import Actor  # noqa: E402
from service.db.migrate import upgrade  # noqa: E402
from service.db.models import Community, Process, User  # noqa: E402
from service.db.session import create_engine, sessionmaker  # noqa: E402
from service.loop.photos import ShrunkPhoto  # noqa: E402
from service.meetings import agenda, attendance, minutes  # noqa: E402
from service.meetings import repository as meetings  # noqa: E402
from service.meetings.record import meeting_facts  # noqa: E402
from service.meetings.schemas import (  # noqa: E402
    AttendanceSet,
    ItemCreate,
    ItemUpdate,
    MeetingCreate,
)
from service.meetings.sheets import meeting_record_pdf  # noqa: E402
from service.photos import store  # noqa: E402
from service.surveys.repository import record_survey  # noqa: E402
from service.surveys.schemas import Measurement, SurveyCreate  # noqa: E402
from tools.pdf_pages import render_page  # noqa: E402

OUT = ROOT / "docs" / "images" / "meeting-record.png"


def sample_photo() -> bytes:
    """A plain drawn picture (the benches on the square), as a JPEG."""
    image = Image.new("RGB", (800, 600), "#d9e8f5")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 420, 800, 600), fill="#b8b0a0")
    for x in (120, 340, 560):
        draw.rectangle((x, 360, x + 140, 380), fill="#b03a2e")
        draw.rectangle((x + 10, 380, x + 20, 430), fill="#6b2a22")
        draw.rectangle((x + 120, 380, x + 130, 430), fill="#6b2a22")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


async def build(url: str) -> bytes:
    engine = create_engine(url)
    async with sessionmaker(engine)() as db:
        community = Community(name="杜集社区")
        user = User(username="wang", display_name="王主任", role="facilitator", password_hash="-")
        db.add_all([community, user])
        await db.flush()
        actor = Actor(id=user.id, name=user.display_name, role="facilitator")
        process = Process(
            community_id=community.id,
            title="拐角路段积水整治",
            question="雨后积水怎么治：抬高路面还是加装排水管？",
        )
        db.add(process)
        await db.flush()
        survey = SurveyCreate(
            surveyed_on=date(2026, 11, 28),
            surveyor="市政设计院、社区物业",
            notes="雨后两小时仍有积水，最深处在3号楼东侧。",
            measurements=[
                Measurement(label="积水深度", value="0.3", unit="米"),
                Measurement(label="积水面积", value="45", unit="平方米"),
            ],
        )
        await record_survey(db, actor, process.id, survey)
        meeting = await meetings.create_meeting(
            db,
            actor,
            community.id,
            MeetingCreate(
                kind="deliberation",
                title="拐角路段积水整治议事会",
                place="3号楼前小广场",
                starts_at=datetime.fromisoformat("2026-12-05T19:00:00+08:00"),
                ends_at=datetime.fromisoformat("2026-12-05T20:30:00+08:00"),
            ),
        )
        first = await agenda.add_item(db, actor, meeting.id, ItemCreate(process_id=process.id))
        await agenda.add_item(db, actor, meeting.id, ItemCreate(note="通报上月诉求办理情况"))
        await agenda.update_item(
            db,
            actor,
            meeting.id,
            first.id,
            ItemUpdate(
                decision="加装排水管，路面不抬高",
                follow_up="物业12月20日前报价，下次议事会定施工方",
            ),
        )
        counts = {"party_member": 6, "representative": 9, "elder": 3, "resident": 14}
        await attendance.set_attendance(db, actor, meeting.id, AttendanceSet(counts=counts))
        await meetings.mark_held(db, actor, meeting.id, None)
        draft = await minutes.minutes_draft(db, meeting.id, "zh")
        await minutes.save_minutes(
            db, actor, meeting.id, draft.text + "\n补充：请网格员把施工时间告知3号楼住户。"
        )
        shot = ShrunkPhoto("bench.jpg", sample_photo())
        await store.add_photos(db, actor, "meeting", meeting.id, [shot], "居民在小广场议事")
        await db.commit()
        facts = await meeting_facts(db, meeting.id, "zh")
    await engine.dispose()
    return meeting_record_pdf(facts, "zh")


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'sample.sqlite3'}"
        upgrade(url)
        pdf = asyncio.run(build(url))
    render_page(pdf, OUT, dpi=100)
    print(OUT)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
