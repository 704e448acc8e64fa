"""The columnar reading of a CSV or Parquet cast-vote record with pyarrow, for
:mod:`ballots.formats._cvr_cells`: the whole file as dictionary-encoded text columns, and
each column as its few distinct values and every row's index into them.

pyarrow is imported inside the functions: only CSV and Parquet reads need it, and the
command line's start on a small file stays short.
"""

from __future__ import annotations

import mmap
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from ballots.errors import FormatError
from ballots.formats._common import REPORT_EVERY, Progress, Ticker, check_file, fail

if TYPE_CHECKING:
    import pyarrow as pa


def head(path: Path) -> bytes:
    """The first bytes of a file."""
    try:
        with path.open("rb") as handle:
            return handle.read(4)
    except OSError as exc:
        raise FormatError(f"{path}: cannot be read ({exc.strerror})") from exc


_BLOCK = 4 * REPORT_EVERY
"""Bytes pyarrow parses at a time (one progress report each when reading block by block)."""

_TEXT_COLUMNS = 1024
"""Columns read as dictionary-encoded text by name (pyarrow names them ``f0``, ``f1`` ...);
any further column is cast to text after pyarrow infers its type."""


def csv_table(path: Path, progress: Progress | None) -> pa.Table | None:
    """The whole CSV as dictionary-encoded text columns, the header as their first row; or
    ``None`` when pyarrow cannot read it as Python's ``csv`` module would (a row of another
    width, bytes that are not UTF-8, a blank first line, which ``csv`` takes as the header).

    Without ``progress`` all cores parse the file at once; with it, blocks are read one
    after another and each reports how far the reading has come.
    """
    import pyarrow as pa  # imported here: only CSV and Parquet reads need it
    import pyarrow.csv as pa_csv

    if head(path).removeprefix(b"\xef\xbb\xbf")[:1] in (b"\n", b"\r"):
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


def parquet_table(path: Path) -> pa.Table:
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


def table_rows(table: pa.Table) -> Iterator[Sequence[Any]]:
    """A table's column names, then its rows of values (for the row-by-row reading)."""
    yield table.column_names
    columns = table.columns
    for row in range(table.num_rows):
        yield [column[row].as_py() for column in columns]


def distinct(
    column: pa.ChunkedArray, skip: int, *, text: bool
) -> tuple[list[Any], NDArray[np.integer[Any]]]:
    """A column, less its first ``skip`` rows, as a list of values and each row's index into
    it (the values of each chunk's dictionary in turn); a missing value is ``None``."""
    values: list[Any] = []
    parts: list[NDArray[np.integer[Any]]] = []
    for distinct, indices in chunks(column, skip, text=text):
        parts.append(indices + len(values) if values else indices)
        values += distinct
    if len(parts) == 1:
        return values, parts[0]
    return values, np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def chunks(
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


def blank_rows(
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
        values, rows = distinct(column, skip, text=True)
        empty = np.array([v is None or v == "" for v in values], dtype=bool)
        maybe = maybe[empty[rows[maybe]]]
    return maybe
