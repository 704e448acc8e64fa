"""The rank cells of an election-office cast-vote record (:mod:`ballots.formats.cvr`) read
into a table of label codes, before any marker rule is applied.

CSV and Parquet are read by column with pyarrow: each column dictionary-encoded, its few
distinct cells mapped to label codes once, so a million ballots are one small-integer table
and never a million Python rows. A CSV that pyarrow reads differently from Python's ``csv``
module (a row of the wrong width, a bad count, bytes that are not UTF-8) is read row by row
instead, so it gives the same ballots or the same message naming the line; so is a CSV under
:data:`COLUMNAR_BYTES`. xlsx is read with calamine (:mod:`ballots.formats._sheet`): identical
rows of rank and count cells are counted first, and labels and counts worked out once per
distinct row; a bad count sends it row by row too, for the line.
"""

from __future__ import annotations

import csv
import io
import mmap
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
    REPORT_EVERY,
    Progress,
    Ticker,
    check_count,
    check_file,
    decode,
    fail,
    read_bytes,
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
    elif suffix == ".parquet" or _head(path).startswith(PARQUET_MAGIC):
        table = _parquet_table(path)
        marks = _marks_of_table(path, table.columns, list(table.column_names), 0, layout)
        if marks is None:  # a bad count: the rows say which one
            marks = _marks_of_rows(path, _table_rows(table), layout)
        del table  # the codes hold all that is needed now
    else:
        if progress is not None:
            progress(0, size)
        read = _csv_table(path, progress) if size >= COLUMNAR_BYTES else None
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


def _head(path: Path) -> bytes:
    """The first bytes of a file."""
    try:
        with path.open("rb") as handle:
            return handle.read(4)
    except OSError as exc:
        raise FormatError(f"{path}: cannot be read ({exc.strerror})") from exc


COLUMNAR_BYTES = 1 << 20
"""A CSV this large or larger is read by column; a smaller one row by row, which is quicker
than loading pyarrow (the command line's start-up on a small file stays short)."""

_BLOCK = 4 * REPORT_EVERY
"""Bytes pyarrow parses at a time (one progress report each when reading block by block)."""

_TEXT_COLUMNS = 1024
"""Columns read as dictionary-encoded text by name (pyarrow names them ``f0``, ``f1`` ...);
any further column is cast to text after pyarrow infers its type."""


def _csv_table(path: Path, progress: Progress | None) -> pa.Table | None:
    """The whole CSV as dictionary-encoded text columns, the header as their first row; or
    ``None`` when pyarrow cannot read it as Python's ``csv`` module would (a row of another
    width, bytes that are not UTF-8, a blank first line, which ``csv`` takes as the header).

    Without ``progress`` all cores parse the file at once; with it, blocks are read one
    after another and each reports how far the reading has come.
    """
    import pyarrow as pa  # imported here: only CSV and Parquet reads need it
    import pyarrow.csv as pa_csv

    if _head(path).removeprefix(b"\xef\xbb\xbf")[:1] in (b"\n", b"\r"):
        return None
    text = pa.dictionary(pa.int32(), pa.string())
    options: dict[str, Any] = {
        "read_options": pa_csv.ReadOptions(autogenerate_column_names=True, block_size=_BLOCK),
        "parse_options": pa_csv.ParseOptions(newlines_in_values=_quoted(path)),
        "convert_options": pa_csv.ConvertOptions(
            column_types={f"f{i}": text for i in range(_TEXT_COLUMNS)}
        ),
    }
    try:
        if progress is None:
            return pa_csv.read_csv(path, **options)
        ticker = Ticker(progress, check_file(path))
        reader = pa_csv.open_csv(path, **options)
        batches = []
        for batch in reader:  # one batch per block of the file
            batches.append(batch)
            ticker(len(batches) * _BLOCK)
        return pa.Table.from_batches(batches, reader.schema)
    except (pa.ArrowException, OSError):
        return None


def _quoted(path: Path) -> bool:
    """Whether the file holds a double quote: only then can a cell hold a line break, which
    pyarrow must then look for (at some cost) when it splits the file into blocks."""
    with path.open("rb") as handle:
        if path.stat().st_size == 0:
            return False
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            return data.find(b'"') >= 0


def _parquet_table(path: Path) -> pa.Table:
    """A Parquet file's table, text columns dictionary-encoded as they are read."""
    import pyarrow as pa  # imported here: only CSV and Parquet reads need it
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(path)
        text = [
            f.name for f in schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)
        ]
        return pq.read_table(path, read_dictionary=text)
    except (pa.ArrowException, OSError) as exc:
        raise fail(path, None, f"is not a readable Parquet file ({type(exc).__name__})") from exc


