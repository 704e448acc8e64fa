"""The record as tables: ballots, the count step by step (or head to head), budget decisions
and comments, as CSV (UTF-8 with a byte-order mark and CRLF line ends, so Excel and WPS open
the Chinese intact) and as one XLSX workbook, which adds the head-to-head grid and every
sentence explaining the count. Rows are built once and written either way."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Final

from msgspec import UNSET
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ballots.box import PREFIX
from ballots.bundle import Bundle, RoundRecord, SealedBallots
from ballots.formats.ballots_csv import preamble
from ballots.kinds import Ballot, RankedBallot, ScoreBallot
from ballots.recount import published_count, seed_for
from engine.process import ProcessPhase
from service.i18n import text
from service.records.cells import cleaned, csv_text, formula_like
from service.records.channel_lines import turnout_lines, validity_lines
from service.records.labels import (
    ballot_text,
    counting_options,
    label,
    method_name,
    option_name,
    option_value,
    plain_number,
    yuan,
)
from service.results.explain import HeadToHead, explain, outcome_words, status_label
from service.rounds.titles import round_title
from service.zones import DEFAULT_ZONE, moment

Cell = str | int | float | None
Row = list[Cell]

BOM: Final = "\ufeff"
"""Written first in every CSV: without it Excel reads UTF-8 as the local code page."""


def ballot_rows(record: RoundRecord, lang: str) -> list[Row]:
    """The published ballots, then per option its preference number (ranked, 1 = first),
    1/0 (approval, budget) or score. Sealed receipts: one row per distinct ballot with how
    many ballots say it, in content order, no tracker. Open receipts: one row per ballot in
    tracker order with its tracker and line hash."""
    sealed = isinstance(record.ballots, SealedBallots)
    listed: list[tuple[list[Cell], Ballot]]
    if isinstance(record.ballots, SealedBallots):
        listed = [([item.count], item.ballot) for item in record.ballots.contents]
    else:
        listed = [([item.tracker, item.hash], item.ballot) for item in record.ballots]
    rows = [ballot_header(record, lang, sealed=sealed)]
    rows += [ballot_row(record, lead, ballot, lang) for lead, ballot in listed]
    return rows


def ballot_header(record: RoundRecord, lang: str, *, sealed: bool) -> Row:
    """The header row of :func:`ballot_rows` (``sealed``: a count column, no tracker)."""
    first = ["record.csv.count"] if sealed else ["record.csv.tracker", "record.csv.hash"]
    return [
        text(lang, "record.csv.round"),
        *(text(lang, key) for key in first),
        text(lang, "record.csv.ballot"),
        *record.rules.candidates,
    ]


def ballot_row(record: RoundRecord, lead: list[Cell], ballot: Ballot, lang: str) -> Row:
    """One row of :func:`ballot_rows`: the round, ``lead`` (the count, or the tracker and
    line hash), the ballot in words, and its mark for each option."""
    names = record.rules.candidates
    if isinstance(ballot, RankedBallot):
        marks = {name: g + 1 for g, group in enumerate(ballot.ranking) for name in group}
        cells: list[Cell] = [marks.get(name) for name in names]
    elif isinstance(ballot, ScoreBallot):
        cells = [ballot.scores.get(name, 0) for name in names]
    else:
        chosen = set(ballot.approved)
        cells = [1 if name in chosen else 0 for name in names]
    return [record.number, *lead, ballot_text(ballot, lang), *cells]


def ballot_file_head(record: RoundRecord, lang: str, *, sealed: bool) -> list[Row]:
    """The ``#redbench_…`` rows of the ballots CSV and its header row: what comes before
    the ballots (:func:`ballot_file_rows`)."""
    rows: list[Row] = [
        [key, value, text(lang, f"record.csv.file.{key.removeprefix('#redbench_')}")]
        for key, value in preamble(record.rules, published_count(record), sealed=sealed)
    ]
    return [*rows, ballot_header(record, lang, sealed=sealed)]


def ballot_file_rows(record: RoundRecord, lang: str) -> list[Row]:
    """The ballots CSV: ``#redbench_…`` rows saying what the file is and how the round was
    counted (kind, options, method, seats, tie policy, lot seed; each with a label in
    ``lang``), then :func:`ballot_rows`. ``redbench tally`` reads it back and, with the lot
    seed it carries, gives the published result."""
    sealed = isinstance(record.ballots, SealedBallots)
    return ballot_file_head(record, lang, sealed=sealed)[:-1] + ballot_rows(record, lang)


def counted_under(record: RoundRecord, lang: str) -> list[Row]:
    """The ``#redbench_…`` rows that open the count's CSV files (the count step by step, the
    budget decisions): how the round was counted — method, seats, budget, every option, tie
    policy and lot seed — as the ballot files state it, each with a label in ``lang``, so that the
    published count says which rules gave it."""
    fields = published_count(record).fields()
    if record.rules.budget is not None:
        fields.insert(2, ("budget", plain_number(record.rules.budget)))
    return [
        [f"#{PREFIX}{key}", value, text(lang, f"record.csv.file.{key}")] for key, value in fields
    ]


def count_rows(record: RoundRecord, lang: str) -> list[Row]:
    """The count as :mod:`service.results.explain` tells it. Counts in steps: one row per
    option standing at each step (its votes, what it received at that step, and its status
    then: elected, eliminated, continuing …), then the ballots with no further choice and
    the quota where the method has them. Pairwise methods: one row per ordered pair of
    options, with the ballots ranking each above the other and who won."""
    result = record.result
    told = explain(result, lang)
    if told.head_to_head is not None:
        return _pairwise_rows(record, told.head_to_head, lang)
    rows: list[Row] = [
        [
            text(lang, "record.csv.round"),
            text(lang, "record.csv.stage"),
            text(lang, "record.csv.option"),
            text(lang, "record.csv.votes"),
            text(lang, "record.csv.received"),
            text(lang, "record.csv.note"),
        ]
    ]
    budget = bool(result.decisions)
    for step in told.steps:
        for standing in step.standings:
            received: Cell = None if budget else standing.received
            status = status_label(lang, standing.status)
            rows.append(
                [record.number, step.number, standing.name, standing.votes, received, status]
            )
        if step.exhausted is not None:
            held = step.exhausted
            note = text(lang, "explain.exhausted_note")
            rows.append([record.number, step.number, held.name, held.votes, held.received, note])
        if step.quota is not None:
            rows.append([record.number, step.number, text(lang, "quota"), step.quota, None, ""])
    return rows


def _pairwise_rows(record: RoundRecord, table: HeadToHead, lang: str) -> list[Row]:
    rows: list[Row] = [
        [
            text(lang, "record.csv.round"),
            text(lang, "record.csv.option"),
            text(lang, "record.csv.opponent"),
            text(lang, "record.csv.ahead"),
            text(lang, "record.csv.behind"),
            text(lang, "record.csv.note"),
        ]
    ]
    for i, name in enumerate(table.names):
        for j, other in enumerate(table.names):
            if i != j:
                outcome = text(lang, f"explain.outcome.{table.outcome(i, j)}")
                mine, theirs = table.votes[i][j], table.votes[j][i]
                rows.append([record.number, name, other, mine, theirs, outcome])
    return rows


def head_to_head_rows(table: HeadToHead, lang: str) -> list[Row]:
    """The head-to-head table as a grid: a header of options (and the method's score where
    it has one), then one row per option with the ballots ranking it above each other."""
    extra = [table.score[0]] if table.score else []
    rows: list[Row] = [[text(lang, "explain.pw.corner"), *table.names, *extra]]
    for i, name in enumerate(table.names):
        cells: list[Cell] = [None if i == j else v for j, v in enumerate(table.votes[i])]
        score = [table.score[1][i]] if table.score else []
        mark = " ✓" if name in table.winners else ""
        rows.append([name + mark, *cells, *score])
    return rows


def explanation_rows(record: RoundRecord, lang: str) -> list[Row]:
    """Every sentence explaining the count, one per row: the steps, why the winner won,
    the ties and how to draw a lot again."""
    told = explain(record.result, lang)
    rows: list[Row] = [[text(lang, "record.csv.part"), text(lang, "record.csv.note")]]
    rows += [[step.title, step.story] for step in told.steps if step.story]
    if told.head_to_head is not None:
        rows.append([text(lang, "explain.heading.pairwise"), text(lang, "explain.pw.read")])
    rows += [[text(lang, "explain.heading.why"), line] for line in told.reasons]
    rows += [[text(lang, "ties"), line] for line in told.ties or [text(lang, "no_ties")]]
    rows += [[text(lang, "explain.heading.lot"), line] for line in told.lot]
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
        return plain_number(value)
    if isinstance(value, int):
        return str(value)
    return csv_text(value)


def to_csv(rows: Sequence[Row], *, bom: bool = True) -> bytes:
    """CSV bytes: UTF-8 with a byte-order mark, CRLF line ends, fields quoted when needed,
    text that looks like a formula marked as text (:func:`service.records.cells.csv_text`).
    Without ``bom``: rows that follow others in the same file."""
    out = io.StringIO(newline="")
    if bom:
        out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows([[_csv_cell(v) for v in row] for row in rows])
    return out.getvalue().encode("utf-8")


def summary_rows(bundle: Bundle, lang: str, zone: str = DEFAULT_ZONE) -> list[Row]:
    """Key facts of the bundle, one per row, for the workbook's first sheet."""
    process = bundle.process
    loop = bundle.loop
    rows: list[Row] = [
        [text(lang, "record.title" if loop is UNSET else "record.title.process"), ""],
        [text(lang, "record.process.community"), process.community],
        [text(lang, "record.process.title"), process.title],
        [text(lang, "record.process.question"), process.question],
    ]
    if loop is not UNSET:
        rows.append([text(lang, "record.process.phase"), label(lang, "phase", loop.phase)])
        if loop.phase == ProcessPhase.CLOSED:
            rows.append([text(lang, "record.process.closed"), moment(loop.closed_at, zone, lang)])
    for record in bundle.rounds:
        heading = round_title(record.number, record.title, lang)
        winners = outcome_words(record.result, lang, nobody=text(lang, "record.no_winner"))
        rows += [
            ["", ""],
            [heading, ""],
            *rules_rows(record, lang),
            [text(lang, "record.codes_issued"), record.turnout.codes_issued],
            [text(lang, "record.ballots_cast"), record.turnout.ballots_cast],
            # --- issue 16: ballots by channel, reconciliation, assistance, validity ---
            *[
                list[str | int | float | None]([k, v])
                for k, v in turnout_lines(record, lang) + validity_lines(record, lang)
            ],
            *_proxy_rows(record, lang),
            [text(lang, "record.funded" if record.result.decisions else "record.winners"), winners],
            [text(lang, "record.box_digest"), record.ballot_box_digest],
            [
                text(lang, "record.receipts"),
                text(
                    lang,
                    "record.receipts.open" if record.open_receipts else "record.receipts.sealed",
                ),
            ],
        ]
        if isinstance(record.ballots, SealedBallots):
            rows += [
                [text(lang, "record.trackers_digest"), record.ballots.trackers_digest],
                [text(lang, "record.contents_digest"), record.ballots.contents_digest],
            ]
    rows += [["", ""], [text(lang, "record.package_digest"), bundle.digest]]
    return rows


