"""Election-office cast-vote records (CVR): the Minneapolis CSV, the same table as Parquet and
the ES&S xlsx export, one row per ballot and one column per rank; read, and written back as a
CSV (or Parquet) with rank columns.

Each cell is a candidate name or a marker; by default the official Minneapolis rules apply,
the ones that reproduce the city's certified first-round counts (2013 and 2017 mayor):

* ``undervote`` (rank left blank; an empty cell is read the same way) is a skipped rank:
  the next rank counts, however many ranks are skipped.
* ``overvote`` (two or more marks at one rank) is passed over and the next rank counts.
* ``UWI`` (undeclared write-in) is a candidate named "Undeclared Write-ins" that takes part
  in the count like any other.
* A candidate marked at several ranks counts once, at the highest of them.

RCTab configurations use other variants (exhausting at an overvote, exhausting after more
than ``maxSkippedRanksAllowed`` consecutive skipped ranks): :meth:`CvrRules.from_rctab`
reads them from the config file. A ballot that exhausts keeps the ranks before that point.
Columns whose header names a rank or choice (``rank1``, ``1st Choice``) are the ranks, in
order; a ``Count`` column, if present, gives each row's weight; other columns are ignored.

CSV and Parquet are read by column with pyarrow: each column dictionary-encoded, its few
distinct cells mapped to label codes once, so a million ballots are one small-integer table
and never a million Python rows; identical rows are collapsed before the marker rules run.
A CSV that pyarrow reads differently from Python's ``csv`` module (a row of the wrong width,
a bad count, bytes that are not UTF-8) is read row by row instead, so it gives the same
ballots or the same message naming the line; so is a CSV under :data:`COLUMNAR_BYTES`.
xlsx is read with calamine (:mod:`ballots.formats._sheet`): identical rows of rank and count
cells are counted first, and labels and counts worked out once per distinct row; a bad count
sends it row by row too, for the line.
"""

from __future__ import annotations

import csv
import io
import json
import mmap
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import NDArray

from ballots.box import BallotBox
from ballots.errors import FormatError
from ballots.formats._common import (
    REPORT_EVERY,
    Progress,
    Ticker,
    check_count,
    check_file,
    decode,
    fail,
    has_ties,
    orders,
    read_bytes,
    row_order,
)
from ballots.formats._sheet import as_read, distinct_rows, sheet_rows
from engine.counts import check_counts
from engine.errors import ProfileError
from engine.profile import RankedProfile, collapse_rows

if TYPE_CHECKING:
    import pyarrow as pa

NAME = "cvr"
EXTENSIONS = (".csv", ".xlsx", ".parquet")

PARQUET_MAGIC = b"PAR1"
"""The first (and last) bytes of a Parquet file."""

UNDERVOTE = "undervote"
OVERVOTE = "overvote"
WRITE_IN = "UWI"
WRITE_IN_NAME = "Undeclared Write-ins"
"""The candidate name undeclared write-ins are counted under."""

_RANK_HEADER = re.compile(r"rank|choice", re.IGNORECASE)


