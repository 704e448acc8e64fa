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

The cells are read into a table of label codes by :mod:`ballots.formats._cvr_cells` (by
column with pyarrow, never one Python object per ballot); identical rows are collapsed before
the marker rules below run on whole arrays.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from ballots.box import BallotBox
from ballots.errors import FormatError
from ballots.formats._common import (
    Progress,
    fail,
    has_ties,
    orders,
    row_order,
)
from ballots.formats._cvr_cells import Marks, read_marks
from engine.counts import check_counts
from engine.errors import ProfileError
from engine.profile import RankedProfile, collapse_rows

NAME = "cvr"
EXTENSIONS = (".csv", ".xlsx", ".parquet")


UNDERVOTE = "undervote"
OVERVOTE = "overvote"
WRITE_IN = "UWI"
WRITE_IN_NAME = "Undeclared Write-ins"
"""The candidate name undeclared write-ins are counted under."""


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


def read(
    path: Path, progress: Progress | None = None, *, rules: CvrRules = MINNEAPOLIS
) -> BallotBox:
    """Read a CSV, Parquet or xlsx cast-vote record, counting its marks by ``rules``."""
    path = Path(path)
    profile, notes = profile_from_marks(path, read_marks(path, progress), rules)
    return BallotBox(profile=profile, format=NAME, title=path.stem, notes=notes)


def profile_from_marks(
    path: Path, marks: Marks, rules: CvrRules
) -> tuple[RankedProfile, tuple[str, ...]]:
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
