"""ERS / OpenSTV ``.blt`` ballot files, read and write.

Layout: a line ``ncand nseats``; an optional line of withdrawn candidates as negative
numbers (``-2 -5``); ballot lines ``weight c1 c2 ... 0`` (candidates numbered from 1,
best first, ``c1=c2`` for an equal ranking); a line ``0`` ending the ballots; one quoted
name per candidate; a quoted title. Withdrawn candidates are removed from the profile
(every ballot then counts as if they had never been ranked) and a note says so.

The ballot lines are parsed at once (:func:`~ballots.formats._common.ranked_tokens`) when
they are all plain; a comment among them, or any mistake, has them read line by line, and
that reading says which line is wrong and how.

Lines starting with ``#`` are comments. Red Bench writes how the round was counted as
comment lines after the title, ``# redbench_method: irv`` … ``# redbench_lot_seed: <hex>``
(:class:`~ballots.box.PublishedCount`), where tools that stop at the title never look.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from ballots.box import PREFIX, BallotBox, PublishedCount, published_fields
from ballots.errors import FormatError
from ballots.formats._common import (
    Cells,
    Gathered,
    Progress,
    Ticker,
    build_profile,
    check_count,
    fail,
    filled_lines,
    orders,
    ranked_tokens,
    read_text,
    row_order,
    write_lines,
)
from engine.profile import IntArray, RankedProfile

NAME = "blt"
EXTENSIONS = (".blt",)

_QUOTED = re.compile(r'"([^"]*)"')
_COMMENT_FIELD = re.compile(r"#\s*(redbench_[a-z_]+)\s*:\s*(.*)")
_WHOLE = re.compile(r"\d+")
_DIGITS = b"0123456789"


def _header(path: Path, line: int, text: str) -> tuple[int, int]:
    parts = text.split()
    if len(parts) != 2 or not all(_WHOLE.fullmatch(p) for p in parts):
        raise fail(path, line, f"the first line must be 'candidates seats', got {text!r}")
    m, seats = int(parts[0]), int(parts[1])
    if m < 1:
        raise fail(path, line, "the number of candidates must be at least 1")
    if seats < 1:
        raise fail(path, line, "the number of seats must be at least 1")
    return m, seats


def _withdrawn(path: Path, line: int, text: str, m: int) -> list[int]:
    out: list[int] = []
    for token in text.split():
        if not re.fullmatch(r"-\d+", token):
            raise fail(path, line, f"{token!r} in the withdrawn line is not a negative number")
        number = -int(token)
        if not 1 <= number <= m:
            raise fail(path, line, f"withdrawn candidate {number} is not between 1 and {m}")
        out.append(number - 1)
    return out


def read(path: Path, progress: Progress | None = None) -> BallotBox:
    """Read a ``.blt`` file; ``seats`` comes from its first line."""
    text = read_text(path, progress)
    ticker = Ticker(progress, len(text.encode()))
    lines = text.splitlines()
    comments: dict[str, str] = {}
    start, m, seats, withdrawn = _head(path, lines, comments)
    cells, counts, end = _bulk(lines, start, m) or _by_line(path, lines, start, m, comments)
    texts: list[str] = []
    for _, line in filled_lines(lines, end + 1):
        if line.startswith("#"):
            _comment(line, comments)
        else:
            found = _QUOTED.findall(line)
            texts.extend(found if found else [line])
    if len(texts) < m:
        raise fail(
            path, None, f"expected {m} candidate names after the ballots, found {len(texts)}"
        )
    candidates = [name.strip() for name in texts[:m]]
    title = texts[m].strip() if len(texts) > m else ""
    profile = build_profile(path, candidates, cells, counts)
    notes: list[str] = []
    if withdrawn:
        gone = sorted(set(withdrawn))
        keep = [c for c in range(m) if c not in gone]
        if not keep:
            raise fail(path, None, "every candidate is withdrawn")
        profile = profile.restrict(keep)
        names = ", ".join(candidates[c] for c in gone)
        notes.append(f"withdrawn before the count and removed from every ballot: {names}")
    try:
        published = PublishedCount.from_fields(published_fields(comments))
    except FormatError as exc:
        raise fail(path, None, str(exc)) from exc
    ticker.finish()
    return BallotBox(
        profile=profile,
        format=NAME,
        title=title,
        seats=seats,
        notes=tuple(notes),
        published=published,
    )


def _head(
    path: Path, lines: list[str], comments: dict[str, str]
) -> tuple[int, int, int, list[int]]:
    """The lines before the ballots: ``(index of the first ballot line, candidates, seats,
    withdrawn candidates)``; comments on the way go into ``comments``."""
    m = seats = 0
    withdrawn: list[int] = []
    for number, line in filled_lines(lines, 0):
        if line.startswith("#"):
            _comment(line, comments)
        elif m == 0:
            m, seats = _header(path, number, line)
        elif not withdrawn and line.startswith("-"):
            withdrawn = _withdrawn(path, number, line, m)
        else:
            return number - 1, m, seats, withdrawn
    if m == 0:
        raise fail(path, None, "the file has no 'candidates seats' line")
    return len(lines), m, seats, withdrawn


def _bulk(lines: list[str], start: int, m: int) -> tuple[Cells, IntArray, int] | None:
    """The ballot lines from ``start`` to the ``0`` line parsed at once, with the index of
    that line; ``None`` unless every line is a plain ``count c1 c2=c3 ... 0`` whose numbers
    are in range (anything else — a comment, a mistake — is read line by line)."""
    try:
        end = lines.index("0", start)
    except ValueError:
        return None
    text = "\n".join(lines[start:end]) + "\n"
    if not _plain(text):
        return None
    parsed = ranked_tokens(text.replace("=", " -"), m)
    return None if parsed is None else (*parsed, end)


def _plain(text: str) -> bool:
    """Whether ``text`` holds only digits, spaces, tabs, line breaks and ``=`` between two
    digits (what the lines parsed at once may hold)."""
    try:
        data = text.encode("ascii")
    except UnicodeEncodeError:
        return False
    if data.translate(None, _DIGITS + b" \t\n="):
        return False
    if b"=" not in data:
        return True
    codes = np.frombuffer(b"\n" + data, dtype=np.uint8)
    around = np.flatnonzero(codes == ord("="))[:, None] + [-1, 1]
    return bool(np.isin(codes[around], np.frombuffer(_DIGITS, dtype=np.uint8)).all())


def _by_line(
    path: Path, lines: list[str], start: int, m: int, comments: dict[str, str]
) -> tuple[Cells, IntArray, int]:
    """The ballot lines from ``start`` read one by one, each checked; stops at the ``0``
    line and returns its index with the cells and counts."""
    gathered = Gathered()
    for number, line in filled_lines(lines, start):
        if line.startswith("#"):
            _comment(line, comments)
            continue
        if line == "0":
            return *gathered.arrays(), number - 1
        if line.startswith('"'):
            raise fail(
                path, number, "candidate names begin before the '0' line that ends the ballots"
            )
        _ballot(path, number, line, m, gathered)
        gathered.counts.append(check_count(path, number, int(line.split()[0])))
    raise fail(path, None, "no '0' line ends the ballots (is the file truncated?)")


def _comment(line: str, into: dict[str, str]) -> None:
    """Keep a ``# redbench_key: value`` comment's field; other comments say nothing."""
    match = _COMMENT_FIELD.fullmatch(line)
    if match:
        into[match.group(1)] = match.group(2).strip()


