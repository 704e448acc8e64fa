"""The figures as an XLSX workbook: four sheets, 总览 (the year's totals, one figure a row),
按月 (twelve months), 按网格 (every grid) and 按社区 (every community), headers in the
reader's language (Chinese unless asked otherwise). Text cells go through
:mod:`service.records.cells`, so a name that looks like a formula stays text."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Final

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from service.figures.schemas import Figures
from service.i18n import text
from service.records.cells import cleaned, formula_like
from service.zones import zone_label

Cell = str | int | float | None
Row = list[Cell]

MEDIA_TYPE: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def summary_rows(figures: Figures, lang: str) -> list[Row]:
    """总览: what the figures are of, then each total with its label."""

    def t(key: str) -> str:
        return text(lang, f"figures.{key}")

    days = figures.days_to_close
    return [
        [t("sheet.figure"), t("sheet.value")],
        [t(f"scope.{figures.scope}"), figures.name],
        [t("year"), figures.year],
        [t("zone"), zone_label(figures.zone, lang)],
        [t("meetings.deliberation"), figures.meetings.deliberation],
        [t("meetings.briefing"), figures.meetings.briefing],
        [t("meetings.visit"), figures.meetings.visit],
        [t("people_reached"), figures.people_reached],
        [t("requests.collected"), figures.requests.collected],
        [t("requests.on_spot"), figures.requests.on_spot],
        [t("requests.meeting"), figures.requests.meeting],
        [t("requests.escalated"), figures.requests.escalated],
        [t("requests.closed"), figures.requests.closed],
        [t("days.median"), days.median],
        [t("days.p90"), days.p90],
        [t("days.count"), days.count],
        [t("satisfaction.satisfied"), figures.satisfaction.satisfied],
        [t("satisfaction.fairly_satisfied"), figures.satisfaction.fairly_satisfied],
        [t("satisfaction.dissatisfied"), figures.satisfaction.dissatisfied],
    ]


def month_rows(figures: Figures, lang: str) -> list[Row]:
    head = ["month", "meetings", "people_reached", "collected", "closed"]
    rows: list[Row] = [[text(lang, f"figures.column.{c}") for c in head]]
    rows += [
        [m.month, m.meetings, m.people_reached, m.collected, m.closed] for m in figures.by_month
    ]
    return rows


def grid_rows(figures: Figures, lang: str) -> list[Row]:
    head = ["community", "grid", "collected", "closed", "escalated", "meetings"]
    rows: list[Row] = [[text(lang, f"figures.column.{c}") for c in head]]
    rows += [
        [g.community, g.grid, g.collected, g.closed, g.escalated, g.meetings]
        for g in figures.by_grid
    ]
    return rows


def community_rows(figures: Figures, lang: str) -> list[Row]:
    head = ["community", "meetings", "people_reached", "collected", "closed", "escalated"]
    rows: list[Row] = [[text(lang, f"figures.column.{c}") for c in head]]
    rows += [
        [c.community, c.meetings, c.people_reached, c.collected, c.closed, c.escalated]
        for c in figures.by_community
    ]
    return rows


SHEETS: Final = (
    ("summary", summary_rows),
    ("by_month", month_rows),
    ("by_grid", grid_rows),
    ("by_community", community_rows),
)
"""The sheets in order: the label key of each name (``figures.sheet.<key>``), its rows."""


def figures_workbook(figures: Figures, lang: str = "zh") -> bytes:
    """The workbook's bytes."""
    book = Workbook()
    first: Worksheet = book.active
    book.remove(first)
    for key, rows in SHEETS:
        _fill(book.create_sheet(text(lang, f"figures.sheet.{key}")), rows(figures, lang))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _fill(sheet: Worksheet, rows: Sequence[Row]) -> None:
    """The rows into the sheet, the header bold and frozen, columns as wide as their text."""
    widths: dict[int, int] = {}
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            if isinstance(value, str):
                value = cleaned(value)
            cell = sheet.cell(row=r, column=c, value=value)
            if isinstance(value, str) and formula_like(value):
                cell.data_type = "s"
                cell.quotePrefix = True
            if r == 1:
                cell.font = Font(bold=True)
            shown = "" if value is None else str(value)
            size = sum(2 if ord(ch) > 0x2E7F else 1 for ch in shown)
            widths[c] = min(max(widths.get(c, 6), size + 2), 50)
    for c, width in widths.items():
        sheet.column_dimensions[get_column_letter(c)].width = width
    sheet.freeze_panes = "A2"
