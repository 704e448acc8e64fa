"""Every export of a decision record, by name: what it holds, its media type and file name,
and :func:`export`, which makes it from a sealed bundle.

A round's bundle can be exported in every format; a process's whole record (its rounds and
the loop after the decision) as the JSON bundle, the PDF record and the XLSX workbook.
Ballot files for outside counting tools: BLT and PrefLib for ranked rounds, pabulib ``.pb``
for budget rounds. Every file of ballots (these, the ballots CSV and the JSON bundle) says
how the round was counted — method, seats, every option, tie policy, lot seed — so
``redbench tally`` on the file alone gives the published result; the count's own files say
it too (the PDF's and the workbook's 计票规则, the ``#redbench_…`` rows opening the count
CSVs).

:func:`make` seals a draft and exports it in one go: it is what the worker process runs
(:mod:`service.offload`), so that no export is built on the event loop.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final, NamedTuple
from urllib.parse import quote

from msgspec import UNSET
from sqlalchemy.ext.asyncio import AsyncSession

from ballots.bundle import Bundle, Package, RoundRecord, encode
from ballots.formats import write_ballots
from ballots.formats.preflib import data_type_for
from ballots.recount import ballot_box
from engine.profile import RankedProfile
from service.audit import record
from service.auth.guard import Actor
from service.errors import Invalid
from service.i18n import text
from service.records import tables
from service.records.document import decision_pdf
from service.records.draft import Draft, sealed
from service.records.loop_pages import loop_pages
from service.records.loop_tables import loop_sheets
from service.zones import DEFAULT_ZONE

CSV: Final = "text/csv"
TEXT: Final = "text/plain"
XLSX: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class ExportFormat:
    """One export: ``word`` names what it holds in its file name (``ballots``; in the
    reader's language through ``export.file.<word>``); ``process`` says whether a process
    bundle (several rounds) has it; ``kinds`` the ballot kinds it can hold (empty: any)."""

    name: str
    media_type: str
    extension: str
    word: str
    process: bool = False
    kinds: tuple[str, ...] = ()

    def file_word(self, lang: str) -> str:
        """What the export holds, as its file name says in ``lang``: 选票 / ballots."""
        return text(lang, f"export.file.{self.word}")


FORMATS: Final[dict[str, ExportFormat]] = {
    f.name: f
    for f in (
        ExportFormat("json", "application/json", "json", "bundle", process=True),
        ExportFormat("pdf", "application/pdf", "pdf", "record", process=True),
        ExportFormat("xlsx", XLSX, "xlsx", "record", process=True),
        ExportFormat("ballots-csv", CSV, "csv", "ballots"),
        ExportFormat("rounds-csv", CSV, "csv", "rounds"),
        ExportFormat("decisions-csv", CSV, "csv", "decisions", kinds=("budget",)),
        ExportFormat("comments-csv", CSV, "csv", "comments"),
        ExportFormat("blt", TEXT, "blt", "ballots", kinds=("ranked",)),
        ExportFormat("preflib", TEXT, "toi", "ballots", kinds=("ranked",)),
        ExportFormat("pabulib", TEXT, "pb", "ballots", kinds=("budget",)),
    )
}
"""Every export by name, in the order documents list them."""

FORMAT_NAMES_ZH: Final = {name: text("zh", f"secretary.export.{name}") for name in FORMATS}
"""Each export as the download list and refusals name it: 逐轮计票（CSV）, 选票（BLT）."""


@dataclass(frozen=True)
class Exported:
    """An export ready to send: its bytes, media type and file names (the Chinese one and
    an ASCII fallback for old clients)."""

    format: str
    content: bytes
    media_type: str
    filename: str
    ascii_filename: str

    def disposition(self) -> str:
        """The ``Content-Disposition`` header value (RFC 6266 with a UTF-8 ``filename*``)."""
        return disposition(self.filename, self.ascii_filename)


def disposition(filename: str, ascii_filename: str) -> str:
    """A download's ``Content-Disposition`` header (RFC 6266 with a UTF-8 ``filename*``)."""
    return f"attachment; filename=\"{ascii_filename}\"; filename*=UTF-8''{quote(filename, safe='')}"


def checked(package: Package, name: str) -> tuple[ExportFormat, bool]:
    """The export ``name`` if it fits ``package`` (422 when it does not), and whether the
    package is one round's."""
    fmt = FORMATS.get(name)
    if fmt is None:
        raise Invalid("unknown-export", field="format", name=name, formats=list(FORMATS))
    single = len(package.rounds) == 1 and package.scope == "round"
    if not fmt.process and not single:
        raise Invalid("export-per-round", field="format", name=name)
    record = package.rounds[0]
    if fmt.kinds and record.rules.kind not in fmt.kinds:
        fitting = [n for n, f in FORMATS.items() if not f.kinds or record.rules.kind in f.kinds]
        raise Invalid(
            "export-not-applicable",
            field="format",
            name=name,
            kinds=" or ".join(fmt.kinds),
            number=record.number,
            kind=record.rules.kind,
            fitting=fitting,
        )
    return fmt, single


def export(
    bundle: Bundle,
    name: str,
    lang: str = "zh",
    zone: str = DEFAULT_ZONE,
    photos: Mapping[str, bytes] | None = None,
) -> Exported:
    """The export ``name`` of ``bundle`` (422 when the format does not fit the bundle), its
    times shown in ``zone`` (:func:`service.zones.moment`); ``photos`` are the loop's photos
    by SHA-256, printed in the PDF."""
    fmt, single = checked(bundle, name)
    build = BUILDERS[name]
    content, extension = build(bundle, lang, zone, photos or {})
    return Exported(
        format=name,
        content=content,
        media_type=fmt.media_type,
        filename=filename(bundle, fmt, extension, single, lang),
        ascii_filename=ascii_filename(bundle, fmt, extension, single),
    )


def audit_export(
    db: AsyncSession,
    actor: Actor,
    entity: str,
    entity_id: int,
    digest: str | None,
    rounds: list[int],
    fmt: str,
    **more: bool,
) -> None:
    """Write the ``record.exported`` audit row for a download, with the package digest of
    the bundle it came from (``None``: a streamed download the client left before its end,
    with ``complete`` false)."""
    record(
        db,
        actor,
        "record.exported",
        entity,
        entity_id,
        format=fmt,
        package_digest=digest,
        rounds=rounds,
        **more,
    )


class Made(NamedTuple):
    """An export and the package digest of the bundle it was made from (for the audit)."""

    exported: Exported
    digest: str


def make(draft: Draft, name: str, lang: str = "zh") -> Made:
    """Seal ``draft`` and export the bundle as ``name`` (pure: runs in the worker)."""
    bundle = sealed(draft)
    return Made(export(bundle, name, lang, draft.time_zone, draft.photos), bundle.digest)


def filename(bundle: Package, fmt: ExportFormat, extension: str, single: bool, lang: str) -> str:
    """The file name of an export in ``lang``: 口袋公园建设方案-第1轮-选票.blt."""
    title = safe_title(bundle.process.title)
    what = fmt.file_word(lang)
    if bundle.loop is not UNSET and fmt.name in ("pdf", "xlsx"):
        what = text(lang, "export.file.whole-record")
    where = text(lang, "export.round_part", n=bundle.rounds[0].number) if single else ""
    return f"{title}-{where}{what}.{extension}"


def safe_title(title: str) -> str:
    """A process title as the start of a file name: without the characters file systems
    refuse (``/``, ``:``, ``?`` …); ``redbench`` when nothing is left."""
    return "".join(ch for ch in title if ch not in '\\/:*?"<>|\r\n\t') or "redbench"


def ascii_filename(bundle: Package, fmt: ExportFormat, extension: str, single: bool) -> str:
    """The ASCII file name of an export, for old clients: redbench-round-1-ballots.blt."""
    if single:
        return f"redbench-round-{bundle.rounds[0].number}-{fmt.word}.{extension}"
    process = bundle.process.id if bundle.process.id is not None else "record"
    return f"redbench-process-{process}-{fmt.word}.{extension}"


def _ballot_file(record: RoundRecord, title: str, fmt: str) -> tuple[bytes, str]:
    box = ballot_box(record, title)
    extension = FORMATS[fmt].extension
    if fmt == "preflib" and isinstance(box.profile, RankedProfile):
        extension = data_type_for(box.profile, Path("ballots"))
    with tempfile.TemporaryDirectory(prefix="redbench-export-") as folder:
        path = Path(folder) / f"ballots.{extension}"
        write_ballots(box, path, format=fmt)
        return path.read_bytes(), extension


def _round(bundle: Bundle) -> RoundRecord:
    return bundle.rounds[0]


def _xlsx(bundle: Bundle, lang: str, zone: str) -> bytes:
    """The workbook; a process's whole record with its loop's sheets."""
    loop = bundle.loop
    sheets = () if loop is UNSET else loop_sheets(loop, lang, zone)
    return tables.workbook(bundle, lang, zone, sheets)


def _pdf(bundle: Bundle, lang: str, zone: str, photos: Mapping[str, bytes]) -> bytes:
    """The PDF record; a process's whole record with its loop's pages and photos."""
    loop = bundle.loop
    if loop is UNSET:
        return decision_pdf(bundle, lang, zone)
    return decision_pdf(bundle, lang, zone, more=lambda s: loop_pages(loop, lang, photos, s))


Photos = Mapping[str, bytes]
Builder = Callable[[Bundle, str, str, Photos], tuple[bytes, str]]

BUILDERS: Final[dict[str, Builder]] = {
    "json": lambda b, lang, zone, _: (encode(b), "json"),
    "pdf": lambda b, lang, zone, photos: (_pdf(b, lang, zone, photos), "pdf"),
    "xlsx": lambda b, lang, zone, _: (_xlsx(b, lang, zone), "xlsx"),
    "ballots-csv": lambda b, lang, zone, _: (
        tables.to_csv(tables.ballot_file_rows(_round(b), lang)),
        "csv",
    ),
    "rounds-csv": lambda b, lang, zone, _: (
        tables.to_csv(tables.counted_under(_round(b), lang) + tables.count_rows(_round(b), lang)),
        "csv",
    ),
    "decisions-csv": lambda b, lang, zone, _: (
        tables.to_csv(
            tables.counted_under(_round(b), lang) + tables.decision_rows(_round(b), lang)
        ),
        "csv",
    ),
    "comments-csv": lambda b, lang, zone, _: (
        tables.to_csv(tables.comment_rows(_round(b), lang, zone)),
        "csv",
    ),
    "blt": lambda b, lang, zone, _: _ballot_file(_round(b), b.process.title, "blt"),
    "preflib": lambda b, lang, zone, _: _ballot_file(_round(b), b.process.title, "preflib"),
    "pabulib": lambda b, lang, zone, _: _ballot_file(_round(b), b.process.title, "pabulib"),
}
"""How each export is made: ``(bundle, lang, time zone, photos) -> (bytes, file extension)``
(only the PDF prints the photos)."""
