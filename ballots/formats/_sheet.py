"""The first sheet of an xlsx workbook, read with calamine (a compiled reader): its rows one by
one, or its distinct rows of chosen columns counted without a Python loop over the rows.

Rows come with cells as openpyxl gave them before: text, numbers (a whole number as an
``int``), dates, booleans; an empty cell is the empty string.
"""

from __future__ import annotations

import zipfile
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from itertools import islice
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ballots.errors import FormatError
from ballots.formats._common import Progress, Ticker, check_file, fail

if TYPE_CHECKING:
    from python_calamine import CalamineSheet

BATCH_ROWS = 1 << 16
"""Rows counted between two progress reports."""


def _first_sheet(path: Path) -> CalamineSheet:
    """The workbook's first sheet; a file that is not a readable workbook is an error."""
    from python_calamine import CalamineError, CalamineWorkbook  # only xlsx files need it

    check_file(path)
    if not zipfile.is_zipfile(path):  # an xlsx file is a zip archive
        raise fail(path, None, "is not a readable xlsx workbook (BadZipFile)")
    try:
        with CalamineWorkbook.from_path(path) as workbook:
            return workbook.get_sheet_by_index(0)
    except (OSError, ValueError, CalamineError) as exc:
        raise fail(path, None, f"is not a readable xlsx workbook ({type(exc).__name__})") from exc


def as_read(value: Any) -> Any:
    """A cell as openpyxl read it: a number that is whole as an ``int`` (xlsx stores
    numbers as decimals, and calamine gives them all as ``float``)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def sheet_rows(path: Path, progress: Progress | None = None) -> Iterator[list[Any]]:
    """The rows of the first sheet, from its first row and column, each as wide as the
    sheet (so a row may end in empty cells)."""
    sheet = _first_sheet(path)
    size = check_file(path)
    total = max(sheet.height, 1)
    ticker = Ticker(progress, size)
    for number, row in enumerate(sheet.iter_rows(), start=1):
        if number % 4096 == 0:
            ticker(size * number // total)
        yield [as_read(cell) for cell in row]
    ticker.finish()


def distinct_rows(
    path: Path,
    columns: Callable[[Sequence[Any]], list[int]],
    progress: Progress | None = None,
) -> tuple[Counter[tuple[Any, ...]], int]:
    """The rows after the header, as the tuples of their cells in ``columns(header)``, each
    with how many rows have it; and how many of those rows are empty in every column.
    These cells are calamine's (numbers all ``float``): :func:`as_read` gives openpyxl's.

    ``columns`` sees the header row and may raise. The counting runs in C (``Counter`` over
    ``itemgetter``); only when some row is empty in every chosen column are the rows
    looked at again, to tell empty rows from rows with cells elsewhere.
    """
    sheet = _first_sheet(path)
    size = check_file(path)
    rows = sheet.iter_rows()
    header = next(rows, None)
    if header is None:
        raise FormatError(f"{path}: the file is empty")
    chosen = columns([as_read(cell) for cell in header])
    pick = itemgetter(*chosen, chosen[0])  # one more: a tuple even for one column
    total = max(sheet.height, 1)
    ticker = Ticker(progress, size)
    counted: Counter[tuple[Any, ...]] = Counter()
    done = 1
    while batch := list(islice(rows, BATCH_ROWS)):
        counted.update(map(pick, batch))
        done += len(batch)
        ticker(size * done // total)
    ticker.finish()
    found = Counter({cells[:-1]: count for cells, count in counted.items()})
    blank = ("",) * len(chosen)
    empty = 0
    if blank in found:
        width = len(header)
        empty = sum(1 for row in sheet.iter_rows() if row.count("") == width)
    return found, empty