def rules_rows(record: RoundRecord, lang: str) -> list[Row]:
    """How the round was counted, one rule a row as the record's 计票规则 lists them: the
    method, seats, budget, every option of the method (defaults too: a recount needs them
    all), the tie rule and the lot seed."""
    counting = record.counting
    rows: list[Row] = [
        [text(lang, "record.rules.method"), method_name(counting.method, lang)],
        [text(lang, "record.rules.seats"), counting.seats],
    ]
    if record.rules.budget is not None:
        rows.append([text(lang, "record.rules.budget"), yuan(record.rules.budget)])
    for name, value in counting_options(counting.method, counting.method_options).items():
        rows.append([option_name(name, lang), option_value(name, value, lang)])
    rows.append(
        [text(lang, "record.rules.tie_policy"), label(lang, "tie_policy", counting.tie_policy)]
    )
    seed = seed_for(counting, record.ballot_box_digest)
    if seed is not None:
        rows.append([text(lang, "record.rules.seed"), seed])
    return rows


Sheets = Sequence[tuple[str, Sequence[Row]]]
"""Sheets to add after the rounds': (label key of the sheet's name, rows with a header)."""


def workbook(bundle: Bundle, lang: str, zone: str = DEFAULT_ZONE, more: Sheets = ()) -> bytes:
    """The bundle as an XLSX workbook: a summary sheet, then per round its ballots, count,
    head-to-head grid (pairwise methods, the winners' rows marked), the explanation in
    sentences, budget decisions (budget rounds) and comments (times in ``zone``), then the
    ``more`` sheets (a process's loop: :func:`service.records.loop_tables.loop_sheets`)."""
    book = Workbook()
    sheet: Worksheet = book.active
    sheet.title = text(lang, "record.sheet.summary")
    _fill(sheet, summary_rows(bundle, lang, zone), header=False)
    sheet.column_dimensions["A"].width = 28
    sheet.column_dimensions["B"].width = 70
    several = len(bundle.rounds) > 1
    for record in bundle.rounds:
        prefix = f"{text(lang, 'record.scope.round', number=record.number)} " if several else ""
        table = explain(record.result, lang).head_to_head
        parts = [
            ("record.sheet.ballots", ballot_rows(record, lang)),
            ("record.sheet.rounds", count_rows(record, lang)),
        ]
        if table is not None:
            parts.append(("record.sheet.pairwise", head_to_head_rows(table, lang)))
        parts.append(("record.sheet.explanation", explanation_rows(record, lang)))
        if record.result.decisions:
            parts.append(("record.sheet.decisions", decision_rows(record, lang)))
        parts.append(("record.sheet.comments", comment_rows(record, lang, zone)))
        for key, rows in parts:
            sheet = book.create_sheet(prefix + text(lang, key))
            _fill(sheet, rows, header=True)
            if key == "record.sheet.pairwise" and table is not None:
                _mark_winners(sheet, table)
    for key, extra in more:
        _fill(book.create_sheet(text(lang, key)), extra, header=True)
    stamp = max((r.dates.counted_at for r in bundle.rounds if r.dates.counted_at), default=None)
    if stamp is not None:
        book.properties.created = stamp.replace(tzinfo=None)
        book.properties.modified = stamp.replace(tzinfo=None)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


WINNER_FILL: Final = PatternFill("solid", fgColor="E3F1E6")


def _mark_winners(sheet: Worksheet, table: HeadToHead) -> None:
    """The winners' rows of the head-to-head sheet in bold on green."""
    for i, name in enumerate(table.names, start=2):
        if name in table.winners:
            for cell in sheet[i]:
                cell.fill = WINNER_FILL
                cell.font = Font(bold=True)


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


def _proxy_rows(record: RoundRecord, lang: str) -> list[list[str | int | float | None]]:
    """A household round's proxies line (委托代投 N 户（授权 M 份）); none for other rounds."""
    t = record.turnout
    if t.proxies is UNSET or t.proxy_votes is UNSET:
        return []
    said = text(lang, "record.turnout.proxies", votes=t.proxy_votes, proxies=t.proxies)
    return [[text(lang, "record.turnout.proxies_label"), said]]
