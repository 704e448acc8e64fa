"""Election-office cast-vote records (CVR): the Minneapolis CSV and the ES&S xlsx export, one
row per ballot and one column per rank; read, and written back as a CSV with rank columns.

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
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from ballots.box import BallotBox
from ballots.errors import FormatError
from ballots.formats._common import (
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
from engine.counts import check_counts, sum_by
from engine.errors import ProfileError
from engine.profile import RankedProfile

NAME = "cvr"
EXTENSIONS = (".csv", ".xlsx")

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


def _xlsx_rows(path: Path, progress: Progress | None) -> Iterator[Sequence[Any]]:
    import openpyxl  # imported here: only xlsx files need it
    from openpyxl.utils.exceptions import InvalidFileException

    size = check_file(path)
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (OSError, KeyError, ValueError, zipfile.BadZipFile, InvalidFileException) as exc:
        raise fail(path, None, f"is not a readable xlsx workbook ({type(exc).__name__})") from exc
    try:
        sheet = workbook.worksheets[0]
        total = max(sheet.max_row or 1, 1)
        ticker = Ticker(progress, size)
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            if number % 4096 == 0:
                ticker(size * number // total)
            yield row
        ticker.finish()
    finally:
        workbook.close()


def _columns(path: Path, header: Sequence[Any]) -> tuple[list[int], int | None]:
    """Indices of the rank columns and of the ``Count`` column (if any)."""
    labels = ["" if cell is None else str(cell).strip() for cell in header]
    ranks = [i for i, label in enumerate(labels) if _RANK_HEADER.search(label)]
    if not ranks:
        raise fail(path, 1, "no rank columns (headers like 'rank1' or '1st Choice')")
    counts = [i for i, label in enumerate(labels) if label.lower() == "count"]
    return ranks, counts[0] if counts else None


def read(
    path: Path, progress: Progress | None = None, *, rules: CvrRules = MINNEAPOLIS
) -> BallotBox:
    """Read a CSV or xlsx cast-vote record, counting its marks by ``rules``."""
    path = Path(path)
    rows = (
        _xlsx_rows(path, progress) if path.suffix.lower() == ".xlsx" else _csv_rows(path, progress)
    )
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
        cells.extend("" if row[i] is None else str(row[i]).strip() for i in rank_cols)
        if count_col is not None:
            weights.append(_count(path, number, row[count_col]))
    if not cells:
        raise fail(path, None, "no ballot rows after the header")
    marks = np.asarray(cells, dtype=object).reshape(-1, width)
    counts = (
        np.asarray(weights, dtype=np.int64)
        if count_col is not None
        else np.ones(marks.shape[0], dtype=np.int64)
    )
    profile, notes = _profile(path, marks, counts, rules)
    return BallotBox(profile=profile, format=NAME, title=path.stem, notes=notes)


def _count(path: Path, line: int, value: object) -> int:
    """A row's ``Count`` cell: a whole number of ballots (xlsx may store it as ``1.0``)."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return check_count(path, line, value)
    if isinstance(value, float) and value.is_integer() and value >= 0:
        return check_count(path, line, int(value))
    if isinstance(value, str) and value.strip().isdigit():
        return check_count(path, line, int(value.strip()))
    raise fail(path, line, f"count {value!r} is not a whole number")


def _collapse(
    codes: NDArray[np.int64], counts: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Merge identical rows of marks (there are far fewer kinds than ballots); counts are
    summed exactly, a total past the ballot limit refused."""
    width = codes.shape[1]
    base = int(codes.max()) + 1
    if base**width < 2**62:
        keys = codes @ np.array([base**j for j in range(width)], dtype=np.int64)
        _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
        rows = codes[first]
    else:
        rows, inverse = np.unique(codes, axis=0, return_inverse=True)
    return rows, sum_by(inverse.ravel(), check_counts(counts, len(counts)), len(rows))


def _profile(
    path: Path, marks: NDArray[Any], counts: NDArray[np.int64], rules: CvrRules
) -> tuple[RankedProfile, tuple[str, ...]]:
    """Apply the marker rules column by column, vectorised over the ballots."""
    labels, codes = np.unique(marks, return_inverse=True)
    codes = codes.reshape(marks.shape).astype(np.int64)
    label_list = [str(label) for label in labels]
    specials = {UNDERVOTE, OVERVOTE, ""}
    names = sorted(n for n in label_list if n not in specials and n != WRITE_IN)
    if WRITE_IN in label_list:
        names.append(WRITE_IN_NAME)
    if not names:
        raise fail(path, None, "no ballot marks a candidate")
    index = {n: i for i, n in enumerate(names)}
    # label code -> candidate index, or -1 skipped rank, -2 overvote
    lookup = np.array(
        [
            -1
            if label in (UNDERVOTE, "")
            else -2
            if label == OVERVOTE
            else index[WRITE_IN_NAME if label == WRITE_IN else label]
            for label in label_list
        ],
        dtype=np.int64,
    )
    try:
        codes, counts = _collapse(codes, counts)
    except ProfileError as exc:
        raise fail(path, None, str(exc)) from exc
    cand = lookup[codes]
    n, width = cand.shape
    table = np.full((n, len(names)), -1, dtype=np.int64)
    alive = np.ones(n, dtype=bool)
    skipped = np.zeros(n, dtype=np.int64)
    exhausted_over = exhausted_skip = repeats = 0
    rows = np.arange(n)
    for rank in range(width):
        column = cand[:, rank]
        marked = column != -1
        if rules.max_skipped is not None:
            gap = alive & marked & (skipped > rules.max_skipped)
            exhausted_skip += int(counts[gap].sum())
            alive &= ~gap
        over = alive & (column == -2)
        if rules.overvote == "exhaust":
            exhausted_over += int(counts[over].sum())
            alive &= ~over
        live = alive & (column >= 0)
        fresh = live.copy()
        fresh[live] = table[rows[live], column[live]] < 0
        repeats += int(counts[live & ~fresh].sum())
        table[rows[fresh], column[fresh]] = rank
        skipped = np.where(marked, 0, skipped + 1)
    weighted = counts[:, None]
    notes = [
        f"{int((weighted * (cand == -1)).sum())} skipped ranks (undervote or blank) passed over",
        f"{int((weighted * (cand == -2)).sum())} overvoted ranks "
        + ("passed over" if rules.overvote == "skip" else f"ended {exhausted_over} ballots"),
        f"{int(counts[(cand == -1).all(axis=1)].sum())} ballots rank nobody",
        f"{repeats} repeated marks for a candidate counted once, at the highest rank",
    ]
    if WRITE_IN in label_list:
        uwi = int((weighted * (cand == index[WRITE_IN_NAME])).sum())
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
    """Write a CSV cast-vote record: ``rank1 .. rankN`` columns and a ``count`` column.

    Unused ranks read ``undervote``; "Undeclared Write-ins" is written as ``UWI``. Ties
    cannot be written (they would read back as overvotes).
    """
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
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([f"rank{r}" for r in range(1, width + 1)] + ["count"])
    for row in row_order(profile):
        marks = [names[group[0]] for group in ballots[row]]
        marks += [UNDERVOTE] * (width - len(marks))
        writer.writerow([*marks, int(profile.counts[row])])
    try:
        path.write_text(out.getvalue(), encoding="utf-8", newline="")
    except OSError as exc:
        raise FormatError(f"{path}: cannot be written ({exc.strerror})") from exc