def _ballot(path: Path, line: int, text: str, m: int, gathered: Gathered) -> None:
    """Parse one ballot line ``weight c1 c2=c3 ... 0`` into ``gathered``."""
    tokens = text.split()
    weight = tokens[0]
    if not _WHOLE.fullmatch(weight):
        raise fail(path, line, f"ballot weight {weight!r} is not a whole number")
    if tokens[-1] != "0":
        raise fail(path, line, "the ballot does not end with 0")
    seen: set[int] = set()
    for position, token in enumerate(tokens[1:-1]):
        for member in token.split("="):
            if not _WHOLE.fullmatch(member):
                raise fail(path, line, f"{member or token!r} is not a candidate number")
            number = int(member)
            if number == 0:
                raise fail(path, line, "text follows the 0 that ends the ballot")
            if number > m:
                raise fail(path, line, f"candidate number {number} is not between 1 and {m}")
            if number in seen:
                raise fail(path, line, f"candidate {number} is ranked twice")
            seen.add(number)
            gathered.mark(number - 1, position)


def write(box: BallotBox, path: Path) -> None:
    """Write a ranked ballot box as ``.blt``; seats default to 1 when the box does not say.
    A published count follows the title as comment lines."""
    write_lines(path, lines(box, path))


ROWS_AT_ONCE = 4096
"""Ballot lines formed at once by :func:`lines` (their orders sorted together)."""


def lines(box: BallotBox, path: Path) -> Iterator[str]:
    """The lines of the ``.blt`` file :func:`write` makes (without their line feeds), one by
    one, so that a large file can be sent as it is written. The box is checked first: a box
    BLT cannot hold raises here, before any line."""
    profile = box.profile
    if not isinstance(profile, RankedProfile):
        raise fail(path, None, f"BLT files hold ranked ballots, not {profile.kind}")
    for name in (*profile.candidates, box.title):
        if '"' in name or "\n" in name or "\r" in name:
            raise fail(
                path, None, f"the name {name!r} has a quote or line break, which BLT cannot hold"
            )
    return _lines(box, profile)


def _lines(box: BallotBox, profile: RankedProfile) -> Iterator[str]:
    yield f"{profile.n_candidates} {box.seats or 1}"
    rows = row_order(profile)
    for start in range(0, len(rows), ROWS_AT_ONCE):
        chunk = rows[start : start + ROWS_AT_ONCE]
        for row, groups in zip(chunk, orders(profile, chunk), strict=True):
            marks = ["=".join(str(c + 1) for c in group) for group in groups]
            yield " ".join([str(int(profile.counts[row])), *marks, "0"])
    yield "0"
    yield from (f'"{name}"' for name in profile.candidates)
    yield f'"{box.title}"'
    if box.published is not None:
        yield from (f"# {PREFIX}{key}: {value}" for key, value in box.published.fields())
