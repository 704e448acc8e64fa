"""The printed record's pages after the rounds, for a process's whole record: the rounds
cancelled before voting, the implementation tasks with their progress notes and photos
(printed small, each captioned with its SHA-256 digest), the residents' feedback and the
close-out with any re-opening. Set in the record's own styles and tables
(:mod:`service.records.document`), which passes these pages in as ``more``.

Photos are scaled down before they are embedded (:func:`printable`), so a record with many
phone photos stays a small file; one that cannot be read is named by its digest instead.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any, Final

from PIL import Image as PILImage
from PIL import ImageOps
from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Image, Paragraph, Spacer, Table
from reportlab.platypus.flowables import Flowable

from ballots.bundle import FeedbackRecord, LoopRecord, NoteRecord, PhotoRecord, TaskRecord
from engine.process import ProcessPhase
from service.i18n import text
from service.records.document import Styles, _facts, _table, _x
from service.records.labels import aside, clauses, label, labelled
from service.records.loop_tables import satisfaction
from service.rounds.titles import round_title
from service.zones import long_date, moment

PHOTO_WIDTH: Final[float] = 80 * mm
PHOTO_HEIGHT: Final[float] = 60 * mm
"""The most room a photo takes on the page (two side by side)."""
PHOTO_PIXELS: Final[int] = 1200
"""A photo's longer side in the PDF: about 380 dpi at :data:`PHOTO_WIDTH`."""
JPEG_QUALITY: Final[int] = 82


def loop_pages(
    loop: LoopRecord, lang: str, photos: Mapping[str, bytes], s: Styles
) -> list[Flowable]:
    """The pages about what became of the decision, in the record's order."""
    story: list[Flowable] = []
    if loop.cancelled_rounds:
        story += _cancelled(loop, lang, s)
    story += _tasks(loop, lang, photos, s)
    story += _feedback(loop.feedback, lang, s)
    story += _close_outs(loop, lang, s)
    return story


def _cancelled(loop: LoopRecord, lang: str, s: Styles) -> list[Flowable]:
    rows: list[list[Any]] = [
        [
            text(lang, "record.col.round"),
            text(lang, "record.col.time"),
            text(lang, "record.col.reason"),
        ]
    ]
    for r in loop.cancelled_rounds:
        rows.append(
            [round_title(r.number, r.title, lang), moment(r.cancelled_at, s.zone, lang), r.reason]
        )
    return [
        CondPageBreak(40 * mm),
        Paragraph(_x(text(lang, "record.section.cancelled")), s.h1),
        Paragraph(_x(text(lang, "record.cancelled.note")), s.small),
        Spacer(1, 3),
        _table(rows, s, [40 * mm, 50 * mm, 84 * mm]),
    ]


def _tasks(loop: LoopRecord, lang: str, photos: Mapping[str, bytes], s: Styles) -> list[Flowable]:
    story: list[Flowable] = [
        CondPageBreak(60 * mm),
        Paragraph(_x(text(lang, "record.section.tasks")), s.h1),
    ]
    if not loop.tasks:
        return [*story, Paragraph(_x(text(lang, "record.no_tasks")), s.body)]
    rows: list[list[Any]] = [
        [
            text(lang, "record.col.no"),
            text(lang, "record.col.task"),
            text(lang, "record.col.owner"),
            text(lang, "record.col.due"),
            text(lang, "record.col.status"),
            text(lang, "record.col.progress"),
        ]
    ]
    for n, task in enumerate(loop.tasks, start=1):
        rows.append(
            [
                n,
                task.title,
                task.owner,
                long_date(task.due_on, lang),
                label(lang, "task", task.status),
                f"{task.progress}%",
            ]
        )
    story.append(_table(rows, s, [12 * mm, 62 * mm, 38 * mm, 24 * mm, 20 * mm, 18 * mm]))
    if any(note.photos for task in loop.tasks for note in task.notes):
        story.append(Paragraph(_x(text(lang, "record.photo.digests")), s.small))
    for n, task in enumerate(loop.tasks, start=1):
        story += _task(n, task, lang, photos, s)
    return story


def _task(
    n: int, task: TaskRecord, lang: str, photos: Mapping[str, bytes], s: Styles
) -> list[Flowable]:
    heading = text(lang, "record.task.heading", n=n, title=task.title)
    pairs = [(text(lang, "record.col.owner"), task.owner)]
    if task.option:
        pairs.append((text(lang, "record.task.option"), task.option))
    if task.description:
        pairs.append((text(lang, "record.task.description"), task.description))
    pairs += [
        (text(lang, "record.task.created"), moment(task.created_at, s.zone, lang)),
        (text(lang, "record.col.due"), long_date(task.due_on, lang)),
        (
            text(lang, "record.col.status"),
            aside(lang, label(lang, "task", task.status), f"{task.progress}%"),
        ),
    ]
    if task.done_at is not None:
        pairs.append((text(lang, "record.col.done_at"), moment(task.done_at, s.zone, lang)))
    story: list[Flowable] = [
        CondPageBreak(40 * mm),
        Paragraph(_x(heading), s.h2),
        _facts(pairs, s),
        Spacer(1, 3),
    ]
    if not task.notes:
        story.append(Paragraph(_x(text(lang, "record.task.no_notes")), s.small))
    for note in task.notes:
        story.append(Paragraph(_x(note_line(note, lang, s.zone)), s.body))
        if note.photos:
            story.append(_photo_grid(note.photos, lang, photos, s))
        story.append(Spacer(1, 3))
    return story


