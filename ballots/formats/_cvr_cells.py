"""The rank cells of an election-office cast-vote record (:mod:`ballots.formats.cvr`) read
into a table of label codes, before any marker rule is applied.

CSV and Parquet are read by column with pyarrow (:mod:`ballots.formats._cvr_arrow`): each
column dictionary-encoded, its few distinct cells mapped to label codes once, so a million
ballots are one small-integer table and never a million Python rows. A CSV that pyarrow reads
differently from Python's ``csv`` module (a row of the wrong width, a bad count, bytes that
are not UTF-8) is read row by row instead, so it gives the same ballots or the same message
naming the line; so is a CSV under :data:`COLUMNAR_BYTES`. xlsx is read with calamine
(:mod:`ballots.formats._sheet`): identical rows of rank and count cells are counted first,
and labels and counts worked out once per distinct row; a bad count sends it row by row too,
for the line.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from ballots.errors import FormatError
from ballots.formats._common import (
    Progress,
    Ticker,
    check_count,
    check_file,
    decode,
    fail,
    read_bytes,
)
from ballots.formats._cvr_arrow import (
    blank_rows,
    chunks,
    csv_table,
    distinct,
    head,
    parquet_table,
    table_rows,
)
from ballots.formats._sheet import as_read, distinct_rows, sheet_rows

if TYPE_CHECKING:
    import pyarrow as pa


PARQUET_MAGIC = b"PAR1"
"""The first (and last) bytes of a Parquet file."""

OVERVOTE_SEP = "\x1e"
"""Joins the candidates of an overvote whose candidates the record names (two or more marks
at one rank, as NIST CDF, Dominion and Hart records and delimited cells give them) into one
label: ``"A\x1eB"``. The record's rules decide what such a rank does (skip it, end the
ballot, or count it as a tie that ends the ballot only while two of them still continue)."""

_RANK_HEADER = re.compile(r"rank|choice", re.IGNORECASE)


@dataclass(frozen=True)
class Layout:
    """Where the rank and count columns are, when the headers do not say (1-based)."""

    first_rank: int | None = None
    """The first rank's column; the ranks are it and the ``ranks - 1`` columns after it."""
    ranks: int | None = None
    """How many rank columns (``None``: to the last column)."""
    count: int | None = None
    """The count column (``None``: the one headed ``Count``, if any)."""


HEADERS = Layout()
"""Rank columns known by their headers (``rank1``, ``1st Choice``), the count by ``Count``."""


def read_marks(path: Path, progress: Progress | None, layout: Layout = HEADERS) -> Marks:
    """The rank cells of a CSV, Parquet or xlsx cast-vote record, before any rule."""
    size = check_file(path)
    suffix = path.suffix.lower()
    marks: Marks | None = None
    if suffix == ".xlsx":
        marks = _marks_of_sheet(path, progress, layout)
    elif suffix == ".parquet" or head(path).startswith(PARQUET_MAGIC):
        table = parquet_table(path)
        marks = _marks_of_table(path, table.columns, list(table.column_names), 0, layout)
        if marks is None:  # a bad count: the rows say which one
            marks = _marks_of_rows(path, table_rows(table), layout)
        del table  # the codes hold all that is needed now
    else:
        if progress is not None:
            progress(0, size)
        read = csv_table(path, progress) if size >= COLUMNAR_BYTES else None
        if read is not None:
            header = [str(column[0].as_py()) for column in read.columns]
            marks = _marks_of_table(path, read.columns, header, 1, layout)
            del read
        if marks is None:
            marks = _marks_of_rows(path, _csv_rows(path, progress), layout)
        elif progress is not None:
            progress(size, size)
    return marks


def _csv_rows(path: Path, progress: Progress | None) -> Iterator[Sequence[Any]]:
    data = read_bytes(path, progress)
    text = decode(path, data)
    ticker = Ticker(progress, len(data))
    done = 0
    for row in csv.reader(io.StringIO(text, newline="")):
        done += sum(len(cell) for cell in row) + len(row)
        ticker(done)
        yield row
    ticker.finish()


