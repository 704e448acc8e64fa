"""``redbench verify``, ``redbench export`` and ``redbench seal``: decision records on the
command line.

    redbench verify BUNDLE [--expect DIGEST]        check a bundle alone: digests, every
                                                    ballot, and the count done again
    redbench export ROUND --format F [-o FILE]      an export of a round from the database
                                                    (its ballot files written as its box is
                                                    read); without -o, under the name a
                                                    download has, in the current folder
    redbench export PROCESS --process --format F -o FILE
    redbench seal FILE --method M -o BUNDLE         count a ballot file (BLT, PrefLib,
                                                    pabulib …) into a verifiable bundle
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import msgspec

from service.commands.errors import CommandError, existing
from service.i18n import LANGUAGES, text

if TYPE_CHECKING:
    from service.records.streams import StreamedExport


def arguments(name: str, cmd: argparse.ArgumentParser) -> None:
    """The options of ``verify``, ``export`` or ``seal``."""
    if name == "verify":
        cmd.add_argument("bundle", type=Path, help="the JSON bundle (redbench-decision)")
        cmd.add_argument(
            "--expect", help="the package digest it must have (from the signed record)"
        )
        cmd.add_argument("--json", action="store_true", help="print the report as JSON")
        cmd.add_argument("--lang", choices=LANGUAGES, help="language of labels (default: locale)")
        cmd.set_defaults(handler=verify)
    elif name == "export":
        from service.records.exports import FORMATS

        cmd.add_argument("id", type=int, help="the round id (or the process id with --process)")
        cmd.add_argument("--process", action="store_true", help="export a whole process")
        cmd.add_argument("--format", required=True, choices=list(FORMATS), help="what to export")
        cmd.add_argument(
            "-o",
            "--output",
            type=Path,
            help="file to write (default: its own Chinese name, in the current folder)",
        )
        cmd.add_argument("--database", help="database URL (default: REDBENCH_DATABASE_URL or here)")
        cmd.add_argument("--lang", choices=LANGUAGES, help="language of the document (default zh)")
        cmd.add_argument("--no-progress", action="store_true", help="no byte count while writing")
        # the whole file made in the worker, as before streaming: for the benchmark only
        cmd.add_argument("--whole", action="store_true", help=argparse.SUPPRESS)
        cmd.set_defaults(handler=export)
    else:
        cmd.add_argument("file", type=Path, help="ballot file (BLT, PrefLib, pabulib, JSON …)")
        cmd.add_argument("--method", required=True, help="counting method, e.g. stv, irv, greedy")
        cmd.add_argument("--format", help="file format (default: from the name or content)")
        cmd.add_argument(
            "--seats", type=int, help="number of winners (default: from the file, or 1)"
        )
        cmd.add_argument("--tie-policy", choices=["lot", "refuse"], default="lot")
        cmd.add_argument("-o", "--output", type=Path, required=True, help="bundle file to write")
        cmd.add_argument("--lang", choices=LANGUAGES, help="language of labels (default: locale)")
        cmd.set_defaults(handler=seal_file)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise CommandError(f"{path}: cannot be read ({exc.strerror})", f"无法读取 {path}") from exc


def _write(path: Path, data: bytes) -> None:
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise _unwritable(path, exc) from exc


def verify(args: argparse.Namespace, lang: str, out: TextIO) -> int:
    """Verify a bundle: 0 and one line when verified, 1 and every difference when not."""
    from ballots.verify import verify as check

    report = check(_read(args.bundle), name=args.bundle.name, expect=args.expect)
    if args.json:
        out.write(msgspec.json.encode(report).decode() + "\n")
        return 0 if report.verified else 1
    if report.verified:
        line = text(
            lang,
            "record.verify.ok",
            digest=report.digest,
            rounds=report.rounds,
            ballots=report.ballots,
        )
        out.write(line + "\n")
        if report.sealed_rounds:
            out.write(text(lang, "record.verify.sealed", sealed=report.sealed_rounds) + "\n")
        return 0
    from service.records.findings import finding_text

    out.write(text(lang, "record.verify.failed", count=len(report.findings)) + "\n")
    for finding in report.findings:
        out.write(f"  {finding_text(finding, lang)}\n")
    return 1


def export(args: argparse.Namespace, lang: str, out: TextIO) -> int:
    """Write one export of a round or process from the database (audited as ``system``). A
    round's ballot-bearing exports (:data:`~service.records.streams.STREAMED`) are written
    as its box is read, through the API's own stream; the others are made whole."""
    from service.auth.guard import Actor
    from service.db.migrate import upgrade
    from service.db.session import create_engine, sessionmaker
    from service.errors import ServiceError
    from service.records.controllers import export_process, export_round
    from service.records.streams import STREAMED, stream_round
    from service.settings import Settings

    settings = Settings.from_env(database_url=args.database)
    upgrade(settings.database_url)
    system = Actor(id=None, name="system", role="admin")
    language = args.lang or "zh"
    streamed = not args.process and not args.whole and args.format in STREAMED

    async def run() -> tuple[Path, int]:
        engine = create_engine(settings.database_url)
        maker = sessionmaker(engine)
        try:
            if streamed:
                # the round is read in a transaction that ends before the box is: the stream
                # reads its parts, and writes its audit row, in short ones of its own
                async with maker() as session, session.begin():
                    export = await stream_round(
                        session, maker, args.id, args.format, system, language
                    )
                path = _output(args, export.filename)
                return path, await write_streamed(export, path, _byte_count(args, lang))
            async with maker() as session, session.begin():
                if args.process:
                    exported = await export_process(session, args.id, args.format, system, language)
                else:
                    exported = await export_round(session, args.id, args.format, system, language)
            path = _output(args, exported.filename)
            _write(path, exported.content)
            return path, len(exported.content)
        except ServiceError as exc:
            raise CommandError.of(exc) from exc
        finally:
            await engine.dispose()

    path, size = asyncio.run(run())
    out.write(text(lang, "record.exported", path=path, size=size) + "\n")
    return 0