@dataclass(frozen=True)
class CvrRules:
    """How a CVR's special marks are counted.

    ``overvote``: ``"skip"`` passes over an overvoted rank, ``"exhaust"`` ends the ballot
    there. ``max_skipped``: the most consecutive skipped ranks allowed before a later mark
    (``None``: no limit); a longer gap ends the ballot.
    """

    overvote: Literal["skip", "exhaust"] = "skip"
    max_skipped: int | None = None

    @classmethod
    def from_rctab(cls, config: Path) -> CvrRules:
        """The rules an RCTab contest configuration (JSON) states."""
        try:
            rules = json.loads(Path(config).read_text(encoding="utf-8"))["rules"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise FormatError(
                f"{config}: not an RCTab configuration with a 'rules' section"
            ) from exc
        overvote = rules.get("overvoteRule", "alwaysSkipToNextRank")
        if overvote not in ("alwaysSkipToNextRank", "exhaustImmediately"):
            raise FormatError(f"{config}: overvote rule {overvote!r} is not supported")
        skipped = str(rules.get("maxSkippedRanksAllowed", "")).strip()
        limit = None if skipped in ("", "unlimited") else int(skipped)
        return cls("skip" if overvote == "alwaysSkipToNextRank" else "exhaust", limit)


MINNEAPOLIS = CvrRules()
"""The official Minneapolis rules (the default)."""


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


def _columns(path: Path, header: Sequence[Any]) -> tuple[list[int], int | None]:
    """Indices of the rank columns and of the ``Count`` column (if any)."""
    labels = ["" if cell is None else str(cell).strip() for cell in header]
    ranks = [i for i, label in enumerate(labels) if _RANK_HEADER.search(label)]
    if not ranks:
        raise fail(path, 1, "no rank columns (headers like 'rank1' or '1st Choice')")
    counts = [i for i, label in enumerate(labels) if label.lower() == "count"]
    return ranks, counts[0] if counts else None


@dataclass(frozen=True)
class _Marks:
    """A CVR's rank cells as a table of label codes, before any rule is applied."""

    codes: NDArray[np.integer[Any]]
    """``codes[b, r]``: the label in ballot row ``b`` at rank ``r`` (blank rows left out)."""
    labels: list[str]
    """The labels (cells with surrounding white space removed), by code."""
    counts: NDArray[np.int64] | None
    """The ``Count`` column, or ``None``: one ballot per row."""


def read(
    path: Path, progress: Progress | None = None, *, rules: CvrRules = MINNEAPOLIS
) -> BallotBox:
    """Read a CSV, Parquet or xlsx cast-vote record, counting its marks by ``rules``."""
    path = Path(path)
    size = check_file(path)
    suffix = path.suffix.lower()
    marks: _Marks | None = None
    if suffix == ".xlsx":
        marks = _marks_of_sheet(path, progress)
    elif suffix == ".parquet" or _head(path).startswith(PARQUET_MAGIC):
        table = _parquet_table(path)
        marks = _marks_of_table(path, table.columns, list(table.column_names), 0)
        if marks is None:  # a bad count: the rows say which one
            marks = _marks_of_rows(path, _table_rows(table))
        del table  # the codes hold all that is needed now
    else:
        if progress is not None:
            progress(0, size)
        read = _csv_table(path, progress) if size >= COLUMNAR_BYTES else None
        if read is not None:
            header = [str(column[0].as_py()) for column in read.columns]
            marks = _marks_of_table(path, read.columns, header, 1)
            del read
        if marks is None:
            marks = _marks_of_rows(path, _csv_rows(path, progress))
        elif progress is not None:
            progress(size, size)
    profile, notes = _profile(path, marks, rules)
    return BallotBox(profile=profile, format=NAME, title=path.stem, notes=notes)


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
    path: Path, columns: Sequence[pa.ChunkedArray], header: list[str], skip: int
) -> _Marks | None:
    """The marks of a columnar CVR, computed column by column on whole arrays; ``None`` when
    some row's count is not a whole number of ballots (the row-by-row reading names it).

    ``skip`` leading rows (the header) are not ballots.
    """
    rank_cols, count_col = _columns(path, header)
    ranks = [_chunks(columns[i], skip, text=True) for i in rank_cols]
    found: dict[str, int] = {}
    luts = [
        [[found.setdefault(_label(v), len(found)) for v in values] for values, _ in chunks]
        for chunks in ranks
    ]
    kind = _code_type(len(found))
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
    return _Marks(codes, list(found), counts)


def _label(value: object) -> str:
    """A cell as its label: the text with surrounding white space removed (missing: blank)."""
    return "" if value is None else str(value).strip()


def _code_type(labels: int) -> type[np.integer[Any]]:
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


