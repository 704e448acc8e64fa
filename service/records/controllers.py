"""Downloading decision records and printing voter-code slips over HTTP.

    GET  /api/v1/rounds/{id}/bundle              the JSON bundle: everyone once published,
                                                 staff once closed
    GET  /api/v1/rounds/{id}/exports/{format}    any export of a round (secretary, admin)
    GET  /api/v1/processes/{id}/exports/{format} json, pdf or xlsx of the whole process:
                                                 every counted round, then the tasks,
                                                 feedback and close-out
    GET  /api/v1/exports                         the export formats (staff)
    GET  /api/v1/rounds/{id}/poster?size=A3      the result poster for the notice board
                                                 (everyone, once published)
    POST /api/v1/rounds/{id}/code-slips          issue a numbered batch of codes and get its
                                                 slips as a PDF
                                                 (facilitator, admin)

Every download is written to the audit log with the package digest it carried. A round's
JSON bundle, ballots CSV, BLT and PrefLib are sent as its ballot box is read, part by part
(:mod:`service.records.streams`); the other documents are read in the request's transaction
and made in the worker process (:mod:`service.offload`), so no download holds the event
loop.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.response import Stream
from sqlalchemy.ext.asyncio import AsyncSession

from ballots.bundle import Bundle
from service import offload
from service.audit import record
from service.auth.guard import STAFF, Actor, roles
from service.db import models
from service.deps import DB, Caller
from service.openapi.responses import download, refusals
from service.processes.repository import find_process
from service.records.assemble import process_draft, round_draft
from service.records.exports import FORMATS, Exported, audit_export, disposition, make
from service.records.poster import paper, poster_facts, poster_names, poster_pdf
from service.records.poster_shelf import shelf_of
from service.records.slips import phone_ballot, slips_file_names, slips_pdf
from service.records.streams import STREAMED, StreamedExport, stream_round
from service.results.controllers import HIDDEN
from service.rounds.repository import find_round
from service.rounds.titles import round_title
from service.voting import batches, codes
from service.voting.schemas import CodesCreate

RECORD_KEEPERS = roles("secretary", "admin")
NO_FONT = refusals(
    {
        500: "`misconfigured`: the server has no CJK TrueType font to embed in a PDF (install "
        "fonts-wqy-microhei or set `REDBENCH_PDF_FONT`)"
    }
)
"""The refusal of every answer that may be a PDF."""
EXPORTS = download(
    200,
    [f.media_type for f in FORMATS.values()],
    Bundle,
    description="the export: the JSON bundle, the PDF record, the XLSX workbook, or a CSV or "
    "ballot file (see `GET /exports`)",
)


class ExportFormatOut(msgspec.Struct):
    """An export format: its name (for ``/exports/{format}``), what it is, whether a whole
    process can be exported in it, and the ballot kinds it holds (empty: any)."""

    name: str
    media_type: str
    zh: str
    en: str
    process: bool
    kinds: list[str]


def stream_response(streamed: StreamedExport) -> Stream:
    """A streamed export as a download (:mod:`service.records.streams`)."""
    headers = _download_headers(streamed.disposition())
    return Stream(streamed.chunks, media_type=streamed.media_type, headers=headers)


def _download_headers(disposition: str) -> dict[str, str]:
    """A download's headers: its file name, and no sniffing of its type."""
    return {"Content-Disposition": disposition, "X-Content-Type-Options": "nosniff"}


async def round_download(
    db: AsyncSession, state: State, round_id: int, fmt: str, actor: Actor, lang: str = "zh"
) -> Response[Any]:
    """A round's export as a download: streamed as its box is read for the formats that
    carry its ballots (:data:`~service.records.streams.STREAMED`), made whole in the worker
    for the others."""
    if fmt in STREAMED:
        maker = state.sessionmaker
        return stream_response(await stream_round(db, maker, round_id, fmt, actor, lang))
    return file_response(await export_round(db, round_id, fmt, actor, lang))


@get("/api/v1/benchmark/rounds/{round_id:int}/exports/{fmt:str}", opt=RECORD_KEEPERS)
async def whole_round_export(
    db: DB, round_id: FromPath[int], fmt: FromPath[str], actor: Caller
) -> Response[bytes]:
    """A round's export made whole in the worker, as every export was before streaming: the
    baseline of ``tests/benchmarks/bench_exports.py``. Routed only when
    ``Settings.benchmark_endpoints`` is on."""
    return file_response(await export_round(db, round_id, fmt, actor))


def file_response(exported: Exported) -> Response[bytes]:
    """The export as a download, with its media type and a UTF-8 file name."""
    headers = _download_headers(exported.disposition())
    return Response(exported.content, media_type=exported.media_type, headers=headers)