def _output(args: argparse.Namespace, filename: str) -> Path:
    """Where an export is written: ``-o``, else its own name (``口袋公园建设方案-第1轮-选票.blt``,
    the name a download has) in the current folder."""
    given: Path | None = args.output
    return given if given is not None else Path.cwd() / filename


async def write_streamed(
    export: StreamedExport, path: Path, progress: Callable[[int], None] | None = None
) -> int:
    """Write the export's chunks as they come to a temporary file beside ``path``, then
    rename it to ``path``: an export stopped half-way (an error, Ctrl-C) leaves nothing
    under that name, and its audit row says it was not complete. The bytes written."""
    chunks = export.chunks
    try:
        handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 (renamed, not closed, at the end)
            dir=path.parent, prefix=f".{path.name}.", suffix=".part", delete=False
        )
    except OSError as exc:
        await _close(chunks)
        raise _unwritable(path, exc) from exc
    written = 0
    try:
        with handle:
            async for chunk in chunks:
                handle.write(chunk)
                written += len(chunk)
                if progress is not None:
                    progress(written)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(handle.name, path)
    except BaseException as exc:
        await _close(chunks)
        Path(handle.name).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise _unwritable(path, exc) from exc
        raise
    finally:
        if progress is not None and written:
            sys.stderr.write("\n")
    return written


async def _close(chunks: AsyncIterator[bytes]) -> None:
    """End the stream (its audit row is then written as incomplete)."""
    aclose = getattr(chunks, "aclose", None)
    if aclose is not None:
        await aclose()


def _unwritable(path: Path, exc: OSError) -> CommandError:
    return CommandError(f"{path}: cannot be written ({exc.strerror})", f"无法写入 {path}")


def _byte_count(args: argparse.Namespace, lang: str) -> Callable[[int], None] | None:
    """The bytes written so far, on one line of stderr, when stderr is a terminal (as
    ``tally``'s progress bar on reads: an export's size is not known before its end)."""
    if args.no_progress or not sys.stderr.isatty():
        return None
    shown = -1

    def show(written: int) -> None:
        nonlocal shown
        tenths = written * 10 // 1_000_000
        if tenths != shown:
            shown = tenths
            sys.stderr.write(f"\r{text(lang, 'record.writing', megabytes=tenths / 10)}")
            sys.stderr.flush()

    return show


def seal_file(args: argparse.Namespace, lang: str, out: TextIO) -> int:
    """Count a ballot file with a method and write the sealed bundle of it."""
    from ballots.bundle import Package, ProcessRecord, encode, seal
    from ballots.formats import read_ballots
    from ballots.recount import round_from_box
    from engine.registry import get_method
    from service.commands.names import named_result, names_of
    from service.results.explain import outcome_words, undecided_words

    get_method(args.method)
    box = read_ballots(existing(args.file), args.format)
    record = round_from_box(box, args.method, seats=args.seats, tie_policy=args.tie_policy)
    title = box.title or args.file.stem
    bundle = seal(Package(process=ProcessRecord(title=title), rounds=(record,)))
    data = encode(bundle)
    _write(args.output, data)
    drawn = any(tie.rule == "lot" for tie in record.result.ties)
    if drawn and box.published is not None and box.published.lot_seed != record.result.seed:
        out.write(text(lang, "record.seal_other_lot", seed=box.published.lot_seed) + "\n")
    shown = named_result(record.result, names_of(box, lang))
    decided = f"{text(lang, 'winners')}: {outcome_words(shown, lang)}"
    out.write((undecided_words(shown, lang) or decided) + "\n")
    out.write(f"{text(lang, 'record.package_digest')}: {bundle.digest}\n")
    out.write(text(lang, "record.exported", path=args.output, size=len(data)) + "\n")
    return 0
