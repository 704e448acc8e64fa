"""The Alaska text profile (``jirin1a/alaska_irv_2022``), read only.

Line 1 lists the candidates with ``_`` standing for a comma (``Begich_ Nick`` is
"Begich, Nick"); line 2 their parties; a ``-+-+-`` rule; then lines ``(A,B,C) : count``,
one per distinct ballot, best first. Candidates a ballot leaves out are unranked.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from ballots.box import BallotBox
from ballots.formats._common import (
    Progress,
    Ticker,
    build_profile,
    check_count,
    fail,
    numbered_lines,
    read_text,
)

NAME = "alaska"
EXTENSIONS = (".profile",)

_BALLOT = re.compile(r"\((.*)\)\s*:\s*(\S+)")


def _name(raw: str) -> str:
    return raw.strip().replace("_", ",")


def read(path: Path, progress: Progress | None = None) -> BallotBox:
    """Read an Alaska ``.profile`` file."""
    text = read_text(path, progress)
    ticker = Ticker(progress, len(text.encode()))
    lines = numbered_lines(text, ticker)
    header: list[str] = []
    for _, line in lines:
        if line.startswith("-+-"):
            break
        if line:
            header.append(line)
    else:
        raise fail(path, None, "no '-+-+-' line ends the header")
    if not header:
        raise fail(path, 1, "the first line must list the candidates")
    raw_names = [n.strip() for n in header[0].split(",")]
    index = {raw: i for i, raw in enumerate(raw_names)}
    parties = [p.strip() for p in header[1].split(",")] if len(header) > 1 else []
    rows: list[int] = []
    cols: list[int] = []
    positions: list[int] = []
    counts: list[int] = []
    for number, line in lines:
        if not line:
            continue
        match = _BALLOT.fullmatch(line)
        if match is None:
            raise fail(path, number, "a ballot line must look like '(A,B,C) : count'")
        if not match.group(2).isdigit():
            raise fail(path, number, f"ballot count {match.group(2)!r} is not a whole number")
        seen: set[int] = set()
        order = (
            [part.strip() for part in match.group(1).split(",")] if match.group(1).strip() else []
        )
        for position, raw in enumerate(order):
            if raw not in index:
                raise fail(path, number, f"unknown candidate {_name(raw)!r}")
            if index[raw] in seen:
                raise fail(path, number, f"candidate {_name(raw)!r} is ranked twice")
            seen.add(index[raw])
            rows.append(len(counts))
            cols.append(index[raw])
            positions.append(position)
        counts.append(check_count(path, number, int(match.group(2))))
    if not counts:
        raise fail(path, None, "no ballot lines after the header")
    cells = (
        np.asarray(rows, dtype=np.int64),
        np.asarray(cols, dtype=np.int64),
        np.asarray(positions, dtype=np.int64),
    )
    candidates = [_name(raw) for raw in raw_names]
    profile = build_profile(path, candidates, cells, np.asarray(counts, dtype=np.int64))
    ticker.finish()
    meta = {"parties": ",".join(parties)} if parties else {}
    return BallotBox(
        profile=profile,
        format=NAME,
        title=path.stem,
        notes=("'_' in candidate names read as ',' (Begich_ Nick -> Begich, Nick)",),
        meta=meta,
    )
