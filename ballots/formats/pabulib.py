"""pabulib ``.pb`` participatory-budgeting files (approval votes), read and write.

Layout: three sections, each a heading line (``META``, ``PROJECTS``, ``VOTES``) followed by
a header row and ``;``-separated rows with ``"``-quoted fields. META holds ``key;value``
pairs (``budget``, ``vote_type`` ...); PROJECTS one row per project (``project_id``,
``cost``, optional ``name``, ``votes``, ``selected`` ...); VOTES one row per voter
(``voter_id``, ``vote`` = comma-separated approved project ids).

META and PROJECTS are read as CSV; the VOTES rows, when they are plain unquoted lines
after the other sections, are split and looked up at once, else read row by row (which
says which row is wrong and how).

Red Bench adds META rows of its own: how the round was counted, ``redbench_method`` …
``redbench_lot_seed`` (:class:`~ballots.box.PublishedCount`), and ``redbench_candidates``
``name``, which says the projects are counted under their ``name`` column (the names the
lot was drawn with); the reader then gives the profile those names.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from itertools import repeat
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from ballots.box import PREFIX, BallotBox, PublishedCount, published_fields
from ballots.errors import FormatError
from ballots.formats._common import Progress, Ticker, fail, read_text
from engine.errors import ProfileError
from engine.profile import ApprovalProfile

NAME = "pabulib"
EXTENSIONS = (".pb",)

SECTIONS = ("META", "PROJECTS", "VOTES")
NAME_KEY = "project.{}.name"
"""``BallotBox.meta`` key under which a project's title (the ``name`` column) is kept."""
CANDIDATES_KEY = PREFIX + "candidates"
"""META key whose value ``name`` says the projects are counted under their ``name`` column."""

_VOTES = re.compile(r"^[ \t]*VOTES[ \t;]*\r?\n[^\n]*\S[^\n]*\n", re.MULTILINE | re.IGNORECASE)
"""The VOTES heading and the line after it, its header row."""
_HEADING = re.compile(
    r"^[^\S\n]*(?:META|PROJECTS|VOTES)[^\S\n;]*(?:;[^\S\n]*)*$", re.MULTILINE | re.IGNORECASE
)
_BLANK_ROW = re.compile(r"^[^\S\n]*(?:;[^\S\n]*)*\n", re.MULTILINE)


