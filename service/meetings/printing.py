"""A meeting's papers over HTTP: the sign-in sheet to print before it and the meeting
record to sign after it, PDF downloads for the community's staff (``?lang=en`` for
English), drawn in the worker process."""

from __future__ import annotations

from collections.abc import Callable

from litestar import Controller, Response, get
from litestar.params import FromPath, FromQuery
from sqlalchemy.ext.asyncio import AsyncSession

from service import offload
from service.auth.guard import STAFF, roles
from service.deps import DB
from service.i18n import asked_language
from service.meetings.record import MeetingFacts, file_name, meeting_facts
from service.meetings.sheets import meeting_record_pdf, sign_in_sheet_pdf
from service.openapi.responses import download, refusals
from service.records.exports import disposition

PDF = download(200, ["application/pdf"], description="the PDF") | refusals(
    {
        500: "`misconfigured`: the server has no CJK TrueType font to embed in a PDF (install "
        "fonts-wqy-microhei or set `REDBENCH_PDF_FONT`)"
    }
)


async def meeting_pdf(
    db: AsyncSession,
    meeting_id: int,
    what: str,
    draw: Callable[[MeetingFacts, str], bytes],
    lang: str | None,
) -> Response[bytes]:
    """One of the meeting's papers as a download named in the reader's words."""
    chosen = asked_language(lang)
    facts = await meeting_facts(db, meeting_id, chosen)
    pdf = await offload.run(draw, facts, chosen)
    shown, fallback = file_name(facts, what, chosen)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": disposition(shown, fallback),
            "X-Content-Type-Options": "nosniff",
        },
    )


class MeetingPapersController(Controller):
    path = "/api/v1/meetings/{meeting_id:int}"
    tags = ["meetings"]

    @get("/sign-in-sheet", opt=roles(*STAFF), responses=PDF)
    async def sign_in_sheet(
        self, db: DB, meeting_id: FromPath[int], lang: FromQuery[str | None] = None
    ) -> Response[bytes]:
        """The sign-in sheet (签到表), A4: the meeting's title, place and time, and rows for
        name, category and signature."""
        return await meeting_pdf(db, meeting_id, "sheet", sign_in_sheet_pdf, lang)

    @get("/record", opt=roles(*STAFF), responses=PDF)
    async def record(
        self, db: DB, meeting_id: FromPath[int], lang: FromQuery[str | None] = None
    ) -> Response[bytes]:
        """The meeting record (会议记录), A4: the facts, attendance by category, the agenda
        with results and decisions, site surveys, minutes, photos' captions and the lines
        for signatures."""
        return await meeting_pdf(db, meeting_id, "record", meeting_record_pdf, lang)