def _table_rows(table: pa.Table) -> Iterator[Sequence[Any]]:
    """A table's column names, then its rows of values (for the row-by-row reading)."""
    yield table.column_names
    columns = table.columns
    for row in range(table.num_rows):
        yield [column[row].as_py() for column in columns]


def _marks_of_table(
    path: Path, columns: Sequence[pa.ChunkedArray], header: list[str], skip: int, layout: Layout
) -> Marks | None:
    """The marks of a columnar CVR, computed column by column on whole arrays; ``None`` when
    some row's count is not a whole number of ballots (the row-by-row reading names it).

    ``skip`` leading rows (the header) are not ballots.
    """
    rank_cols, count_col = _columns(path, header, layout)
    ranks = [_chunks(columns[i], skip, text=True) for i in rank_cols]
    found: dict[str, int] = {}
    luts = [
        [[found.setdefault(_label(v), len(found)) for v in values] for values, _ in chunks]
        for chunks in ranks
    ]
    kind = code_type(len(found))
    codes = np.empty((sum(len(rows) for _, rows in ranks[0]), len(ranks)), kind, order="F")
    for r, (column_luts, chunks) in enumerate(zip(luts, ranks, strict=True)):
        at = 0
        for lut, (_, rows) in zip(column_luts, chunks, strict=True):
            np.take(np.array(lut, dtype=kind), rows, out=codes[at : at + len(rows), r], mode="clip")
            at += len(rows)
    blank = _blank_rows(columns, skip, codes, found.get(""))
    counts: NDArray[np.int64] | None = None
    if count_col is not None:
        values, rows = _distinct(columns[count_col], skip, text=False)
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


def _distinct(
    column: pa.ChunkedArray, skip: int, *, text: bool
) -> tuple[list[Any], NDArray[np.integer[Any]]]:
    """A column, less its first ``skip`` rows, as a list of values and each row's index into
    it (the values of each chunk's dictionary in turn); a missing value is ``None``."""
    values: list[Any] = []
    parts: list[NDArray[np.integer[Any]]] = []
    for distinct, indices in _chunks(column, skip, text=text):
        parts.append(indices + len(values) if values else indices)
        values += distinct
    if len(parts) == 1:
        return values, parts[0]
    return values, np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def _chunks(
    column: pa.ChunkedArray, skip: int, *, text: bool
) -> list[tuple[list[Any], NDArray[np.integer[Any]]]]:
    """A column, less its first ``skip`` rows, chunk by chunk as the chunk's distinct values
    and each row's index into them; a missing value is the value ``None``, listed last.

    ``text``: values are compared as text (a Parquet column of numbers is read as its digits).
    """
    import pyarrow as pa

    out: list[tuple[list[Any], NDArray[np.integer[Any]]]] = []
    for chunk in column.slice(skip).chunks:
        if not pa.types.is_dictionary(chunk.type):
            if text and not pa.types.is_string(chunk.type):
                chunk = chunk.cast(pa.string())
            chunk = chunk.dictionary_encode()
        distinct = chunk.dictionary
        if text and not pa.types.is_string(distinct.type):
            distinct = distinct.cast(pa.string())
        rows = chunk.indices
        if rows.null_count:
            rows = rows.fill_null(len(distinct))
        out.append(([*distinct.to_pylist(), None], _integers(rows)))
    return out


def _integers(array: pa.Array) -> NDArray[np.integer[Any]]:
    """A pyarrow integer array without missing values as a numpy view of its buffer
    (``Array.to_numpy`` would import pandas, when installed, on its first call)."""
    kind = np.dtype(str(array.type))
    data = array.buffers()[1]
    return np.frombuffer(data, dtype=kind, count=len(array), offset=array.offset * kind.itemsize)


def _blank_rows(
    columns: Sequence[pa.ChunkedArray],
    skip: int,
    codes: NDArray[np.integer[Any]],
    blank_code: int | None,
) -> NDArray[np.int64]:
    """The rows whose every cell is empty (they are not ballots).

    Only rows whose rank cells all read as blank can be; other columns are looked at just
    for those, which are few.
    """
    if blank_code is None:
        return np.zeros(0, dtype=np.int64)
    blank = codes[:, 0] == blank_code
    for rank in range(1, codes.shape[1]):  # column by column, as the codes are stored
        blank &= codes[:, rank] == blank_code
    maybe = np.flatnonzero(blank)
    for column in columns:
        if not len(maybe):
            break
        values, rows = _distinct(column, skip, text=True)
        empty = np.array([v is None or v == "" for v in values], dtype=bool)
        maybe = maybe[empty[rows[maybe]]]
    return maybe


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
