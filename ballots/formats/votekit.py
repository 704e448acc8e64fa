"""VoteKit ranked-profile CSV (as MGGG publishes cleaned cast-vote records), read and write.

A header block (``VoteKit RankProfile``, ``Candidates`` with ``(name:index)`` pairs,
``Max Ranking Length``, ``Includes Voter Set``, a ``=,=,...`` rule) precedes a table
``Ranking_1 .. Ranking_n,&,Weight,&``. A ranking cell holds a set of candidate indices,
``{'8'}``, or several for an equal ranking, ``{'3', '8'}``; an empty cell (or ``{}`` or
``{'~'}``) is a skipped rank, and the next rank counts. Weights must be whole numbers.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from ballots.box import BallotBox
from ballots.errors import FormatError
from ballots.formats._common import (
    Progress,
    Ticker,
    build_profile,
    check_count,
    fail,
    orders,
    read_text,
    row_order,
)
from engine.counts import BALLOT_LIMIT, check_counts, sum_by
from engine.errors import ProfileError
from engine.profile import RankedProfile, row_keys

NAME = "votekit"
EXTENSIONS = (".csv",)
MAGIC = "VoteKit RankProfile"

_CANDIDATE = re.compile(r"\((.+?):(\d+)\)(?=,\(|\s*$)")
_MEMBER = re.compile(r"'((?:[^'\\]|\\.)*)'")
_WEIGHT = re.compile(r"(\d+)(?:\.0*)?")


def _candidates(path: Path, line: int, text: str) -> list[str]:
    pairs = [(int(m.group(2)), m.group(1).strip()) for m in _CANDIDATE.finditer(text.strip())]
    if not pairs:
        raise fail(path, line, "the Candidates line must list '(name:index)' pairs")
    indices = sorted(i for i, _ in pairs)
    if indices != list(range(len(pairs))):
        raise fail(path, line, f"candidate indices must run 0 to {len(pairs) - 1} once each")
    return [name for _, name in sorted(pairs)]


def _cell(path: Path, line: int, text: str, m: int) -> list[int]:
    """The candidate indices one ranking cell holds (empty for a skipped rank)."""
    text = text.strip()
    if text in ("", "{}", "set()", "frozenset()"):
        return []
    if not (text.startswith("{") and text.endswith("}")):
        raise fail(path, line, f"ranking cell {text!r} is not a set like {{'3'}}")
    members = _MEMBER.findall(text)
    if not members:
        raise fail(path, line, f"ranking cell {text!r} is not a set like {{'3'}}")
    out: list[int] = []
    for member in members:
        if member == "~":
            continue
        if not member.isdigit() or int(member) >= m:
            raise fail(path, line, f"candidate index {member!r} is not between 0 and {m - 1}")
        out.append(int(member))
    return out


def read(path: Path, progress: Progress | None = None) -> BallotBox:
    """Read a VoteKit ranked-profile CSV."""
    text = read_text(path, progress)
    lines = text.splitlines()
    if lines[0].strip() != MAGIC:
        raise fail(path, 1, f"the first line must be {MAGIC!r}")
    try:
        at_names = next(i for i, ln in enumerate(lines) if ln.strip() == "Candidates") + 1
        start = next(i for i, ln in enumerate(lines) if ln.startswith("Ranking_1"))
    except StopIteration:
        raise fail(
            path, None, "the header needs a 'Candidates' line and a 'Ranking_1,...' line"
        ) from None
    if at_names >= len(lines):
        raise fail(path, None, "no candidate list after the 'Candidates' line")
    candidates = _candidates(path, at_names + 1, lines[at_names])
    header = next(csv.reader([lines[start]]))
    rank_cols = [i for i, h in enumerate(header) if h.startswith("Ranking_")]
    if "Weight" not in header:
        raise fail(path, start + 1, "the table header has no Weight column")
    weight_col = header.index("Weight")
    width = max([*rank_cols, weight_col]) + 1
    ticker = Ticker(progress, len(text.encode()))
    cells: list[str] = []
    weights: list[str] = []
    first_line = start + 2
    done = 0
    for offset, row in enumerate(csv.reader(io.StringIO("\n".join(lines[start + 1 :])))):
        done += sum(len(c) + 1 for c in row)
        ticker(done)
        if not row:
            continue
        if len(row) < width:
            raise fail(
                path, first_line + offset, f"the row has {len(row)} of the {width} columns it needs"
            )
        cells.extend(row[i] for i in rank_cols)
        weights.append(row[weight_col].strip())
    if not weights:
        raise fail(path, None, "no ballot rows after the table header")
    counts = _weights(path, first_line, weights)
    profile = _profile(path, first_line, candidates, cells, len(rank_cols), counts)
    ticker.finish()
    return BallotBox(profile=profile, format=NAME, title=path.stem)


def _weights(path: Path, first_line: int, weights: list[str]) -> NDArray[np.int64]:
    labels, inverse = np.unique(np.asarray(weights, dtype=object), return_inverse=True)
    values: list[int] = []
    for k, label in enumerate(labels):
        match = _WEIGHT.fullmatch(str(label))
        weight = -1 if match is None else int(match.group(1))
        if not 1 <= weight < BALLOT_LIMIT:
            line = first_line + int(np.flatnonzero(inverse == k)[0])
            if match is None:
                raise fail(path, line, f"weight {label!r} is not a whole number")
            check_count(path, line, weight)
        values.append(weight)
    return np.asarray(values, dtype=np.int64)[inverse.ravel()]


def _profile(
    path: Path,
    first_line: int,
    candidates: list[str],
    cells: list[str],
    width: int,
    counts: NDArray[np.int64],
) -> RankedProfile:
    """Collapse identical rows of cells, then place each distinct row's ranks."""
    labels, codes = np.unique(np.asarray(cells, dtype=object), return_inverse=True)
    codes = codes.reshape(-1, width).astype(np.int64)
    _, first, inverse = np.unique(row_keys(codes), return_index=True, return_inverse=True)
    distinct = codes[first]
    try:
        summed = sum_by(inverse.ravel(), check_counts(counts, len(counts)), len(distinct))
    except ProfileError as exc:
        raise fail(path, None, str(exc)) from exc
    line_of = first_line + first
    m = len(candidates)
    parsed: dict[int, list[int]] = {}
    for k, label in enumerate(labels):
        hits = np.flatnonzero(codes == k)
        parsed[k] = _cell(path, first_line + int(hits[0]) // width, str(label), m)
    rows: list[int] = []
    cols: list[int] = []
    positions: list[int] = []
    for r, key in enumerate(distinct):
        seen: set[int] = set()
        for position, code in enumerate(key):
            for cand in parsed[int(code)]:
                if cand in seen:
                    raise fail(
                        path, int(line_of[r]), f"candidate {candidates[cand]!r} is ranked twice"
                    )
                seen.add(cand)
                rows.append(r)
                cols.append(cand)
                positions.append(position)
    arrays = (
        np.asarray(rows, dtype=np.int64),
        np.asarray(cols, dtype=np.int64),
        np.asarray(positions, dtype=np.int64),
    )
    return build_profile(path, candidates, arrays, summed)


def write(box: BallotBox, path: Path) -> None:
    """Write a ranked ballot box as a VoteKit CSV (one row per distinct ballot, with its weight)."""
    profile = box.profile
    if not isinstance(profile, RankedProfile):
        raise fail(path, None, f"VoteKit rank profiles hold ranked ballots, not {profile.kind}")
    ballots = orders(profile)
    width = max([len(b) for b in ballots] + [1])
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    out.write(f"{MAGIC}\nCandidates\n")
    out.write(",".join(f"({n}:{i})" for i, n in enumerate(profile.candidates)) + "\n")
    out.write(f"Max Ranking Length\n{width}\nIncludes Voter Set\nFalse\n")
    out.write(",".join(["="] * (width + 4)) + "\n")
    writer.writerow([f"Ranking_{r}" for r in range(1, width + 1)] + ["&", "Weight", "&"])
    for row in row_order(profile):
        cells = ["{" + ", ".join(f"'{c}'" for c in group) + "}" for group in ballots[row]]
        cells += [""] * (width - len(cells))
        writer.writerow([*cells, "&", f"{int(profile.counts[row])}.0", "&"])
    try:
        path.write_text(out.getvalue(), encoding="utf-8", newline="")
    except OSError as exc:
        raise FormatError(f"{path}: cannot be written ({exc.strerror})") from exc
