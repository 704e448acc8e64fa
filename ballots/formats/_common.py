"""Plumbing shared by the ballot file readers and writers: opening and decoding files,
progress reports, one-line error messages and turning parsed positions into a profile."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from ballots.errors import FormatError
from engine.counts import BALLOT_LIMIT, too_many
from engine.errors import ProfileError
from engine.profile import UNRANKED, RankedProfile

Progress = Callable[[int, int], None]
"""Called with ``(bytes_done, bytes_total)`` while a large file is read."""

REPORT_EVERY = 1 << 18
"""Bytes between two progress reports."""


def at(path: Path, line: int | None = None) -> str:
    """The place an error message starts with: ``"ballots.blt"`` or ``"ballots.blt, line 4"``."""
    return path.name if line is None else f"{path.name}, line {line}"


def fail(path: Path, line: int | None, message: str) -> FormatError:
    """A :class:`FormatError` whose message names the file (and line) and what is wrong."""
    return FormatError(f"{at(path, line)}: {message}")


def check_count(path: Path, line: int | None, count: int) -> int:
    """A ballot line's count, refused unless it stands for at least one ballot and fewer
    than :data:`~engine.counts.BALLOT_LIMIT` (a line of 0 ballots could only mislead)."""
    if count < 1:
        raise fail(path, line, f"ballot count {count}: a line must stand for at least one ballot")
    if count >= BALLOT_LIMIT:
        raise fail(path, line, too_many(count))
    return count


def check_file(path: Path) -> int:
    """The size of ``path`` in bytes; a missing file, a directory or an empty file is an error."""
    if not path.exists():
        raise FormatError(f"{path}: no such file")
    if path.is_dir():
        raise FormatError(f"{path}: is a directory, not a ballot file")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise FormatError(f"{path}: cannot be read ({exc.strerror})") from exc
    if size == 0:
        raise FormatError(f"{path}: the file is empty")
    return size


def read_bytes(path: Path, progress: Progress | None = None) -> bytes:
    """The whole content of a ballot file, after :func:`check_file`."""
    size = check_file(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FormatError(f"{path}: cannot be read ({exc.strerror})") from exc
    if progress is not None:
        progress(0, size)
    return data


def write_lines(path: Path, lines: Iterator[str]) -> None:
    """Write a file's lines (given without their line feeds) as UTF-8 text."""
    text = "".join(line + "\n" for line in lines)
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise FormatError(f"{path}: cannot be written ({exc.strerror})") from exc


def decode(path: Path, data: bytes) -> str:
    """UTF-8 text (a leading byte-order mark is dropped); bad bytes name their line."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise fail(
            path, line, f"is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})"
        ) from exc


def read_text(path: Path, progress: Progress | None = None) -> str:
    """The file decoded as UTF-8 text; a text that is only white space counts as empty."""
    text = decode(path, read_bytes(path, progress))
    if not text.strip():
        raise FormatError(f"{path}: the file is empty")
    return text


class Ticker:
    """Reports progress through a text at most once per :data:`REPORT_EVERY` bytes."""

    def __init__(self, progress: Progress | None, total: int) -> None:
        self.progress = progress
        self.total = total
        self.last = 0

    def __call__(self, done: int) -> None:
        if self.progress is not None and done - self.last >= REPORT_EVERY:
            self.last = done
            self.progress(min(done, self.total), self.total)

    def finish(self) -> None:
        if self.progress is not None:
            self.progress(self.total, self.total)


def numbered_lines(text: str, ticker: Ticker | None = None) -> Iterator[tuple[int, str]]:
    """``(line number, stripped line)`` for every line, reporting progress on the way."""
    done = 0
    for number, line in enumerate(text.splitlines(), start=1):
        done += len(line) + 1
        if ticker is not None:
            ticker(done)
        yield number, line.strip()


def build_profile(
    path: Path,
    candidates: Sequence[str],
    cells: tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]],
    counts: NDArray[np.int64],
) -> RankedProfile:
    """A profile from ``(row, candidate, position)`` triples, one row per ballot line.

    Candidates without a triple in a row are unranked in it; equal positions are ties.
    """
    rows, cols, positions = cells
    table = np.full((len(counts), len(candidates)), -1, dtype=np.int64)
    table[rows, cols] = positions
    try:
        return RankedProfile.from_ranks(candidates, table, counts)
    except ProfileError as exc:
        raise fail(path, None, str(exc)) from exc


def orders(profile: RankedProfile, rows: Sequence[int] | None = None) -> list[list[list[int]]]:
    """Each profile row (or each of ``rows``, in their order) as groups of candidate indices,
    best group first (ties share a group).

    Within a group candidates keep their index order, so written files are deterministic.
    The rows are sorted all at once (numpy); only the grouping is done row by row.
    """
    ranks = profile.ranks if rows is None else profile.ranks[np.asarray(rows, dtype=np.intp)]
    if ranks.shape[0] == 0:
        return []
    m = ranks.shape[1]
    ranked = ranks != UNRANKED
    keys = np.where(ranked, ranks.astype(np.int64) * m + np.arange(m), np.iinfo(np.int64).max)
    order = np.argsort(keys, axis=1, kind="stable")
    levels = np.take_along_axis(ranks, order, axis=1)
    out: list[list[list[int]]] = []
    for row, row_levels, k in zip(
        order.tolist(), levels.tolist(), ranked.sum(axis=1).tolist(), strict=True
    ):
        groups: list[list[int]] = []
        previous = -1
        for candidate, level in zip(row[:k], row_levels[:k], strict=True):
            if level != previous:
                groups.append([])
                previous = level
            groups[-1].append(candidate)
        out.append(groups)
    return out


def row_order(profile: RankedProfile) -> list[int]:
    """Row indices by count, largest first (the profile's canonical order breaks equal counts)."""
    return [int(i) for i in np.argsort(-profile.counts, kind="stable")]


def has_ties(profile: RankedProfile) -> bool:
    """Whether some ballot ranks two candidates equally."""
    ranks = profile.ranks
    if ranks.size == 0:
        return False
    ranked = np.where(ranks == UNRANKED, -1, ranks)
    per_row = (ranked >= 0).sum(axis=1)
    distinct = np.where(ranked >= 0, ranked, -1).max(axis=1) + 1
    return bool(np.any(per_row > distinct))


def is_complete(profile: RankedProfile) -> bool:
    """Whether every ballot ranks every candidate."""
    return not bool(np.any(profile.ranks == UNRANKED))


Cells = tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]
"""``(row, candidate, position)`` triples, one row per ballot line (see :func:`build_profile`)."""


