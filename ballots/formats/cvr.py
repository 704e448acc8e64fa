"""Election-office cast-vote records (CVR): the Minneapolis CSV, the same table as Parquet and
the ES&S xlsx export, one row per ballot and one column per rank; read, and written back as a
CSV (or Parquet) with rank columns. A contest split over several files (ES&S writes one
workbook per batch of ballots) is read as one: give several files, a folder or a glob.

Each cell is a candidate name or a marker: ``undervote`` (a rank left blank; an empty cell
is read the same way), ``overvote`` (two or more marks at one rank) and ``UWI`` (an
undeclared write-in, counted under the candidate name "Undeclared Write-ins"). What they do
to a ballot is the record's ballot rules (:class:`~ballots.formats.cvr_rules.CvrRules`,
presets and RCTab configurations in :mod:`ballots.formats.cvr_rules`); by default the
official Minneapolis rules, the ones that reproduce the city's certified counts (2013 and
2017 mayor): skipped ranks and overvotes are passed over, a candidate marked at several ranks
counts once at the highest, undeclared write-ins are a candidate like any other.

Columns whose header names a rank or choice (``rank1``, ``1st Choice``) are the ranks, in
order (or the columns from ``first_rank_column`` on); a ``Count`` column (or
``count_column``), if present, gives each row's weight; other columns are ignored.

The cells are read into a table of label codes by :mod:`ballots.formats._cvr_cells` (by
column with pyarrow, never one Python object per ballot); identical rows are collapsed before
the rules run on whole arrays (:mod:`ballots.formats._cvr_ballots`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

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
from ballots.formats._cvr_ballots import profile_from_marks
from ballots.formats._cvr_cells import Layout, Marks, code_type, read_marks
from ballots.formats.cvr_rules import (
    MINNEAPOLIS,
    OVERVOTE,
    UNDERVOTE,
    WRITE_IN,
    WRITE_IN_NAME,
    CvrRules,
)
from engine.profile import RankedProfile

__all__ = [
    "EXTENSIONS",
    "MINNEAPOLIS",
    "NAME",
    "OVERVOTE",
    "UNDERVOTE",
    "WRITE_IN",
    "WRITE_IN_NAME",
    "CvrRules",
    "profile_from_marks",
    "read",
    "write",
    "write_in_of",
]

NAME = "cvr"
EXTENSIONS = (".csv", ".xlsx", ".parquet")


def read(
    path: Path | str | Sequence[Path | str],
    progress: Progress | None = None,
    *,
    rules: CvrRules = MINNEAPOLIS,
) -> BallotBox:
    """Read a CSV, Parquet or xlsx cast-vote record, or the files of one contest (several
    paths, a folder or a glob: their ballots together), counting the marks by ``rules``."""
    from ballots.formats import ballot_files  # the package's: loaded before this module

    paths = ballot_files(path, EXTENSIONS)
    layout = Layout(rules.first_rank_column, rules.max_rankings, rules.count_column)
    marks = _joined(paths, [read_marks(p, progress, layout) for p in paths])
    profile, notes = profile_from_marks(paths[0], marks, rules)
    if len(paths) > 1:
        notes += (f"{len(paths)} files read as one contest",)
    title = paths[0].stem if len(paths) == 1 else paths[0].parent.name or paths[0].stem
    return BallotBox(
        profile=profile,
        format=NAME,
        title=title,
        notes=notes,
        write_in=write_in_of(profile, rules),
    )


def write_in_of(profile: RankedProfile, rules: CvrRules) -> str | None:
    """The candidate the count eliminates first (:attr:`BallotBox.write_in`): the undeclared
    write-ins, when the rules say so and some ballot marks one."""
    wanted = rules.write_ins == "eliminate" and WRITE_IN_NAME in profile.candidates
    return WRITE_IN_NAME if wanted else None


def _joined(paths: list[Path], parts: list[Marks]) -> Marks:
    """The marks of several files of one contest as one table (labels merged)."""
    if len(parts) == 1:
        return parts[0]
    width = parts[0].codes.shape[1]
    for path, part in zip(paths, parts, strict=True):
        if part.codes.shape[1] != width:
            raise fail(
                path,
                None,
                f"has {part.codes.shape[1]} rank columns where {paths[0].name} has {width}:"
                " not the same contest's records",
            )
    labels: dict[str, int] = {}
    for part in parts:
        for label in part.labels:
            labels.setdefault(label, len(labels))
    kind = code_type(len(labels))
    codes = np.concatenate(
        [
            np.array([labels[label] for label in part.labels], dtype=kind)[part.codes]
            for part in parts
        ]
    )
    counts = None
    if any(part.counts is not None for part in parts):
        counts = np.concatenate(
            [
                np.ones(len(part.codes), dtype=np.int64) if part.counts is None else part.counts
                for part in parts
            ]
        )
    return Marks(codes, list(labels), counts)


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
