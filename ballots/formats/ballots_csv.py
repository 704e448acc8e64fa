"""Red Bench's ballots CSV (the ``ballots-csv`` export of a round), read back for recounts.

The file opens with ``#redbench_…`` rows, one ``key,value,label`` row each (the label is for
people: the reader ignores it)::

    #redbench_ballots,1,红板凳议事会选票文件 …      <- the format and its version, always first
    #redbench_kind,ranked,选票类型
    #redbench_candidates,"[""儿童游乐设施"",…]",方案（按列顺序）
    #redbench_method,irv,计票方法                  <- the published count (PublishedCount)
    … #redbench_lot_seed,<64 hex>,抽签种子

(``redbench_max_score`` for score rounds, ``redbench_costs`` and ``redbench_budget`` for
budget rounds). Then a header row and the ballots. Version 2 (rounds with sealed receipts,
the default): one row per distinct ballot — round, how many ballots say it, the ballot as
text — so no row pairs a tracker with a content. Version 1 (open receipts): one row per
ballot — round, tracker, line hash, the ballot as text. Labels are in the export's language;
the reader goes by position. Then one column per option, in ``redbench_candidates``
order: the preference number (1 = first, equal numbers for a tie, empty = not ranked),
1/0 (approval, budget) or the score.
The service writes the file (:mod:`service.records.tables`) with :func:`preamble`.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
from pathlib import Path
from typing import Final

import numpy as np
from numpy.typing import NDArray

from ballots.box import PREFIX, BallotBox, PublishedCount, published_fields
from ballots.errors import FormatError
from ballots.formats._common import Progress, decode, fail, read_bytes
from ballots.kinds import KINDS, BallotRules
from engine.counts import BALLOT_LIMIT, too_many
from engine.errors import ProfileError
from engine.profile import ApprovalProfile, Profile, RankedProfile, ScoreProfile

NAME: Final[str] = "ballots-csv"
EXTENSIONS: Final[tuple[str, ...]] = (".csv",)
MAGIC: Final[str] = f"#{PREFIX}ballots"
"""The first cell of the file: what the detector recognises."""
OPEN: Final[str] = "1"
"""The layout of open receipts: a row per ballot, with its tracker."""
SEALED: Final[str] = "2"
"""The layout of sealed receipts: a row per distinct ballot, with how many say it."""
FIXED_COLUMNS: Final[dict[str, int]] = {OPEN: 4, SEALED: 3}
"""Columns before the options': round, tracker, line hash and the ballot as text (open);
round, count and the ballot as text (sealed)."""


def _amount(value: float) -> str:
    """A yuan amount as text: whole amounts without a decimal point."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def preamble(
    rules: BallotRules, published: PublishedCount, *, sealed: bool = True
) -> list[tuple[str, str]]:
    """The ``#redbench_…`` rows of a round's ballots CSV as ``(key, value)`` pairs, keys with
    their ``#redbench_`` prefix, in the order the file lists them (``sealed``: the rows that
    follow are distinct ballots with counts)."""
    pairs = [
        ("ballots", SEALED if sealed else OPEN),
        ("kind", rules.kind),
        ("candidates", _json(list(rules.candidates))),
    ]
    if rules.kind == "score":
        pairs.append(("max_score", str(rules.max_score)))
    if rules.costs is not None and rules.budget is not None:
        pairs += [
            ("costs", "[" + ",".join(_amount(c) for c in rules.costs) + "]"),
            ("budget", _amount(rules.budget)),
        ]
    pairs += published.fields()
    return [(f"#{PREFIX}{key}", value) for key, value in pairs]


def read(path: Path, progress: Progress | None = None) -> BallotBox:
    """Read a Red Bench ballots CSV; its published count comes with the ballots."""
    path = Path(path)
    data = read_bytes(path, progress)
    reader = csv.reader(io.StringIO(decode(path, data), newline=""))
    fields: dict[str, str] = {}
    where: dict[str, int] = {}
    header: list[str] | None = None
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        first = row[0].strip()
        if not first.startswith("#"):
            header = row
            break
        key = first[1:].strip()
        if not fields and key != PREFIX + "ballots":
            raise fail(path, reader.line_num, f"a Red Bench ballots CSV starts with a {MAGIC} row")
        if key in fields:
            raise fail(path, reader.line_num, f"a second #{key} row")
        fields[key] = row[1].strip() if len(row) > 1 else ""
        where[key] = reader.line_num
    if not fields:
        raise fail(path, 1, f"a Red Bench ballots CSV starts with a {MAGIC} row")
    version = fields[PREFIX + "ballots"]
    if version not in FIXED_COLUMNS:
        raise fail(
            path,
            where[PREFIX + "ballots"],
            f"this reader knows versions {OPEN} and {SEALED}, the file is version {version!r}",
        )
    fixed = FIXED_COLUMNS[version]
    kind, names = _kind_and_names(path, fields, where)
    if header is None:
        raise fail(path, None, "no header row after the #redbench rows")
    width = fixed + len(names)
    if len(header) != width:
        raise fail(
            path,
            reader.line_num,
            f"the header has {len(header)} columns; {fixed} and one per option"
            f" ({len(names)}) make {width}",
        )
    lines: list[int] = []
    cells: list[list[str]] = []
    counts: list[int] = []
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < width:
            raise fail(path, reader.line_num, f"the row has {len(row)} of the {width} columns")
        lines.append(reader.line_num)
        cells.append([cell.strip() for cell in row[fixed:width]])
        if version == SEALED:
            counts.append(_count(path, reader.line_num, row[1].strip()))
    marks = np.asarray(cells, dtype=str).reshape(len(cells), len(names))
    profile = _profile(path, kind, names, marks, lines, fields, where, counts or None)
    try:
        published = PublishedCount.from_fields(published_fields(fields))
    except FormatError as exc:
        raise fail(path, None, str(exc)) from exc
    if progress is not None:
        progress(len(data), len(data))
    return BallotBox(
        profile=profile,
        format=NAME,
        title=path.stem,
        seats=None if published is None else published.seats,
        published=published,
    )