async def export_round(
    db: AsyncSession, round_id: int, fmt: str, actor: Actor, lang: str = "zh"
) -> Exported:
    """An export of one round, made in the worker, audited (for page handlers and the
    command line too)."""
    draft = await round_draft(db, round_id, actor)
    made = await offload.run(make, draft, fmt, lang)
    audit_export(db, actor, "round", round_id, made.digest, draft.numbers, fmt)
    return made.exported


async def export_process(
    db: AsyncSession, process_id: int, fmt: str, actor: Actor, lang: str = "zh"
) -> Exported:
    """A process's whole record (its counted rounds and the loop after the decision), made
    in the worker, audited."""
    draft = await process_draft(db, process_id, photos=fmt == "pdf")
    made = await offload.run(make, draft, fmt, lang)
    audit_export(db, actor, "process", process_id, made.digest, draft.numbers, fmt)
    return made.exported


async def _slips_heading(db: AsyncSession, round_row: models.Round) -> str:
    """The community and process, as every slip of the round heads them."""
    process = await find_process(db, round_row.process_id)
    community = await db.get(models.Community, process.community_id)
    return "　".join(part for part in (community.name if community else "", process.title) if part)


def _slips_file(pdf: bytes, round_number: int, numbers: list[int], lang: str) -> Exported:
    """Slips as a download named for the round and the slips' numbers."""
    filename, ascii_filename = slips_file_names(round_number, numbers, lang)
    return Exported("pdf", pdf, "application/pdf", filename, ascii_filename)


async def print_slips(
    db: AsyncSession,
    round_id: int,
    data: CodesCreate,
    secret_key: str,
    actor: Actor,
    lang: str = "zh",
    base: str = "",
) -> Exported:
    """Issue codes for a round as one numbered batch and return their slips as a PDF named
    for the round and the slips' numbers (``第3轮投票码-第12至18号.pdf``); with ``base``
    (the public address) their QR codes open the phone ballot.

    The codes and the PDF are made in the worker before anything is written, so the
    request's write (the batch, households and code hashes) comes last and is short."""
    round_row = await find_round(db, round_id)
    plan = await codes.plan_codes(db, round_id, data)
    heading = await _slips_heading(db, round_row)
    title = round_title(round_row.number, round_row.title, lang)
    phone = phone_ballot(base, round_id) if base else ""
    made: dict[str, Any] = {}

    async def make_pdf(numbered: codes.CodePlan, fresh: list[codes.FreshCode]) -> None:
        slips = [
            (c.code, label, numbered.first + i)
            for i, (c, (label, _)) in enumerate(zip(fresh, numbered.bound, strict=True))
        ]
        made["pdf"] = await offload.run(
            slips_pdf, slips, heading=heading, round_title=title, lang=lang, phone=phone
        )
        made["numbers"] = [n for _, _, n in slips]

    issued = await codes.issue_plan(db, plan, secret_key, actor, before_store=make_pdf)
    record(
        db,
        actor,
        "codes.slips_printed",
        "round",
        round_id,
        batch=issued.batch,
        numbers=[c.number for c in issued.codes],
    )
    pdf, numbers = made["pdf"], made["numbers"]
    return _slips_file(pdf, round_row.number, numbers, lang)


async def reprint_slips(
    db: AsyncSession,
    round_id: int,
    batch: int,
    secret_key: str,
    actor: Actor,
    lang: str = "zh",
    numbers: set[int] | None = None,
    reprint: str | None = None,
    base: str = "",
) -> Exported:
    """The unused slips of a batch (of ``numbers`` only, if given) as a PDF, their codes
    made again from the slip key (:mod:`service.voting.batches`); audited — with a
    ``reprint`` reason, as a reprint after the batch's printing window. With ``base`` (the
    public address) their QR codes open the phone ballot."""
    round_row = await find_round(db, round_id)
    _, slips = await batches.unused_slips(db, round_id, batch, secret_key, actor, numbers, reprint)
    heading = await _slips_heading(db, round_row)
    title = round_title(round_row.number, round_row.title, lang)
    rows = [(s.code, s.household, s.number) for s in slips]
    phone = phone_ballot(base, round_id) if base else ""
    pdf = await offload.run(
        slips_pdf, rows, heading=heading, round_title=title, lang=lang, phone=phone
    )
    return _slips_file(pdf, round_row.number, [s.number for s in slips], lang)


async def poster_download(
    db: AsyncSession, request: Request[Any, Any, Any], round_id: int, size: str, lang: str
) -> Response[bytes]:
    """A published round's result poster as a download (:mod:`service.records.poster`), its
    QR code pointing at the board page on the public address (or the request's). Made once
    per size, language and address, then served from :mod:`service.records.poster_shelf`;
    the facts are read each time, so an unpublished round is refused as ever."""
    chosen = paper(size)
    base = request.app.state.settings.public_base(str(request.base_url))
    facts = await poster_facts(db, round_id, base)
    pdf = await shelf_of(request.app.state).poster(
        (round_id, chosen, lang, base), partial(offload.run, poster_pdf, facts, chosen, lang)
    )
    name, fallback = poster_names(facts, chosen, lang)
    return Response(
        pdf, media_type="application/pdf", headers=_download_headers(disposition(name, fallback))
    )


