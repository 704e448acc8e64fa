"""PrefLib ordinal files (2022 format): ``.soc``, ``.soi``, ``.toc`` and ``.toi``, read and write.

A file is ``# KEY: value`` header lines, ``# ALTERNATIVE NAME k: name`` for each candidate
(numbered from 1), then lines ``count: a,b,{c,d},e`` = ``count`` voters ranking
a > b > (c = d) > e. ``s`` files are strict (no ``{...}`` ties), ``t`` files may tie;
``...c`` files rank every candidate, ``...i`` files may leave candidates unranked.
The ``DATA TYPE`` header decides the kind, else the file extension.

The ballot lines are checked on their bytes and parsed at once
(:func:`~ballots.formats._common.ranked_tokens`) when they are all plain; any mistake has
them read line by line, and that reading says which line is wrong and how.

Red Bench adds how the round was counted as headers of its own, ``# REDBENCH METHOD: irv``
… ``# REDBENCH LOT SEED: <hex>`` (:class:`~ballots.box.PublishedCount`); other tools read
them as unknown metadata.
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
    has_ties,
    is_complete,
    orders,
    ranked_tokens,
    read_text,
    row_order,
    write_lines,
)
from engine.profile import IntArray, RankedProfile

NAME = "preflib"
EXTENSIONS = (".soc", ".soi", ".toc", ".toi")
DATA_TYPES = ("soc", "soi", "toc", "toi")

_HEADER = re.compile(r"#\s*([A-Z][A-Z0-9 ]*[A-Z0-9])\s*:\s?(.*)")
_ALTERNATIVE = re.compile(r"ALTERNATIVE NAME (\d+)")
_COUNT = re.compile(r"\d+")
_NL, _COLON, _COMMA, _OPEN, _CLOSE = range(5)
_CLASS = np.full(256, 255, dtype=np.uint8)
for _sign, _code in zip("\n:,{}", range(5), strict=True):
    _CLASS[ord(_sign)] = _code
_DIGIT = np.zeros(256, dtype=bool)
_DIGIT[ord("0") : ord("9") + 1] = True
_FOLLOWS = np.zeros((2, 5, 5), dtype=bool)
"""``_FOLLOWS[after a number, previous separator, separator]``: the separators of a plain
ballot line, each after what may come before it."""
_FOLLOWS[1, _NL, _COLON] = True  # the count starts the line
_FOLLOWS[1, [[_COLON], [_COMMA], [_OPEN]], [_COMMA, _CLOSE, _NL]] = True  # a candidate
_FOLLOWS[0, [_NL, _COLON, _CLOSE], _NL] = True  # a blank line, no candidates, a tie last
_FOLLOWS[0, [_COLON, _COMMA], _OPEN] = True
_FOLLOWS[0, _CLOSE, _COMMA] = True
_BLANK = re.compile(r"^[ \t]*\n", re.MULTILINE)
_TIE = re.compile(r"\{([^}]*)\}")


def _groups(path: Path, line: int, text: str, m: int, ties: bool) -> list[list[int]]:
    """``a,b,{c,d}`` as groups of 0-based candidate indices, best first."""
    groups: list[list[int]] = []
    text = text.strip()
    if not text:
        return groups
    for raw in re.split(r",(?![^{]*\})", text):
        item = raw.strip()
        if item.startswith("{") and item.endswith("}"):
            if not ties:
                raise fail(path, line, "ties {...} are not allowed in a strict (soc/soi) file")
            members = [part.strip() for part in item[1:-1].split(",")]
        else:
            members = [item]
        group: list[int] = []
        for member in members:
            if not member.isdigit():
                raise fail(path, line, f"{member or 'an empty entry'!r} is not a candidate number")
            number = int(member)
            if not 1 <= number <= m:
                raise fail(path, line, f"candidate number {number} is not between 1 and {m}")
            group.append(number - 1)
        groups.append(group)
    return groups


def read(path: Path, progress: Progress | None = None) -> BallotBox:
    """Read a PrefLib ordinal file; header totals (voters, unique orders) are checked."""
    text = read_text(path, progress)
    ticker = Ticker(progress, len(text.encode()))
    lines = text.splitlines()
    headers: dict[str, str] = {}
    names: dict[int, str] = {}
    start = _head(lines, headers, names)
    if start == len(lines):
        raise fail(path, None, "no ballot lines after the header")
    data_type, m = _start(path, start + 1, headers, names)
    cells, counts = _bulk(lines, start, m, data_type) or _by_line(path, lines, start, m, data_type)
    _check_totals(path, headers, counts)
    candidates = [names[i] for i in range(1, m + 1)]
    profile = build_profile(path, candidates, cells, counts)
    ticker.finish()
    meta = {key.lower().replace(" ", "_"): value for key, value in sorted(headers.items())}
    try:
        published = PublishedCount.from_fields(published_fields(meta))
    except FormatError as exc:
        raise fail(path, None, str(exc)) from exc
    return BallotBox(
        profile=profile,
        format=NAME,
        title=headers.get("TITLE", ""),
        seats=None if published is None else published.seats,
        notes=(f"PrefLib data type {data_type}",),
        meta={k: v for k, v in meta.items() if not k.startswith(PREFIX)},
        published=published,
    )


def _head(lines: list[str], headers: dict[str, str], names: dict[int, str]) -> int:
    """Read the ``# KEY: value`` lines into ``headers`` and ``names``; the index of the first
    ballot line (the number of lines when there is none)."""
    for number, line in filled_lines(lines, 0):
        if not line.startswith("#"):
            return number - 1
        match = _HEADER.fullmatch(line)
        if match is None:
            continue
        key, value = match.group(1), match.group(2).strip()
        alternative = _ALTERNATIVE.fullmatch(key)
        if alternative:
            names[int(alternative.group(1))] = value
        else:
            headers[key] = value
    return len(lines)


def _bulk(lines: list[str], start: int, m: int, data_type: str) -> tuple[Cells, IntArray] | None:
    """The ballot lines from ``start`` on parsed at once; ``None`` unless every line is a
    plain ``count: a,b,{c,d}`` (ties only in a ``t`` file) whose numbers are in range and
    that ranks everyone in a complete (``c``) file — anything else is read line by line."""
    text = "\n".join(lines[start:]) + "\n"
    blank = _plain(text, data_type.startswith("t"))
    if blank is None:
        return None
    if blank:
        text = _BLANK.sub("", text)
    if "{" in text:
        text = _TIE.sub(lambda tie: ",-".join(c.strip() for c in tie[1].split(",")), text)
    parsed = ranked_tokens(text.replace(":", " ").replace(",", " ").replace("\n", " 0\n"), m)
    if parsed is None:
        return None
    cells, counts = parsed
    if data_type.endswith("c") and np.any(np.bincount(cells[0], minlength=len(counts)) != m):
        return None
    return cells, counts


def _plain(text: str, ties: bool) -> bool | None:
    """``None`` unless every line of ``text`` is blank or a plain ``count: a,b,{c,d}``
    (braces only when ``ties``); else whether some line is blank.

    Checked on the bytes at once: blanks never stand alone between two numbers, each
    separator follows what may come before it (:data:`_FOLLOWS`), and braces open and close
    in turn with no line break or ``:`` between.
    """
    try:
        data = text.encode("ascii")
    except UnicodeEncodeError:
        return None
    if data.translate(None, b"0123456789 \t\n:," + (b"{}" if ties else b"")):
        return None
    codes = np.frombuffer(b"\n" + data, dtype=np.uint8)
    blank = (codes == ord(" ")) | (codes == ord("\t"))
    if blank.any():
        first = np.flatnonzero(blank[1:] & ~blank[:-1])
        last = np.flatnonzero(blank[:-1] & ~blank[1:])
        if np.any(_DIGIT[codes[first]] & _DIGIT[codes[last + 1]]):
            return None
        codes = codes[~blank]
    digit = _DIGIT[codes]
    where = np.flatnonzero(~digit)
    after_number = digit[where - 1]
    kinds = _CLASS[codes[where]]
    before = np.concatenate(([_NL], kinds[:-1]))
    if not _FOLLOWS[after_number.view(np.uint8), before, kinds].all():
        return None
    braces = np.flatnonzero(kinds >= _OPEN)
    if braces.size:
        breaks = np.cumsum(kinds <= _COLON)[braces]
        opens, closes = kinds[braces[0::2]], kinds[braces[1::2]]
        if braces.size % 2 or np.any(opens != _OPEN) or np.any(closes != _CLOSE):
            return None
        if np.any(breaks[0::2] != breaks[1::2]):
            return None
    return bool(np.any(((kinds == _NL) & ~after_number & (before == _NL))[1:]))


def _by_line(
    path: Path, lines: list[str], start: int, m: int, data_type: str
) -> tuple[Cells, IntArray]:
    """The ballot lines from ``start`` on read one by one, each checked."""
    gathered = Gathered()
    for number, line in filled_lines(lines, start):
        if line.startswith("#"):
            raise fail(path, number, "header line after the first ballot line")
        count_text, colon, order_text = line.partition(":")
        if not colon:
            raise fail(path, number, "a ballot line must look like 'count: a,b,{c,d}'")
        if not _COUNT.fullmatch(count_text.strip()):
            raise fail(path, number, f"ballot count {count_text.strip()!r} is not a whole number")
        groups = _groups(path, number, order_text, m, data_type.startswith("t"))
        seen: set[int] = set()
        for position, group in enumerate(groups):
            for cand in group:
                if cand in seen:
                    raise fail(path, number, f"candidate {cand + 1} is ranked twice")
                seen.add(cand)
                gathered.mark(cand, position)
        if data_type.endswith("c") and len(seen) != m:
            raise fail(
                path, number, f"a complete ({data_type}) ballot must rank all {m} candidates"
            )
        gathered.counts.append(check_count(path, number, int(count_text)))
    return gathered.arrays()


def _start(
    path: Path, line: int, headers: dict[str, str], names: dict[int, str]
) -> tuple[str, int]:
    """Check the header once the first ballot line is reached: data type and candidates."""
    data_type = headers.get("DATA TYPE", "").strip().lower()
    if not data_type:
        data_type = path.suffix.lower().lstrip(".")
    if data_type not in DATA_TYPES:
        raise fail(
            path,
            None,
            f"PrefLib data type {data_type!r} is not an ordinal type ({', '.join(DATA_TYPES)})",
        )
    declared = headers.get("NUMBER ALTERNATIVES")
    if declared is None:
        m = max(names, default=0)
    elif declared.isdigit():
        m = int(declared)
    else:
        raise fail(path, None, f"NUMBER ALTERNATIVES {declared!r} is not a whole number")
    if m == 0:
        raise fail(path, line, "no '# ALTERNATIVE NAME k: name' lines before the ballots")
    missing = [str(k) for k in range(1, m + 1) if k not in names]
    if missing:
        raise fail(path, None, f"no ALTERNATIVE NAME line for candidate {', '.join(missing)}")
    extra = [str(k) for k in sorted(names) if not 1 <= k <= m]
    if extra:
        raise fail(path, None, f"ALTERNATIVE NAME {', '.join(extra)} beyond the {m} candidates")
    return data_type, m


def _check_totals(path: Path, headers: dict[str, str], counts: IntArray) -> None:
    """The ``NUMBER VOTERS`` and ``NUMBER UNIQUE ORDERS`` headers must match the ballots."""
    voters = headers.get("NUMBER VOTERS")
    total = int(counts.sum())
    if voters is not None and voters.isdigit() and int(voters) != total:
        raise fail(
            path,
            None,
            f"the header says {int(voters)} voters but the ballot lines add up to {total}"
            " (is the file truncated?)",
        )
    unique = headers.get("NUMBER UNIQUE ORDERS")
    if unique is not None and unique.isdigit() and int(unique) != len(counts):
        raise fail(
            path,
            None,
            f"the header says {int(unique)} unique orders but there are {len(counts)} ballot lines",
        )


def data_type_for(profile: RankedProfile, path: Path) -> str:
    """The data type a file at ``path`` gets: its extension's, checked against the ballots.

    Any other extension gets the narrowest type that holds the ballots.
    """
    ties = has_ties(profile)
    complete = is_complete(profile)
    wanted = path.suffix.lower().lstrip(".")
    if wanted not in DATA_TYPES:
        return ("t" if ties else "s") + ("oc" if complete else "oi")
    if ties and wanted.startswith("s"):
        raise fail(
            path,
            None,
            f"some ballots have ties, which a strict .{wanted} file cannot hold; use .toi",
        )
    if not complete and wanted.endswith("c"):
        better = "toi" if ties else "soi"
        raise fail(
            path,
            None,
            f"some ballots leave candidates unranked, which a complete .{wanted} file cannot hold;"
            f" use .{better}",
        )
    return wanted


def write(box: BallotBox, path: Path) -> None:
    """Write a ranked ballot box as a PrefLib file; the extension picks the data type. A
    published count is written as ``# REDBENCH …`` headers before the alternatives."""
    write_lines(path, lines(box, path))


