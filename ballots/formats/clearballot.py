"""Clear Ballot ClearVote's CSV export of cast-vote records (its "RCV format"); read only.

One row per ballot card. The first columns describe the card (``RowNumber``, ``BoxID``,
``BoxPosition``, ``BallotID``, ``PrecinctID``, ``BallotStyleID``, ``PrecinctStyleName``,
``ScanComputerName``, ``Status``, ``Remade``); every further column is one choice at one
rank, its header five or six fields joined by colons:

* ranked: ``Choice_<id>_<n>:<contest>:<rank>:<vote rule>:<choice>:<party>``
* not ranked: ``Choice_<id>_<n>:<contest>:<vote rule>:<choice>:<party>`` (read as rank 1)

A cell is ``1`` where the voter marked that choice at that rank and ``0`` (or empty) where
not. A row whose cells of the chosen contest are all empty does not hold the contest (the
card's style lacks it) and is not a ballot of it. A choice named ``Write-in`` (any case,
with or without the hyphen or a space) is the undeclared write-in line, the label ``UWI``.
Other columns (the card's own) are not read.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ballots.box import BallotBox
from ballots.formats._common import Progress, Ticker, decode, fail, read_bytes
from ballots.formats._records import WRITE_IN, Contest, build_marks, choose_contest, write_in_name
from ballots.formats.cvr import MINNEAPOLIS, CvrRules, profile_from_marks, write_in_of

NAME = "clearballot"
EXTENSIONS = (".csv",)

HEADER = "RowNumber,BoxID"
"""How the header of the export begins (what detection looks for)."""


@dataclass(frozen=True)
class _Column:
    """One choice column: its index, contest, rank and choice."""

    index: int
    contest: str
    rank: int
    choice: str


def read(
    path: Path,
    progress: Progress | None = None,
    *,
    rules: CvrRules = MINNEAPOLIS,
    contest: str | None = None,
) -> BallotBox:
    """Read a Clear Ballot CSV export for one contest, counted by ``rules``."""
    path = Path(path)
    data = read_bytes(path, progress)
    rows = csv.reader(io.StringIO(decode(path, data), newline=""))
    header = next(rows, None)
    if header is None:
        raise fail(path, None, "the file is empty")
    columns = _choice_columns(path, header)
    names = list(dict.fromkeys(column.contest for column in columns))
    chosen = choose_contest(path, [Contest(name, name) for name in names], contest)
    mine = [column for column in columns if column.contest == chosen.id]
    width = len(mine)
    need = max(column.index for column in mine) + 1
    ticker = Ticker(progress, len(data))
    cells: list[str] = []
    done = 0
    for row in rows:
        done += sum(map(len, row)) + len(row)
        ticker(done)
        if not any(row):
            continue
        if len(row) < need:
            raise fail(
                path, rows.line_num, f"the row has {len(row)} of the {need} columns it needs"
            )
        line = "".join(row[column.index].strip() or "." for column in mine)
        if len(line) != width or line.strip("01."):
            bad = next(row[c.index] for c in mine if row[c.index].strip() not in ("", "0", "1"))
            raise fail(path, rows.line_num, f"a choice cell holds {bad!r}, not 1, 0 or nothing")
        cells.append(line)
    ticker.finish()
    table = np.frombuffer("".join(cells).encode("ascii"), dtype=np.uint8).reshape(-1, width)
    held = np.flatnonzero((table != ord(".")).any(axis=1))
    if not len(held):
        raise fail(path, None, f"no ballot holds the contest {chosen.said()}")
    ballot, at = np.nonzero(table[held] == ord("1"))
    choices = list(dict.fromkeys(column.choice for column in mine))
    code = {choice: i for i, choice in enumerate(choices)}
    ranks = np.array([column.rank for column in mine], dtype=np.int64)
    picks = np.array([code[column.choice] for column in mine], dtype=np.int64)
    labels = [WRITE_IN if write_in_name(choice) else choice for choice in choices]
    marks = build_marks(path, len(held), ballot, ranks[at], picks[at], labels)
    profile, notes = profile_from_marks(path, marks, rules)
    return BallotBox(
        profile=profile,
        format=NAME,
        title=chosen.id,
        notes=notes,
        write_in=write_in_of(profile, rules),
    )


def _choice_columns(path: Path, header: list[str]) -> list[_Column]:
    """The choice columns a header names."""
    columns = []
    for index, text in enumerate(header):
        fields = [field.strip() for field in text.split(":")]
        if len(fields) == 6:
            _, contest, rank_text, _, choice, _ = fields
            if not rank_text.isdigit() or int(rank_text) < 1:
                raise fail(
                    path, 1, f"column {text!r}: rank {rank_text!r} is not a whole number from 1"
                )
            rank = int(rank_text)
        elif len(fields) == 5:
            _, contest, _, choice, _ = fields
            rank = 1
        else:
            continue
        if not contest or not choice:
            raise fail(path, 1, f"column {text!r} names no contest or no choice")
        columns.append(_Column(index, contest, rank, choice))
    if not columns:
        raise fail(
            path,
            1,
            "no choice columns (headers like 'Choice_1_1:Mayor:1:Number of Winners 1:Alice:NP')",
        )
    return columns