def _lang(request: Request[Any, Any, Any], lang: str | None) -> str:
    if lang in ("zh", "en"):
        return lang
    accept = request.headers.get("accept-language", "")
    return "en" if accept.lower().startswith("en") else "zh"


class RecordController(Controller):
    path = "/api/v1"
    tags = ["records"]

    @get("/exports", opt=roles(*STAFF), sync_to_thread=False)
    def formats(self) -> list[ExportFormatOut]:
        return [
            ExportFormatOut(
                f.name, f.media_type, f.file_word("zh"), f.word, f.process, list(f.kinds)
            )
            for f in FORMATS.values()
        ]

    @get(
        "/rounds/{round_id:int}/bundle",
        opt=roles("public", *STAFF),
        responses=download(200, ["application/json"], Bundle, description="the JSON bundle")
        | HIDDEN,
    )
    async def bundle(
        self, db: DB, state: State, round_id: FromPath[int], actor: Caller
    ) -> Response[Any]:
        """The sealed JSON bundle of a published round (staff: of a closed one), sent as its
        ballot box is read."""
        return await round_download(db, state, round_id, "json", actor)

    @get(
        "/rounds/{round_id:int}/poster",
        opt=roles("public", *STAFF),
        responses=download(200, ["application/pdf"], description="the poster, one page")
        | refusals(
            {
                409: "`results-hidden`: the round's result is not published yet",
                422: "`invalid`: the paper size is neither A4 nor A3",
            }
        )
        | NO_FONT,
    )
    async def poster(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        round_id: FromPath[int],
        size: FromQuery[str] = "A4",
        lang: FromQuery[str | None] = None,
    ) -> Response[bytes]:
        """The result poster of a published round for the notice board (A4 or A3): the
        winners in large type, the count as a chart, the turnout and a QR code of the
        round's board page. Public, as the board is; refused before publication."""
        return await poster_download(db, request, round_id, size, _lang(request, lang))

    @get(
        "/rounds/{round_id:int}/exports/{fmt:str}",
        opt=RECORD_KEEPERS,
        responses=EXPORTS | HIDDEN | NO_FONT,
    )
    async def round_export(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        state: State,
        round_id: FromPath[int],
        fmt: FromPath[str],
        actor: Caller,
        lang: FromQuery[str | None] = None,
    ) -> Response[Any]:
        """One export of a closed round (see ``GET /exports`` for the formats); the JSON
        bundle, the ballots CSV, BLT and PrefLib are sent as the ballot box is read."""
        return await round_download(db, state, round_id, fmt, actor, _lang(request, lang))

    @get(
        "/processes/{process_id:int}/exports/{fmt:str}",
        opt=RECORD_KEEPERS,
        responses=EXPORTS
        | refusals({409: "`results-hidden`: the process has no counted round yet"})
        | NO_FONT,
    )
    async def process_export(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        process_id: FromPath[int],
        fmt: FromPath[str],
        actor: Caller,
        lang: FromQuery[str | None] = None,
    ) -> Response[bytes]:
        """The whole record of a process: json, pdf or xlsx — every counted round, rounds
        cancelled before voting, the tasks with their notes and photos, the residents'
        feedback and the close-out with any re-opening."""
        lang = _lang(request, lang)
        return file_response(await export_process(db, process_id, fmt, actor, lang))

    @post(
        "/rounds/{round_id:int}/code-slips",
        opt=roles("facilitator", "admin"),
        status_code=201,
        responses=download(201, ["application/pdf"], description="the slips, one code each")
        | refusals(
            {
                409: "`codes-unconfirmed`: households that hold a live code or look like "
                "another household, listed in `detail.warnings`; send again with "
                "`confirm: true` to issue anyway"
            }
        )
        | NO_FONT,
    )
    async def code_slips(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        state: State,
        round_id: FromPath[int],
        data: JSONBody[CodesCreate],
        actor: Caller,
        lang: FromQuery[str | None] = None,
    ) -> Response[bytes]:
        """Issue codes (``count`` or ``households``, ``confirm`` for households that hold a
        live code or look like another) as one numbered batch and get them as printable
        slips, named for the round and the slips' numbers (``第3轮投票码-第12至18号.pdf``).
        The console prints an unused slip again; the database keeps no readable code."""
        key = state.settings.secret_key
        base = state.settings.public_base(str(request.base_url))
        made = await print_slips(db, round_id, data, key, actor, _lang(request, lang), base)
        return Response(
            made.content,
            status_code=201,
            media_type="application/pdf",
            headers=_download_headers(made.disposition()),
        )