ROWS_AT_ONCE = 4096
"""Ballot lines formed at once by :func:`lines` (their orders sorted together)."""


def lines(box: BallotBox, path: Path) -> Iterator[str]:
    """The lines of the PrefLib file :func:`write` makes at ``path`` (without their line
    feeds), one by one, so that a large file can be sent as it is written. The box is
    checked first: a box the file cannot hold raises here, before any line."""
    profile = box.profile
    if not isinstance(profile, RankedProfile):
        raise fail(path, None, f"PrefLib ordinal files hold ranked ballots, not {profile.kind}")
    data_type = data_type_for(profile, path)
    for name in (*profile.candidates, box.title):
        if "\n" in name or "\r" in name:
            raise fail(path, None, f"the name {name!r} has a line break, which PrefLib cannot hold")
    return _lines(box, profile, path.name, data_type)


def _lines(box: BallotBox, profile: RankedProfile, name: str, data_type: str) -> Iterator[str]:
    yield from (
        f"# FILE NAME: {name}",
        f"# TITLE: {box.title}",
        f"# DESCRIPTION: {box.meta.get('description', '')}",
        f"# DATA TYPE: {data_type}",
        "# MODIFICATION TYPE: original",
        "# RELATES TO: ",
        "# RELATED FILES: ",
        f"# PUBLICATION DATE: {box.meta.get('publication_date', '')}",
        f"# MODIFICATION DATE: {box.meta.get('modification_date', '')}",
        f"# NUMBER ALTERNATIVES: {profile.n_candidates}",
        f"# NUMBER VOTERS: {profile.total}",
        f"# NUMBER UNIQUE ORDERS: {len(profile.counts)}",
    )
    if box.published is not None:
        yield from (
            f"# {(PREFIX + key).upper().replace('_', ' ')}: {value}"
            for key, value in box.published.fields()
        )
    yield from (f"# ALTERNATIVE NAME {i}: {n}" for i, n in enumerate(profile.candidates, start=1))
    rows = row_order(profile)
    for start in range(0, len(rows), ROWS_AT_ONCE):
        chunk = rows[start : start + ROWS_AT_ONCE]
        for row, groups in zip(chunk, orders(profile, chunk), strict=True):
            parts = []
            for group in groups:
                numbers = ",".join(str(c + 1) for c in group)
                parts.append(numbers if len(group) == 1 else "{" + numbers + "}")
            yield f"{int(profile.counts[row])}: {','.join(parts)}".rstrip()