def _rows(text: str, ticker: Ticker, first: int = 1) -> Iterator[tuple[int, list[str]]]:
    """``(line number, fields)`` for every non-blank row, quoted fields unquoted; the text's
    first line is line ``first``."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";", quotechar='"')
    done = 0
    read = first - 1
    for fields in reader:
        start, read = read + 1, first - 1 + reader.line_num
        done += sum(len(f) + 1 for f in fields)
        ticker(done)
        if any(f.strip() for f in fields):
            yield start, [f.strip() for f in fields]


def _sections(path: Path, text: str, ticker: Ticker) -> dict[str, list[tuple[int, list[str]]]]:
    """Rows per section (the section's header row first), in file order."""
    found: dict[str, list[tuple[int, list[str]]]] = {}
    current: str | None = None
    for number, fields in _rows(text, ticker):
        heading = fields[0].upper() if len(fields) == 1 or not any(fields[1:]) else ""
        if heading in SECTIONS:
            if heading in found:
                raise fail(path, number, f"a second {heading} section")
            current = heading
            found[heading] = []
            continue
        if current is None:
            raise fail(path, number, "text before the META section")
        found[current].append((number, fields))
    for heading in SECTIONS:
        if heading not in found:
            raise fail(path, None, f"the {heading} section is missing")
        if not found[heading]:
            raise fail(path, None, f"the {heading} section has no header row")
    return found


def _columns(
    path: Path, section: str, header: tuple[int, list[str]], needed: tuple[str, ...]
) -> dict[str, int]:
    number, fields = header
    columns = {name.lower(): i for i, name in enumerate(fields)}
    for name in needed:
        if name not in columns:
            raise fail(path, number, f"the {section} header has no {name} column")
    return columns


def _field(path: Path, number: int, fields: list[str], columns: dict[str, int], name: str) -> str:
    index = columns[name]
    if index >= len(fields):
        raise fail(path, number, f"the row has no {name} field")
    return fields[index]


def _optional(fields: list[str], columns: dict[str, int], name: str) -> str:
    index = columns.get(name, len(fields))
    return fields[index] if index < len(fields) else ""


def _amount(path: Path, number: int, text: str, what: str) -> float:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise fail(path, number, f"{what} {text!r} is not a number") from None
    if not value.is_finite() or value < 0:
        raise fail(path, number, f"{what} {text!r} is not a number of at least 0")
    if value != value.quantize(Decimal("0.01")):
        raise fail(path, number, f"{what} {text!r} is not a whole number of cents")
    return float(value)


def read(path: Path, progress: Progress | None = None) -> BallotBox:
    """Read an approval ``.pb`` file; the ``selected`` column becomes ``official``."""
    text = read_text(path, progress)
    ticker = Ticker(progress, len(text))
    sections, body, first = _split(path, text, ticker)
    meta: dict[str, str] = {}
    where: dict[str, int] = {}
    for number, fields in sections["META"][1:]:
        if len(fields) < 2:
            raise fail(path, number, f"META row {fields[0]!r} has no value")
        meta[fields[0]] = fields[1]
        where[fields[0]] = number
    kind = meta.get("vote_type", "approval")
    if kind != "approval":
        raise fail(
            path,
            where["vote_type"],
            f"vote_type {kind} is not supported; only approval votes can be read",
        )
    if "budget" not in meta:
        raise fail(path, None, "the META section has no budget")
    budget = _amount(path, where["budget"], meta["budget"], "the budget")

    header, *rows = sections["PROJECTS"]
    columns = _columns(path, "PROJECTS", header, ("project_id", "cost"))
    ids: list[str] = []
    costs: list[float] = []
    official: list[str] = []
    for number, fields in rows:
        pid = _field(path, number, fields, columns, "project_id")
        if not pid:
            raise fail(path, number, "empty project_id")
        if pid in ids:
            raise fail(path, number, f"project {pid} is listed twice")
        ids.append(pid)
        costs.append(
            _amount(
                path,
                number,
                _field(path, number, fields, columns, "cost"),
                f"the cost of project {pid}",
            )
        )
        if _optional(fields, columns, "name"):
            meta[NAME_KEY.format(pid)] = _optional(fields, columns, "name")
        if _optional(fields, columns, "selected") not in ("", "0"):
            official.append(pid)
    if not ids:
        raise fail(path, header[0], "the PROJECTS section lists no project")

    has_selected = "selected" in columns
    header, *rows = sections["VOTES"]
    columns = _columns(path, "VOTES", header, ("voter_id", "vote"))
    index = {pid: i for i, pid in enumerate(ids)}
    marks = None if body is None else _bulk(body, columns["vote"], index)
    if marks is None:
        if body is not None:
            rows += list(_rows(body, ticker, first))
        marks = _by_row(path, rows, columns, index)
    try:
        published = PublishedCount.from_fields(published_fields(meta))
    except FormatError as exc:
        raise fail(path, where.get(PREFIX + "method"), str(exc)) from exc
    names = _candidates(path, meta, where, ids)
    try:
        profile = ApprovalProfile.from_matrix(names, marks, costs=costs, budget=budget)
    except ProfileError as exc:
        raise fail(path, None, str(exc)) from exc
    ticker.finish()
    title = meta.get("description", "")
    renamed = dict(zip(ids, names, strict=True))
    return BallotBox(
        profile=profile,
        format=NAME,
        title=title,
        seats=None if published is None else published.seats,
        official=tuple(renamed[pid] for pid in official) if has_selected else None,
        meta={k: v for k, v in meta.items() if not k.startswith(PREFIX)},
        published=published,
    )


def _split(
    path: Path, text: str, ticker: Ticker
) -> tuple[dict[str, list[tuple[int, list[str]]]], str | None, int]:
    """The sections up to the VOTES header row, the VOTES rows after it as text and the
    number of their first line; when the VOTES section is not plainly the last (or a quoted
    field might hide where it starts), all sections and no text."""
    heading = _VOTES.search(text)
    if heading is not None:
        head, body = text[: heading.end()], text[heading.end() :]
        lines = head.count("\n")
        plain = head.count('"') % 2 == 0 and head.count("\r") in (0, head.count("\r\n"))
        if plain and _HEADING.search(body) is None:
            try:
                sections = _sections(path, head, ticker)
            except FormatError:
                sections = {}
            if sections and sections["VOTES"][0][0] == lines:
                return sections, body, lines + 1
    return _sections(path, text, ticker), None, 0


def _bulk(body: str, column: int, index: dict[str, int]) -> NDArray[np.bool_] | None:
    """The approvals of the VOTES rows in ``body`` found at once: the ``column`` field of
    every line, split at its commas, looked up in ``index``. ``None`` unless every row is a
    plain unquoted line with that field, approving known projects once each (anything else
    is read row by row)."""
    if '"' in body:
        return None
    body = body.replace("\r\n", "\n")
    if "\r" in body:
        return None
    if not body.endswith("\n"):
        body += "\n"
    votes = re.findall(rf"^(?:[^;\n]*;){{{column}}}([^;\n]*)", body, re.MULTILINE)
    if len(votes) != body.count("\n") or _BLANK_ROW.search(body):
        return None
    tokens = ",\n,".join(votes).split(",")
    lookup = {**index, "\n": -2, "": -3}
    codes = np.fromiter(map(lookup.get, tokens, repeat(-1)), dtype=np.int64, count=len(tokens))
    for at in np.flatnonzero(codes == -1):
        codes[at] = lookup.get(tokens[at].strip(), -1)
    if np.any(codes == -1):
        return None
    voters = np.cumsum(codes == -2)
    approved = codes >= 0
    rows, cols = voters[approved], codes[approved]
    m = len(index)
    if rows.size and int(np.bincount(rows * m + cols).max()) > 1:
        return None
    marks = np.zeros((len(votes), m), dtype=bool)
    marks[rows, cols] = True
    return marks


def _by_row(
    path: Path, rows: list[tuple[int, list[str]]], columns: dict[str, int], index: dict[str, int]
) -> NDArray[np.bool_]:
    """The approvals of the VOTES rows read one by one, each checked."""
    marks = np.zeros((len(rows), len(index)), dtype=bool)
    for row, (number, fields) in enumerate(rows):
        vote = _field(path, number, fields, columns, "vote")
        for pid in (p.strip() for p in vote.split(",")):
            if not pid:
                continue
            if pid not in index:
                raise fail(path, number, f"vote for unknown project {pid}")
            if marks[row, index[pid]]:
                raise fail(path, number, f"project {pid} is approved twice")
            marks[row, index[pid]] = True
    return marks


def _candidates(
    path: Path, meta: dict[str, str], where: dict[str, int], ids: list[str]
) -> list[str]:
    """The projects' names in the profile: their ids, or their ``name`` column when the
    META says ``redbench_candidates;name`` (each name then given once)."""
    by = meta.get(CANDIDATES_KEY, "project_id")
    if by == "project_id":
        return ids
    line = where[CANDIDATES_KEY]
    if by != "name":
        raise fail(path, line, f"{CANDIDATES_KEY} {by!r} is neither name nor project_id")
    names = [meta.get(NAME_KEY.format(pid), "") for pid in ids]
    for pid, name in zip(ids, names, strict=True):
        if not name:
            raise fail(path, line, f"{CANDIDATES_KEY} is name but project {pid} has no name")
    if len(set(names)) != len(names):
        twice = next(n for n in names if names.count(n) > 1)
        raise fail(path, line, f"{CANDIDATES_KEY} is name but the name {twice!r} is given twice")
    return names


def _number(value: float) -> str:
    text = format(Decimal(repr(float(value))).quantize(Decimal("0.01")), "f")
    return text.removesuffix(".00")


def write(box: BallotBox, path: Path) -> None:
    """Write an approval ballot box with costs and budget as ``.pb``, one VOTES row per voter;
    a published count goes into META."""
    profile = box.profile
    if not isinstance(profile, ApprovalProfile):
        raise fail(path, None, f"pabulib files hold approval ballots, not {profile.kind}")
    if profile.costs is None or profile.budget is None:
        raise fail(path, None, "pabulib files need a cost for every project and a budget")
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", quotechar='"', lineterminator="\n")
    meta = {k: v for k, v in box.meta.items() if not k.startswith("project.")}
    if box.published is not None:
        meta.update((PREFIX + key, value) for key, value in box.published.fields())
    if box.title:
        meta["description"] = box.title
    meta.update(
        num_projects=str(profile.n_candidates),
        num_votes=str(profile.total),
        budget=_number(profile.budget),
        vote_type="approval",
    )
    writer.writerow(["META"])
    writer.writerow(["key", "value"])
    writer.writerows(sorted(meta.items()))
    support = profile.approval_counts()
    titles = [box.meta.get(NAME_KEY.format(pid), "") for pid in profile.candidates]
    header = ["project_id", "cost", "votes"]
    header += ["name"] if any(titles) else []
    header += ["selected"] if box.official is not None else []
    writer.writerow(["PROJECTS"])
    writer.writerow(header)
    selected = set(box.official or ())
    for c, pid in enumerate(profile.candidates):
        row = [pid, _number(profile.costs[c]), str(int(support[c]))]
        row += [titles[c]] if any(titles) else []
        row += ["1" if pid in selected else "0"] if box.official is not None else []
        writer.writerow(row)
    writer.writerow(["VOTES"])
    writer.writerow(["voter_id", "vote"])
    voter = 0
    for approvals, count in zip(profile.approvals, profile.counts, strict=True):
        vote = ",".join(profile.candidates[c] for c in np.flatnonzero(approvals))
        for _ in range(int(count)):
            voter += 1
            writer.writerow([str(voter), vote])
    try:
        path.write_text(out.getvalue(), encoding="utf-8")
    except OSError as exc:
        raise FormatError(f"{path}: cannot be written ({exc.strerror})") from exc