def _columns(path: Path, header: Sequence[Any], layout: Layout) -> tuple[list[int], int | None]:
    """Indices of the rank columns and of the count column (if any)."""
    labels = ["" if cell is None else str(cell).strip() for cell in header]
    counts = [i for i, label in enumerate(labels) if label.lower() == "count"]
    count = counts[0] if counts else None
    if layout.count is not None:
        if layout.count > len(labels):
            raise fail(path, 1, f"count column {layout.count} is past the last column")
        count = layout.count - 1
    if layout.first_rank is not None:
        start = layout.first_rank - 1
        end = len(labels) if layout.ranks is None else start + layout.ranks
        ranks = [i for i in range(start, min(end, len(labels))) if i != count]
        if not ranks:
            raise fail(path, 1, f"first rank column {layout.first_rank} is past the last column")
    else:
        ranks = [i for i, label in enumerate(labels) if _RANK_HEADER.search(label)]
        if not ranks:
            raise fail(path, 1, "no rank columns (headers like 'rank1' or '1st Choice')")
        if layout.ranks is not None:
            ranks = ranks[: layout.ranks]
    return [i for i in ranks if i != count], count


@dataclass(frozen=True)
class Marks:
    """A CVR's rank cells as a table of label codes, before any rule is applied."""

    codes: NDArray[np.integer[Any]]
    """``codes[b, r]``: the label in ballot row ``b`` at rank ``r`` (blank rows left out)."""
    labels: list[str]
    """The labels (cells with surrounding white space removed), by code."""
    counts: NDArray[np.int64] | None
    """The ``Count`` column, or ``None``: one ballot per row."""


COLUMNAR_BYTES = 1 << 20
"""A CSV this large or larger is read by column; a smaller one row by row, which is quicker
than loading pyarrow (the command line's start-up on a small file stays short)."""


def _marks_of_table(
    path: Path, columns: Sequence[pa.ChunkedArray], header: list[str], skip: int, layout: Layout
) -> Marks | None:
    """The marks of a columnar CVR, computed column by column on whole arrays; ``None`` when
    some row's count is not a whole number of ballots (the row-by-row reading names it).

    ``skip`` leading rows (the header) are not ballots.
    """
    rank_cols, count_col = _columns(path, header, layout)
    ranks = [chunks(columns[i], skip, text=True) for i in rank_cols]
    found: dict[str, int] = {}
    luts = [
        [[found.setdefault(_label(v), len(found)) for v in values] for values, _ in chunks]
        for chunks in ranks
    ]
    kind = code_type(len(found))
    codes = np.empty((sum(len(rows) for _, rows in ranks[0]), len(ranks)), kind, order="F")
    for r, (column_luts, parts) in enumerate(zip(luts, ranks, strict=True)):
        at = 0
        for lut, (_, rows) in zip(column_luts, parts, strict=True):
            np.take(np.array(lut, dtype=kind), rows, out=codes[at : at + len(rows), r], mode="clip")
            at += len(rows)
    blank = blank_rows(columns, skip, codes, found.get(""))
    counts: NDArray[np.int64] | None = None
    if count_col is not None:
        values, rows = distinct(columns[count_col], skip, text=False)
        counts = np.array([_count_or_none(v) for v in values], dtype=np.int64)[rows]
        if np.any(np.delete(counts, blank) < 0):
            return None
    if len(blank):
        codes = np.delete(codes, blank, axis=0)
        counts = None if counts is None else np.delete(counts, blank)
    if not len(codes):
        raise fail(path, None, "no ballot rows after the header")
    return Marks(codes, list(found), counts)


def _label(value: object) -> str:
    """A cell as its label: the text with surrounding white space removed (missing: blank)."""
    return "" if value is None else str(value).strip()