def note_line(note: NoteRecord, lang: str, zone: str) -> str:
    """A progress note as one line: when, who, what, and the status and progress it set."""
    line = f"{moment(note.at, zone, lang)}　{labelled(lang, note.author, note.body)}"
    changes = []
    if note.status is not None:
        changes.append(
            text(lang, "record.progress.status", status=label(lang, "task", note.status))
        )
    if note.progress is not None:
        changes.append(text(lang, "record.progress.percent", progress=note.progress))
    if changes:
        return aside(lang, line, clauses(lang, changes))
    return line


def _photo_grid(
    listed: tuple[PhotoRecord, ...], lang: str, photos: Mapping[str, bytes], s: Styles
) -> Table:
    """The note's photos two to a row, each over its caption."""
    cells: list[list[Flowable]] = []
    for photo in listed:
        caption = Paragraph(
            _x(text(lang, "record.photo.caption", name=photo.filename or "—", digest=photo.sha256)),
            s.small,
        )
        image = printable(photos[photo.sha256]) if photo.sha256 in photos else None
        if image is None:
            shown: Flowable = Paragraph(_x(text(lang, "record.photo.unreadable")), s.small)
        else:
            shown = image
        cells.append([shown, Spacer(1, 2), caption])
    rows = [cells[i : i + 2] for i in range(0, len(cells), 2)]
    if len(rows[-1]) == 1:
        rows[-1].append([])
    grid = Table(rows, colWidths=[PHOTO_WIDTH + 7 * mm] * 2, hAlign="LEFT")
    grid.setStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)])
    return grid


def scaled(data: bytes) -> tuple[bytes, int, int] | None:
    """A photo ready to print: turned upright as the camera said, on white where it was
    transparent, its longer side at most :data:`PHOTO_PIXELS`, as JPEG bytes with its width
    and height in pixels. ``None`` when the bytes cannot be read as an image."""
    try:
        with PILImage.open(io.BytesIO(data)) as opened:
            opened.draft("RGB", (PHOTO_PIXELS, PHOTO_PIXELS))  # JPEG: decode at a smaller size
            upright = ImageOps.exif_transpose(opened)
            if upright.mode in ("RGBA", "LA", "P"):
                upright = upright.convert("RGBA")
                flat = PILImage.new("RGB", upright.size, "white")
                flat.paste(upright, mask=upright.getchannel("A"))
            else:
                flat = upright.convert("RGB")
            flat.thumbnail((PHOTO_PIXELS, PHOTO_PIXELS))
            out = io.BytesIO()
            flat.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    except (OSError, ValueError, PILImage.DecompressionBombError):
        return None
    return out.getvalue(), flat.width, flat.height


def printable(data: bytes) -> Image | None:
    """A photo as an image flowable at most :data:`PHOTO_WIDTH` × :data:`PHOTO_HEIGHT`
    (:func:`scaled`), or ``None`` when it cannot be read."""
    ready = scaled(data)
    if ready is None:
        return None
    jpeg, width, height = ready
    scale = min(PHOTO_WIDTH / width, PHOTO_HEIGHT / height)
    return Image(io.BytesIO(jpeg), width=width * scale, height=height * scale)


def _feedback(feedback: tuple[FeedbackRecord, ...], lang: str, s: Styles) -> list[Flowable]:
    story: list[Flowable] = [
        CondPageBreak(40 * mm),
        Paragraph(_x(text(lang, "record.section.feedback")), s.h1),
    ]
    if not feedback:
        return [*story, Paragraph(_x(text(lang, "record.no_feedback")), s.body)]
    rows: list[list[Any]] = [
        [
            text(lang, "record.col.held_on"),
            text(lang, "record.col.channel"),
            text(lang, "record.feedback.satisfied"),
            text(lang, "record.feedback.fairly_satisfied"),
            text(lang, "record.feedback.dissatisfied"),
            text(lang, "record.col.satisfaction"),
            text(lang, "record.col.remarks"),
        ]
    ]
    for f in feedback:
        rows.append(
            [
                long_date(f.held_on, lang),
                label(lang, "feedback", f.channel),
                f.satisfied,
                f.fairly_satisfied,
                f.dissatisfied,
                satisfaction(f),
                f.note or "—",
            ]
        )
    widths = [27 * mm, 29 * mm, 13 * mm, 17 * mm, 15 * mm, 16 * mm, 57 * mm]
    return [
        *story,
        _table(rows, s, widths),
        Paragraph(_x(text(lang, "record.satisfaction.help")), s.small),
    ]


def _close_outs(loop: LoopRecord, lang: str, s: Styles) -> list[Flowable]:
    story: list[Flowable] = [
        CondPageBreak(40 * mm),
        Paragraph(_x(text(lang, "record.section.closeout")), s.h1),
    ]
    now = labelled(lang, text(lang, "record.process.phase"), label(lang, "phase", loop.phase))
    if loop.phase == ProcessPhase.CLOSED and loop.closed_at is not None:
        now = aside(lang, now, moment(loop.closed_at, s.zone, lang))
    story.append(Paragraph(_x(now), s.body))
    if not loop.close_outs:
        return [*story, Paragraph(_x(text(lang, "record.no_closeout")), s.body)]
    rows: list[list[Any]] = [
        [
            text(lang, "record.col.time"),
            text(lang, "record.col.action"),
            text(lang, "record.col.signoff"),
            text(lang, "record.col.by"),
        ]
    ]
    for c in loop.close_outs:
        rows.append(
            [moment(c.at, s.zone, lang), label(lang, "closeout", c.action), c.note, c.actor]
        )
    return [*story, Spacer(1, 3), _table(rows, s, [38 * mm, 22 * mm, 84 * mm, 30 * mm])]