def filled_lines(lines: list[str], start: int) -> Iterator[tuple[int, str]]:
    """``(line number, stripped line)`` for the lines that are not blank from index ``start``."""
    for index in range(start, len(lines)):
        line = lines[index].strip()
        if line:
            yield index + 1, line


class Gathered:
    """Cells and counts collected one ballot line at a time, by a reader going line by line."""

    def __init__(self) -> None:
        self.rows: list[int] = []
        self.cols: list[int] = []
        self.positions: list[int] = []
        self.counts: list[int] = []

    def mark(self, candidate: int, position: int) -> None:
        """The ballot line being read ranks ``candidate`` at ``position``."""
        self.rows.append(len(self.counts))
        self.cols.append(candidate)
        self.positions.append(position)

    def arrays(self) -> tuple[Cells, NDArray[np.int64]]:
        cells = (
            np.asarray(self.rows, dtype=np.int64),
            np.asarray(self.cols, dtype=np.int64),
            np.asarray(self.positions, dtype=np.int64),
        )
        return cells, np.asarray(self.counts, dtype=np.int64)


def ranked_tokens(text: str, m: int) -> tuple[Cells, NDArray[np.int64]] | None:
    """The cells and counts of ballot lines ``count c1 c2 -c3 ... 0``, parsed in one step: a
    count, candidate numbers from 1 (a negative number shares the position of the candidate
    before it) and a lone ``0`` ending every line that is not blank.

    ``text`` holds only digits, spaces, tabs, ``-`` before a number and ``\n`` ending every
    line. ``None`` when the lines are not all of that shape, or a line needs a closer look (a
    count of 0 or of :data:`BALLOT_LIMIT` and above, a candidate number above ``m``, a
    candidate ranked twice): the reader then reads the lines one by one and says which line
    is wrong and how.
    """
    if not text.strip():
        empty = np.zeros(0, dtype=np.int64)
        return (empty, empty, empty), empty
    lines = _ending_in_zero(text)
    if lines is None:
        return None
    tokens = np.fromstring(text, dtype=np.int64, sep=" ")
    ends = np.flatnonzero(tokens == 0)
    if len(ends) != lines:
        return None
    starts = np.concatenate(([0], ends[:-1] + 1))
    counts = tokens[starts]
    if int(counts.min()) < 1 or int(counts.max()) >= BALLOT_LIMIT:
        return None
    inner = np.ones(len(tokens), dtype=bool)
    inner[starts] = False
    inner[ends] = False
    values = tokens[inner]
    lengths = ends - starts - 1
    firsts = (np.cumsum(lengths) - lengths)[lengths > 0]
    if values.size and int(values[firsts].min()) < 0:
        return None
    rows = np.repeat(np.arange(len(starts), dtype=np.int64), lengths)
    cols = np.abs(values) - 1
    if values.size and (int(cols.max()) >= m or _twice(rows, cols, firsts, m)):
        return None
    group = np.cumsum(values > 0)  # a row's first cell always opens a group
    return (rows, cols, group - np.repeat(group[firsts], lengths[lengths > 0])), counts


def _ending_in_zero(text: str) -> int | None:
    """How many lines of ``text`` are not blank, if every one of them ends with a lone ``0``."""
    if " \n" in text or "\t\n" in text:
        text = re.sub(r"[ \t]+\n", "\n", text)
    data = np.frombuffer(("\n" + text).encode("ascii"), dtype=np.uint8)
    breaks = np.flatnonzero(data == ord("\n"))[1:]
    last = data[breaks - 1]
    blank = last == ord("\n")
    before = data[breaks[~blank] - 2]
    lone = (last[~blank] == ord("0")) & ((before == ord(" ")) | (before == ord("\t")))
    return int(lone.size) if bool(lone.all()) else None


def _twice(
    rows: NDArray[np.int64], cols: NDArray[np.int64], firsts: NDArray[np.int64], m: int
) -> bool:
    """Whether some row holds a candidate twice (``rows`` sorted, ``firsts`` the index of each
    row's first cell): with few candidates a row's bits OR-ed differ from the same bits added."""
    if m > 62:
        return int(np.bincount(rows * m + cols).max()) > 1
    bits = np.left_shift(np.int64(1), cols)
    return bool(np.any(np.bitwise_or.reduceat(bits, firsts) != np.add.reduceat(bits, firsts)))
