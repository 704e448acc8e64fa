"""The record as tables: ballots, the count round by round, budget decisions and comments,
as CSV (UTF-8 with a byte-order mark and CRLF line ends, so Excel and WPS open the Chinese
intact) and as one XLSX workbook. Rows are built once and written either way."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Final

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ballots.bundle import Bundle, RoundRecord
from ballots.kinds import RankedBallot, ScoreBallot
from service.i18n import text
from service.records.cells import cleaned, csv_text, formula_like
from service.records.labels import ballot_text, label, method_name, number
from service.zones import DEFAULT_ZONE, moment

Cell = str | int | float | None
Row = list[Cell]

BOM: Final = "\ufeff"
"""Written first in every CSV: without it Excel reads UTF-8 as the local code page."""


def ballot_rows(record: RoundRecord, lang: str) -> list[Row]:
    """One row per ballot in tracker order: round, tracker, line hash, the ballot as text,
    then per option its preference number (ranked, 1 = first), 1/0 (approval, budget) or
    score."""
    names = record.rules.candidates
    rows: list[Row] = [
        [
            text(lang, "record.csv.round"),
            text(lang, "record.csv.tracker"),
            text(lang, "record.csv.hash"),
            text(lang, "record.csv.ballot"),
            *names,
        ]
    ]
    for item in record.ballots:
        ballot = item.ballot
        marks: dict[str, int] = {}
        if isinstance(ballot, RankedBallot):
            marks = {name: g + 1 for g, group in enumerate(ballot.ranking) for name in group}
            cells: list[Cell] = [marks.get(name) for name in names]
        elif isinstance(ballot, ScoreBallot):
            cells = [ballot.scores.get(name, 0) for name in names]
        else:
            chosen = set(ballot.approved)
            cells = [1 if name in chosen else 0 for name in names]
        rows.append([record.number, item.tracker, item.hash, ballot_text(ballot, lang), *cells])
    return rows


def count_rows(record: RoundRecord, lang: str) -> list[Row]:
    """The count round by round: one row per option standing in each count, then the
    exhausted ballots and the quota where the method has them."""
    rows: list[Row] = [
        [
            text(lang, "record.csv.round"),
            text(lang, "record.csv.stage"),
            text(lang, "record.csv.note"),
            text(lang, "record.csv.option"),
            text(lang, "record.csv.votes"),
            text(lang, "record.csv.status"),
        ]
    ]
    result = record.result
    show_exhausted = any(r.exhausted for r in result.rounds)
    for r in result.rounds:
        note = label(lang, "note", r.note) if r.note else ""
        for name in (c for c in result.candidates if c in r.tallies):
            votes = r.tallies[name]
            status = ""
            if name in r.elected:
                status = text(lang, "funded" if result.decisions else "elected")
            elif name in r.eliminated:
                status = text(lang, "eliminated")
            rows.append([record.number, r.number, note, name, votes, status])
        if show_exhausted:
            rows.append([record.number, r.number, note, text(lang, "exhausted"), r.exhausted, ""])
        if r.quota is not None:
            rows.append([record.number, r.number, note, text(lang, "quota"), r.quota, ""])
    return rows


def decision_rows(record: RoundRecord, lang: str) -> list[Row]:
    """Budget rounds: every project with its support, cost and whether (and why) it was
    funded, in the order the method decided them."""
    rows: list[Row] = [
        [
            text(lang, "record.csv.round"),
            text(lang, "record.csv.option"),
            text(lang, "record.csv.support"),
            text(lang, "record.csv.cost"),
            text(lang, "record.csv.funded"),
            text(lang, "record.csv.reason"),
            text(lang, "record.csv.step"),
            text(lang, "record.csv.remaining"),
        ]
    ]
    for d in record.result.decisions:
        funded = text(lang, "record.csv.yes" if d.funded else "record.csv.no")
        reason = text(lang, f"reason.{d.reason}")
        row: Row = [record.number, d.candidate, d.support, d.cost, funded, reason, d.step]
        rows.append([*row, d.remaining_after])
    return rows


def comment_rows(record: RoundRecord, lang: str, zone: str = DEFAULT_ZONE) -> list[Row]:
    """The visible comments, oldest first (speakers' names are not exported), each with its
    time in ``zone``."""
    talk = record.deliberation
    rows: list[Row] = [
        [
            text(lang, "record.csv.round"),
            text(lang, "record.csv.comment"),
            text(lang, "record.csv.reply_to"),
            text(lang, "record.csv.option"),
            text(lang, "record.csv.prompt"),
            text(lang, "record.csv.stance"),
            text(lang, "record.csv.body"),
            text(lang, "record.csv.time"),
        ]
    ]
    for c in talk.comments:
        prompt = (
            talk.prompts[c.prompt] if c.prompt is not None and c.prompt < len(talk.prompts) else ""
        )
        option = c.option if c.option is not None else text(lang, "record.whole_round")
        stance = label(lang, "stance", c.stance)
        rows.append(
            [
                record.number,
                c.id,
                c.parent_id,
                option,
                prompt,
                stance,
                c.body,
                moment(c.at, zone, lang),
            ]
        )
    return rows


def _csv_cell(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return number(value)
    if isinstance(value, int):
        return str(value)
    return csv_text(value)


def to_csv(rows: Sequence[Row]) -> bytes:
    """CSV bytes: UTF-8 with a byte-order mark, CRLF line ends, fields quoted when needed,
    text that looks like a formula marked as text (:func:`service.records.cells.csv_text`)."""
    out = io.StringIO(newline="")
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows([[_csv_cell(v) for v in row] for row in rows])
    return out.getvalue().encode("utf-8")


def summary_rows(bundle: Bundle, lang: str) -> list[Row]:
    """Key facts of the bundle, one per row, for the workbook's first sheet."""
    process = bundle.process
    rows: list[Row] = [
        [text(lang, "record.title"), ""],
        [text(lang, "record.process.community"), process.community],
        [text(lang, "record.process.title"), process.title],
        [text(lang, "record.process.question"), process.question],
    ]
    sep = "、" if lang == "zh" else ", "
    for record in bundle.rounds:
        heading = text(lang, "record.round.heading", number=record.number, title=record.title)
        winners = sep.join(record.result.winners) or text(lang, "record.no_winner")
        rows += [
            ["", ""],
            [heading, ""],
            [text(lang, "record.rules.method"), method_name(record.counting.method, lang)],
            [
                text(lang, "record.rules.tie_policy"),
                label(lang, "tie_policy", record.counting.tie_policy),
            ],
            [text(lang, "record.codes_issued"), record.turnout.codes_issued],
            [text(lang, "record.ballots_cast"), record.turnout.ballots_cast],
            [text(lang, "record.funded" if record.result.decisions else "record.winners"), winners],
            [text(lang, "record.box_digest"), record.ballot_box_digest],
        ]
    rows += [["", ""], [text(lang, "record.package_digest"), bundle.digest]]
    return rows


def workbook(bundle: Bundle, lang: str, zone: str = DEFAULT_ZONE) -> bytes:
    """The bundle as an XLSX workbook: a summary sheet, then per round its ballots, count,
    budget decisions (budget rounds) and comments (times in ``zone``)."""
    book = Workbook()
    sheet: Worksheet = book.active
    sheet.title = text(lang, "record.sheet.summary")
    _fill(sheet, summary_rows(bundle, lang), header=False)
    sheet.column_dimensions["A"].width = 28
    sheet.column_dimensions["B"].width = 70
    several = len(bundle.rounds) > 1
    for record in bundle.rounds:
        prefix = f"{text(lang, 'record.scope.round', number=record.number)} " if several else ""
        parts = [
            ("record.sheet.ballots", ballot_rows(record, lang)),
            ("record.sheet.rounds", count_rows(record, lang)),
        ]
        if record.result.decisions:
            parts.append(("record.sheet.decisions", decision_rows(record, lang)))
        parts.append(("record.sheet.comments", comment_rows(record, lang, zone)))
        for key, rows in parts:
            _fill(book.create_sheet(prefix + text(lang, key)), rows, header=True)
    stamp = max((r.dates.counted_at for r in bundle.rounds if r.dates.counted_at), default=None)
    if stamp is not None:
        book.properties.created = stamp.replace(tzinfo=None)
        book.properties.modified = stamp.replace(tzinfo=None)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _fill(sheet: Worksheet, rows: Sequence[Row], *, header: bool) -> None:
    """Write ``rows`` into a worksheet; the header row bold, columns sized to their text;
    formula-like text stored as text, characters XLSX cannot hold replaced."""
    widths: dict[int, int] = {}
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            if isinstance(value, str):
                value = cleaned(value)
            cell = sheet.cell(row=r, column=c, value=value)
            if isinstance(value, str) and formula_like(value):
                cell.data_type = "s"  # shown as the text it is, never run
                cell.quotePrefix = True  # and still text when someone edits the cell
            if header and r == 1:
                cell.font = Font(bold=True)
            size = sum(2 if ord(ch) > 0x2E7F else 1 for ch in str(value or ""))
            widths[c] = min(max(widths.get(c, 6), size + 2), 60)
    if header:
        for c, width in widths.items():
            sheet.column_dimensions[get_column_letter(c)].width = width
        sheet.freeze_panes = "A2"
