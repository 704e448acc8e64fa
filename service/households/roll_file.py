"""The grid workers' roll file read: a CSV in UTF-8 (with or without the byte-order mark
Excel writes) or GB18030 (GBK, what Excel saves on a Chinese Windows), its header naming the
columns in Chinese or English — 楼栋 / building, 单元 / unit, 户号 (房号, 室) / flat,
户主 / head, 网格 / grid — in any order. Every line after the header comes back with the
number of the line it ends on in the file (the header is line 1); blank lines are skipped."""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass
from typing import Final

from service.errors import Invalid

COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    "building": ("楼栋", "楼号", "楼", "楼栋号", "building", "bldg"),
    "unit": ("单元", "单元号", "unit"),
    "flat": ("户号", "房号", "室", "房间号", "门牌号", "flat", "room", "apartment"),
    "head": ("户主", "户主姓名", "head", "head of household"),
    "grid": ("网格", "所属网格", "grid"),
}
"""The header names each column is known by (compared with full-width, case and spaces
set aside)."""
REQUIRED: Final = ("building", "flat")
MOST_LINES: Final[int] = 20000
"""Lines one file may hold (a large community has a few thousand households)."""


@dataclass(frozen=True, slots=True)
class RollLine:
    """A line of the file as typed, by its line number in the file (the header is 1)."""

    number: int
    building: str
    unit: str
    flat: str
    head: str
    grid: str


def decoded(data: bytes) -> str:
    """The file's text: UTF-8 (a byte-order mark dropped), else GB18030; 422
    ``roll-file-unreadable`` when it is neither."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise Invalid("roll-file-unreadable", field="file") from None


def _header_name(cell: str) -> str:
    return "".join(unicodedata.normalize("NFKC", cell).casefold().split())


def _columns(header: list[str]) -> dict[str, int]:
    names = {_header_name(n): kind for kind, known in COLUMNS.items() for n in known}
    found: dict[str, int] = {}
    for at, cell in enumerate(header):
        kind = names.get(_header_name(cell))
        if kind is not None and kind not in found:
            found[kind] = at
    missing = [kind for kind in REQUIRED if kind not in found]
    if missing:
        raise Invalid("roll-file-columns", field="file", found="、".join(header) or "—")
    return found


def roll_lines(data: bytes) -> list[RollLine]:
    """The file's households as typed, by line number; 422 when it cannot be read, has no
    header naming a building and a flat column, or holds too many lines."""
    if not data.strip():
        raise Invalid("roll-file-empty", field="file")
    reader = csv.reader(io.StringIO(decoded(data), newline=""))
    rows: list[tuple[int, list[str]]] = []
    try:
        for row in reader:
            rows.append((reader.line_num, row))
            if len(rows) > MOST_LINES + 1:
                raise Invalid("roll-file-too-long", field="file", most=MOST_LINES)
    except csv.Error:
        # a field over csv.field_size_limit() (131,072 characters), a NUL byte …
        raise Invalid("roll-file-unreadable", field="file") from None
    if not rows:
        raise Invalid("roll-file-empty", field="file")
    columns = _columns(rows[0][1])

    def cell(row: list[str], kind: str) -> str:
        at = columns.get(kind)
        return row[at] if at is not None and at < len(row) else ""

    return [
        RollLine(
            number,
            cell(row, "building"),
            cell(row, "unit"),
            cell(row, "flat"),
            cell(row, "head"),
            cell(row, "grid"),
        )
        for number, row in rows[1:]
        if any(c.strip() for c in row)
    ]