def _marks_of_sheet(path: Path, progress: Progress | None) -> _Marks:
    """The marks of an xlsx CVR, from its distinct rows of rank (and count) cells: the
    labels and counts are worked out once per distinct row, and per distinct cell."""
    shape: list[int] = []

    def columns(header: Sequence[Any]) -> list[int]:
        rank_cols, count_col = _columns(path, header)
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
    kind = _code_type(len(labels))
    flat = chain.from_iterable(row[:width] for row in rows)
    codes = np.fromiter(map(code.__getitem__, flat), dtype=kind, count=len(rows) * width)
    weights = np.fromiter(found.values(), dtype=np.int64, count=len(rows))
    if len(rows[0]) > width:  # a Count column
        ballots = {cell: _count_or_none(cell) for cell in {row[width] for row in rows}}
        if min(ballots.values()) < 0:  # the rows one by one say which line
            return _marks_of_rows(path, sheet_rows(path))
        weights *= np.fromiter((ballots[row[width]] for row in rows), np.int64, len(rows))
    return _Marks(codes.reshape(len(rows), width), list(labels), weights)


def _marks_of_rows(path: Path, rows: Iterator[Sequence[Any]]) -> _Marks:
    """The marks of a CVR read row by row (a CSV pyarrow reads differently, or an xlsx whose
    counts need their line named)."""
    header = next(rows, None)
    if header is None:
        raise FormatError(f"{path}: the file is empty")
    rank_cols, count_col = _columns(path, header)
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
    return _Marks(
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


def _profile(path: Path, marks: _Marks, rules: CvrRules) -> tuple[RankedProfile, tuple[str, ...]]:
    """Collapse identical rows of marks (there are far fewer kinds than ballots), then apply
    the marker rules column by column, vectorised over the distinct rows."""
    refused: ProfileError | None = None
    try:
        weights = None if marks.counts is None else check_counts(marks.counts, len(marks.counts))
        codes, counts = collapse_rows(marks.codes, weights)
    except ProfileError as exc:
        refused = exc
        codes, counts = marks.codes.astype(np.int64), np.zeros(0, dtype=np.int64)
    used = np.bincount(codes.ravel(), minlength=len(marks.labels)) > 0
    label_list = [label for label, seen in zip(marks.labels, used, strict=True) if seen]
    specials = {UNDERVOTE, OVERVOTE, ""}
    names = sorted(n for n in label_list if n not in specials and n != WRITE_IN)
    if WRITE_IN in label_list:
        names.append(WRITE_IN_NAME)
    if not names:
        raise fail(path, None, "no ballot marks a candidate")
    if refused is not None:
        raise fail(path, None, str(refused)) from refused
    index = {n: i for i, n in enumerate(names)}
    # label code -> candidate index, or -1 skipped rank, -2 overvote (unused codes: -1)
    lookup = np.array(
        [
            -1
            if label in (UNDERVOTE, "") or not seen
            else -2
            if label == OVERVOTE
            else index[WRITE_IN_NAME if label == WRITE_IN else label]
            for label, seen in zip(marks.labels, used, strict=True)
        ],
        dtype=np.int8 if len(names) < 127 else np.int32,
    )
    cand = np.asfortranarray(lookup[codes])  # one contiguous column per rank
    n, width = cand.shape
    table = np.full((n, len(names)), -1, dtype=np.int8 if width < 127 else np.int64)
    cells = table.reshape(-1)  # a view: cell (row, candidate) is row * len(names) + candidate
    starts = np.arange(n, dtype=np.int64) * len(names)
    alive = np.ones(n, dtype=bool)
    skipped = np.zeros(n, dtype=np.int64)
    exhausted_over = exhausted_skip = repeats = 0
    placed = np.zeros(n, dtype=table.dtype)  # marks counted so far: the next one's position
    for rank in range(width):
        column = cand[:, rank]
        if rules.max_skipped is not None:
            marked = column != -1
            gap = alive & marked & (skipped > rules.max_skipped)
            exhausted_skip += int(counts[gap].sum())
            alive &= ~gap
            skipped = np.where(marked, 0, skipped + 1)
        if rules.overvote == "exhaust":
            over = alive & (column == -2)
            exhausted_over += int(counts[over].sum())
            alive &= ~over
        live = np.flatnonzero(alive & (column >= 0))
        at = starts[live] + column[live]
        fresh = cells[at] < 0
        repeats += int(counts[live[~fresh]].sum())
        live = live[fresh]
        cells[at[fresh]] = placed[live]
        placed[live] += 1
    per_row = {value: (cand == value).sum(axis=1) for value in (-1, -2)}

    def weighted(value: int) -> int:
        """How many marks of ``value`` (a candidate, -1 or -2) the ballots hold."""
        found = per_row[value] if value in per_row else (cand == value).sum(axis=1)
        return int(counts @ found)

    notes = [
        f"{weighted(-1)} skipped ranks (undervote or blank) passed over",
        f"{weighted(-2)} overvoted ranks "
        + ("passed over" if rules.overvote == "skip" else f"ended {exhausted_over} ballots"),
        f"{int(counts[per_row[-1] == width].sum())} ballots rank nobody",
        f"{repeats} repeated marks for a candidate counted once, at the highest rank",
    ]
    if WRITE_IN in label_list:
        uwi = weighted(index[WRITE_IN_NAME])
        notes.append(f"{uwi} undeclared write-in marks counted for {WRITE_IN_NAME!r}")
    if rules.max_skipped is not None:
        notes.append(
            f"{exhausted_skip} ballots ended after more than {rules.max_skipped} skipped ranks"
        )
    try:
        profile = RankedProfile.from_ranks(names, table, counts)
    except ProfileError as exc:
        raise fail(path, None, str(exc)) from exc
    return profile, tuple(notes)


def write(box: BallotBox, path: Path) -> None:
    """Write a cast-vote record: ``rank1 .. rankN`` columns and a ``count`` column, as CSV
    (or as Parquet when ``path`` ends in ``.parquet``).

    Unused ranks read ``undervote``; "Undeclared Write-ins" is written as ``UWI``. Ties
    cannot be written (they would read back as overvotes).
    """
    header, rows = _table_to_write(box, path)
    try:
        if path.suffix.lower() == ".parquet":
            _write_parquet(header, rows, path)
            return
        out = io.StringIO(newline="")
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
        path.write_text(out.getvalue(), encoding="utf-8", newline="")
    except OSError as exc:
        raise FormatError(f"{path}: cannot be written ({exc.strerror})") from exc


def _table_to_write(box: BallotBox, path: Path) -> tuple[list[str], list[list[Any]]]:
    """The header and rows of the cast-vote record of ``box``, most cast ballots first."""
    profile = box.profile
    if not isinstance(profile, RankedProfile):
        raise fail(path, None, f"a cast-vote record holds ranked ballots, not {profile.kind}")
    if has_ties(profile):
        raise fail(path, None, "some ballots have ties, which a CVR would read back as overvotes")
    clash = [n for n in profile.candidates if n in (UNDERVOTE, OVERVOTE, WRITE_IN)]
    if clash:
        raise fail(path, None, f"the candidate name {clash[0]!r} is a CVR marker")
    names = [WRITE_IN if n == WRITE_IN_NAME else n for n in profile.candidates]
    ballots = orders(profile)
    width = max([len(b) for b in ballots] + [1])
    rows: list[list[Any]] = []
    for row in row_order(profile):
        marks = [names[group[0]] for group in ballots[row]]
        marks += [UNDERVOTE] * (width - len(marks))
        rows.append([*marks, int(profile.counts[row])])
    return [f"rank{r}" for r in range(1, width + 1)] + ["count"], rows


def _write_parquet(header: list[str], rows: list[list[Any]], path: Path) -> None:
    import pyarrow as pa  # imported here: only CSV and Parquet need it
    import pyarrow.parquet as pq

    columns = [list(column) for column in zip(*rows, strict=True)] or [[] for _ in header]
    types = [pa.string()] * (len(header) - 1) + [pa.int64()]
    table = pa.table(
        [pa.array(values, type=kind) for values, kind in zip(columns, types, strict=True)],
        names=header,
    )
    try:
        pq.write_table(table, path)
    except pa.ArrowException as exc:
        raise FormatError(f"{path}: cannot be written ({exc})") from exc