def code_type(labels: int) -> type[np.integer[Any]]:
    """The smallest integer type holding ``labels`` codes."""
    return np.uint8 if labels <= 1 << 8 else np.uint16 if labels <= 1 << 16 else np.uint32


def _count_or_none(value: object) -> int:
    """A ``Count`` cell as a number of ballots, or -1 when :func:`_count` would refuse it."""
    try:
        return _count(Path(), 0, value)
    except FormatError:
        return -1


def _marks_of_sheet(path: Path, progress: Progress | None, layout: Layout) -> Marks:
    """The marks of an xlsx CVR, from its distinct rows of rank (and count) cells: the
    labels and counts are worked out once per distinct row, and per distinct cell."""
    shape: list[int] = []

    def columns(header: Sequence[Any]) -> list[int]:
        rank_cols, count_col = _columns(path, header, layout)
        shape.append(len(rank_cols))
        return rank_cols + ([] if count_col is None else [count_col])

    found, empty = distinct_rows(path, columns, progress)
    blank = ("",) * len(next(iter(found), ()))
    if empty:  # rows empty in every column are not ballots
        found[blank] -= empty
        if found[blank] <= 0:
            del found[blank]
    if not found:
        raise fail(path, None, "no ballot rows after the header")
    width = shape[0]
    rows = list(found)
    cells = {cell for row in rows for cell in row[:width]}
    labels: dict[str, int] = {}
    code = {cell: labels.setdefault(_label(as_read(cell)), len(labels)) for cell in cells}
    kind = code_type(len(labels))
    flat = chain.from_iterable(row[:width] for row in rows)
    codes = np.fromiter(map(code.__getitem__, flat), dtype=kind, count=len(rows) * width)
    weights = np.fromiter(found.values(), dtype=np.int64, count=len(rows))
    if len(rows[0]) > width:  # a Count column
        ballots = {cell: _count_or_none(cell) for cell in {row[width] for row in rows}}
        if min(ballots.values()) < 0:  # the rows one by one say which line
            return _marks_of_rows(path, sheet_rows(path), layout)
        weights *= np.fromiter((ballots[row[width]] for row in rows), np.int64, len(rows))
    return Marks(codes.reshape(len(rows), width), list(labels), weights)


def _marks_of_rows(path: Path, rows: Iterator[Sequence[Any]], layout: Layout) -> Marks:
    """The marks of a CVR read row by row (a CSV pyarrow reads differently, or an xlsx whose
    counts need their line named)."""
    header = next(rows, None)
    if header is None:
        raise FormatError(f"{path}: the file is empty")
    rank_cols, count_col = _columns(path, header, layout)
    cells: list[str] = []
    weights: list[int] = []
    width = len(rank_cols)
    need = max(rank_cols + ([] if count_col is None else [count_col])) + 1
    for number, row in enumerate(rows, start=2):
        if not any(cell not in (None, "") for cell in row):
            continue
        if len(row) < need:
            raise fail(path, number, f"the row has {len(row)} of the {need} columns it needs")
        cells.extend(_label(row[i]) for i in rank_cols)
        if count_col is not None:
            weights.append(_count(path, number, row[count_col]))
    if not cells:
        raise fail(path, None, "no ballot rows after the header")
    labels, codes = np.unique(np.asarray(cells, dtype=object), return_inverse=True)
    return Marks(
        codes.reshape(-1, width),
        [str(label) for label in labels],
        np.asarray(weights, dtype=np.int64) if count_col is not None else None,
    )


def _count(path: Path, line: int, value: object) -> int:
    """A row's ``Count`` cell: a whole number of ballots (xlsx may store it as ``1.0``)."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return check_count(path, line, value)
    if isinstance(value, float) and value.is_integer() and value >= 0:
        return check_count(path, line, int(value))
    if isinstance(value, str) and value.strip().isdigit():
        return check_count(path, line, int(value.strip()))
    raise fail(path, line, f"count {value!r} is not a whole number")