def _count(path: Path, line: int, cell: str) -> int:
    """The ballots a row of the sealed layout stands for: a whole number from 1."""
    if not cell.isdigit() or int(cell) < 1:
        raise fail(path, line, f"the count {cell!r} is not a whole number of ballots from 1")
    if int(cell) >= BALLOT_LIMIT:
        raise fail(path, line, too_many(int(cell)))
    return int(cell)


def _kind_and_names(
    path: Path, fields: dict[str, str], where: dict[str, int]
) -> tuple[str, list[str]]:
    kind = fields.get(PREFIX + "kind", "")
    if kind not in KINDS:
        raise fail(
            path,
            where.get(PREFIX + "kind"),
            f"ballot kind {kind!r} is not one of {', '.join(KINDS)}",
        )
    text = fields.get(PREFIX + "candidates", "")
    try:
        names = json.loads(text)
    except ValueError:
        names = None
    line = where.get(PREFIX + "candidates")
    if not isinstance(names, list) or not names or not all(isinstance(n, str) and n for n in names):
        raise fail(path, line, f"{PREFIX}candidates must be a JSON list of option names")
    if len(set(names)) != len(names):
        raise fail(path, line, f"{PREFIX}candidates names an option twice")
    return kind, names


def _profile(
    path: Path,
    kind: str,
    names: list[str],
    marks: NDArray[np.str_],
    lines: list[int],
    fields: dict[str, str],
    where: dict[str, int],
    counts: list[int] | None = None,
) -> Profile:
    """The profile of the options' columns (each cell a whole number, or empty when ranked),
    each row standing for ``counts`` ballots when given."""
    blank = marks == ""
    digits = np.char.isdigit(marks) | blank
    if not digits.all():
        row, col = (int(i) for i in np.argwhere(~digits)[0])
        raise fail(
            path, lines[row], f"{str(marks[row, col])!r} under {names[col]} is not a whole number"
        )
    if kind != "ranked" and blank.any():
        row, col = (int(i) for i in np.argwhere(blank)[0])
        raise fail(path, lines[row], f"the cell under {names[col]} is empty")
    try:
        values = np.where(blank, "0", marks).astype(np.int64)
    except ValueError:
        raise fail(path, None, "a cell under the options is not a whole number") from None
    try:
        if kind == "ranked":
            _check(path, lines, names, values, blank, 1, None, "a preference number")
            return RankedProfile.from_ranks(names, np.where(blank, -1, values - 1), counts)
        if kind == "score":
            top = _whole(path, fields, where, "max_score")
            _check(path, lines, names, values, blank, 0, top, "a score")
            return ScoreProfile.from_matrix(names, values, counts, max_score=top)
        _check(path, lines, names, values, blank, 0, 1, "1 (chosen) or 0")
        if kind == "approval":
            return ApprovalProfile.from_matrix(names, values.astype(bool), counts)
        costs = [_money(path, where, "costs", c) for c in _costs(path, fields, where, len(names))]
        budget = _money(path, where, "budget", fields.get(PREFIX + "budget", ""))
        return ApprovalProfile.from_matrix(
            names, values.astype(bool), counts, costs=costs, budget=budget
        )
    except ProfileError as exc:
        raise fail(path, None, str(exc)) from exc


def _check(
    path: Path,
    lines: list[int],
    names: list[str],
    values: NDArray[np.int64],
    blank: NDArray[np.bool_],
    low: int,
    high: int | None,
    what: str,
) -> None:
    wrong = ~blank & (values < low)
    if high is not None:
        wrong |= ~blank & (values > high)
    if wrong.any():
        row, col = (int(i) for i in np.argwhere(wrong)[0])
        limit = f"{low} to {high}" if high is not None else f"at least {low}"
        raise fail(
            path, lines[row], f"{values[row, col]} under {names[col]} is not {what} ({limit})"
        )


def _whole(path: Path, fields: dict[str, str], where: dict[str, int], key: str) -> int:
    text = fields.get(PREFIX + key, "")
    if not text.isdigit() or int(text) < 1:
        raise fail(
            path,
            where.get(PREFIX + key),
            f"{PREFIX}{key} {text!r} is not a whole number of at least 1",
        )
    return int(text)


def _money(path: Path, where: dict[str, int], key: str, text: object) -> float:
    """An amount in yuan (a cost or the budget), finite and at least 0."""
    value = math.nan
    if isinstance(text, str | int | float) and not isinstance(text, bool):
        with contextlib.suppress(ValueError):
            value = float(text)
    if not math.isfinite(value) or value < 0:
        raise fail(
            path, where.get(PREFIX + key), f"{PREFIX}{key}: {text!r} is not an amount of at least 0"
        )
    return value


def _costs(path: Path, fields: dict[str, str], where: dict[str, int], m: int) -> list[object]:
    text = fields.get(PREFIX + "costs", "")
    try:
        costs = json.loads(text)
    except ValueError:
        costs = None
    if not isinstance(costs, list) or len(costs) != m:
        raise fail(
            path, where.get(PREFIX + "costs"), f"{PREFIX}costs must be a JSON list of {m} amounts"
        )
    return costs
