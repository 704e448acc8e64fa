"""A process's loop as tables for its XLSX workbook: rounds cancelled before voting, the
tasks, their progress notes, the photos (by file name and SHA-256 digest), the residents'
feedback and the close-outs, each a sheet with a header row (:func:`loop_sheets`)."""

from __future__ import annotations

from ballots.bundle import FeedbackRecord, LoopRecord
from service.i18n import text
from service.records.labels import label, listed
from service.records.tables import Row
from service.rounds.titles import round_title
from service.zones import moment


def satisfaction(feedback: FeedbackRecord) -> str:
    """The share of residents satisfied or fairly satisfied, as a percentage (``94.1%``)."""
    total = feedback.satisfied + feedback.fairly_satisfied + feedback.dissatisfied
    if not total:
        return "—"
    return f"{100 * (feedback.satisfied + feedback.fairly_satisfied) / total:.1f}%"


def loop_sheets(loop: LoopRecord, lang: str, zone: str) -> list[tuple[str, list[Row]]]:
    """The loop's sheets as (sheet label key, rows), in the workbook's order; the
    cancelled rounds only when there are any."""
    sheets: list[tuple[str, list[Row]]] = []
    if loop.cancelled_rounds:
        sheets.append(("record.sheet.cancelled", cancelled_rows(loop, lang, zone)))
    sheets += [
        ("record.sheet.tasks", task_rows(loop, lang, zone)),
        ("record.sheet.notes", note_rows(loop, lang, zone)),
        ("record.sheet.photos", photo_rows(loop, lang, zone)),
        ("record.sheet.feedback", feedback_rows(loop, lang, zone)),
        ("record.sheet.closeouts", close_out_rows(loop, lang, zone)),
    ]
    return sheets


def cancelled_rows(loop: LoopRecord, lang: str, zone: str) -> list[Row]:
    rows: list[Row] = [
        [
            text(lang, "record.col.round"),
            text(lang, "record.col.time"),
            text(lang, "record.col.reason"),
        ]
    ]
    for r in loop.cancelled_rounds:
        rows.append(
            [round_title(r.number, r.title, lang), moment(r.cancelled_at, zone, lang), r.reason]
        )
    return rows


def task_rows(loop: LoopRecord, lang: str, zone: str) -> list[Row]:
    """One row per task: its plan, where it stands, when it was set and done."""
    rows: list[Row] = [
        [
            text(lang, "record.col.no"),
            text(lang, "record.col.task"),
            text(lang, "record.task.option"),
            text(lang, "record.col.owner"),
            text(lang, "record.col.due"),
            text(lang, "record.col.status"),
            text(lang, "record.col.progress"),
            text(lang, "record.task.created"),
            text(lang, "record.col.done_at"),
            text(lang, "record.task.description"),
        ]
    ]
    for n, t in enumerate(loop.tasks, start=1):
        rows.append(
            [
                n,
                t.title,
                t.option or "",
                t.owner,
                t.due_on.isoformat(),
                label(lang, "task", t.status),
                t.progress,
                moment(t.created_at, zone, lang),
                moment(t.done_at, zone, lang),
                t.description,
            ]
        )
    return rows


def note_rows(loop: LoopRecord, lang: str, zone: str) -> list[Row]:
    """One row per progress note, oldest first within each task; its photos by file name."""
    rows: list[Row] = [
        [
            text(lang, "record.col.no"),
            text(lang, "record.col.task"),
            text(lang, "record.col.time"),
            text(lang, "record.col.noted_by"),
            text(lang, "record.col.note"),
            text(lang, "record.col.status"),
            text(lang, "record.col.progress"),
            text(lang, "record.col.photos"),
        ]
    ]
    for n, t in enumerate(loop.tasks, start=1):
        for note in t.notes:
            status = label(lang, "task", note.status) if note.status is not None else ""
            photos = listed(lang, [p.filename or p.sha256[:12] for p in note.photos])
            rows.append(
                [
                    n,
                    t.title,
                    moment(note.at, zone, lang),
                    note.author,
                    note.body,
                    status,
                    note.progress,
                    photos,
                ]
            )
    return rows


def photo_rows(loop: LoopRecord, lang: str, zone: str) -> list[Row]:
    """One row per photo: the task and note it belongs to, its file name, type, size and
    SHA-256 digest (the image is on the board, not in the workbook)."""
    rows: list[Row] = [
        [
            text(lang, "record.col.no"),
            text(lang, "record.col.task"),
            text(lang, "record.col.time"),
            text(lang, "record.col.file"),
            text(lang, "record.col.type"),
            text(lang, "record.col.size"),
            text(lang, "record.col.sha256"),
        ]
    ]
    for n, t in enumerate(loop.tasks, start=1):
        for note in t.notes:
            for p in note.photos:
                rows.append(
                    [
                        n,
                        t.title,
                        moment(note.at, zone, lang),
                        p.filename,
                        p.content_type,
                        p.size,
                        p.sha256,
                    ]
                )
    return rows


def feedback_rows(loop: LoopRecord, lang: str, zone: str) -> list[Row]:
    rows: list[Row] = [
        [
            text(lang, "record.col.held_on"),
            text(lang, "record.col.channel"),
            text(lang, "record.feedback.satisfied"),
            text(lang, "record.feedback.fairly_satisfied"),
            text(lang, "record.feedback.dissatisfied"),
            text(lang, "record.col.total"),
            text(lang, "record.col.satisfaction"),
            text(lang, "record.col.remarks"),
        ]
    ]
    for f in loop.feedback:
        total = f.satisfied + f.fairly_satisfied + f.dissatisfied
        rows.append(
            [
                f.held_on.isoformat(),
                label(lang, "feedback", f.channel),
                f.satisfied,
                f.fairly_satisfied,
                f.dissatisfied,
                total,
                satisfaction(f),
                f.note,
            ]
        )
    return rows


def close_out_rows(loop: LoopRecord, lang: str, zone: str) -> list[Row]:
    """Every close-out and re-opening, oldest first."""
    rows: list[Row] = [
        [
            text(lang, "record.col.time"),
            text(lang, "record.col.action"),
            text(lang, "record.col.signoff"),
            text(lang, "record.col.by"),
        ]
    ]
    for c in loop.close_outs:
        rows.append([moment(c.at, zone, lang), label(lang, "closeout", c.action), c.note, c.actor])
    return rows
