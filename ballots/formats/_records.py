"""What the readers of certified tabulators' records share (:mod:`~ballots.formats.cdf`,
:mod:`~ballots.formats.dominion`, :mod:`~ballots.formats.hart`,
:mod:`~ballots.formats.clearballot`): the marks a record holds, logged as flat integer
arrays while it is parsed (:class:`MarkLog`), turned into the label-code table of
:class:`~ballots.formats._cvr_cells.Marks` on whole arrays (:func:`build_marks`), the choice
of one contest among several, and the files of a record kept in a folder or a zip archive.

Per rank of a ballot the candidates marked give the label: one candidate -> its name; none ->
``undervote``, a skipped rank (not ``""``, which a rule may read as a blank write-in cell);
two or more -> their names joined with :data:`~ballots.formats._cvr_cells.OVERVOTE_SEP` (the
counting rules decide what an overvote does). An undeclared write-in is the label ``UWI``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
import zipfile
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np
from numpy.typing import NDArray

from ballots.errors import FormatError
from ballots.formats._common import Progress, Ticker, check_file, fail
from ballots.formats._cvr_cells import OVERVOTE_SEP, Marks
from ballots.formats.cvr import UNDERVOTE, WRITE_IN

__all__ = [
    "MAX_RANK",
    "WRITE_IN",
    "Contest",
    "MarkLog",
    "Member",
    "Tags",
    "build_marks",
    "choose_contest",
    "local",
    "members",
    "read_members",
    "top_elements",
    "write_in_name",
    "xml_root",
]

MAX_RANK = 1000
"""The highest rank a record may give a mark: a larger one is taken for a damaged record
(no ballot has that many ranks, and the table of ranks would be needlessly large)."""


@dataclass(frozen=True)
class Contest:
    """A contest a record holds: its id in the record and its name (``""`` if none)."""

    id: str
    name: str

    def said(self) -> str:
        """The contest as a message names it: ``id 'name'``."""
        return f"{self.id} {self.name!r}" if self.name and self.name != self.id else self.id


def choose_contest(path: Path, contests: list[Contest], wanted: str | None) -> Contest:
    """The contest to count: the one ``wanted`` names (by id, else by name), or the only one.

    With several contests and none named, or a name that matches none or several, the
    error lists the contests, so the user can name one (``--contest``).
    """
    listed = "; ".join(contest.said() for contest in contests)
    if not contests:
        raise fail(path, None, "the record holds no contest")
    if wanted is None:
        if len(contests) == 1:
            return contests[0]
        raise fail(
            path, None, f"the record holds {len(contests)} contests; name one (--contest): {listed}"
        )
    by_id = [contest for contest in contests if contest.id == wanted]
    by_name = [contest for contest in contests if contest.name == wanted]
    found = by_id or by_name
    if len(found) == 1:
        return found[0]
    if not found:
        raise fail(path, None, f"no contest {wanted!r}; the record holds: {listed}")
    raise fail(path, None, f"{len(found)} contests are named {wanted!r}, name one by id: {listed}")


class MarkLog:
    """The marks of a record as it is parsed: for each mark its ballot, contest, rank and
    choice as four integer arrays, and for each ballot the contests it holds (a ballot that
    holds a contest but marks nobody in it is a ballot of that contest, ranking nobody).

    Contests and choices are logged by the record's own keys (ids), coded in the order
    first seen; the reader says at the end what each choice is called.
    """

    def __init__(self) -> None:
        self.ballots = 0
        self.contests: dict[str, int] = {}
        self.choices: dict[str, int] = {}
        self._marks = tuple(array("i") for _ in range(4))  # ballot, contest, rank, choice
        self._holds = tuple(array("i") for _ in range(2))  # ballot, contest

    def ballot(self) -> int:
        """A new ballot's number."""
        self.ballots += 1
        return self.ballots - 1

    def contest(self, key: str) -> int:
        """The code of the contest ``key``."""
        return self.contests.setdefault(key, len(self.contests))

    def holds(self, ballot: int, contest: int) -> None:
        """Ballot ``ballot`` holds contest ``contest`` (marked or not)."""
        self._holds[0].append(ballot)
        self._holds[1].append(contest)

    def mark(self, ballot: int, contest: int, rank: int, choice: str) -> None:
        """Ballot ``ballot`` marks ``choice`` at ``rank`` (1 is the first) in ``contest``."""
        code = self.choices.get(choice)
        if code is None:
            code = self.choices[choice] = len(self.choices)
        ballots, contests, ranks, choices = self._marks
        ballots.append(ballot)
        contests.append(contest)
        ranks.append(rank)
        choices.append(code)

    def marks(self, path: Path, contest: Contest, label: Callable[[str], str]) -> Marks:
        """The marks of the ballots that hold ``contest``, one row per ballot in the order
        read; ``label`` names each choice key the contest's marks use (a candidate's name or
        ``UWI``; it raises :class:`FormatError` for a key the record does not define)."""
        code = self.contests.get(contest.id)
        holders = np.frombuffer(self._holds[0], dtype=np.int32)
        which = np.frombuffer(self._holds[1], dtype=np.int32)
        rows = np.unique(holders[which == code]) if code is not None else holders[:0]
        if not len(rows):
            raise fail(path, None, f"no ballot holds the contest {contest.said()}")
        ballot, held, rank, choice = (np.frombuffer(c, dtype=np.int32) for c in self._marks)
        mine = held == code
        used = set(np.unique(choice[mine]).tolist())
        names = [label(key) if i in used else "" for i, key in enumerate(self.choices)]
        return build_marks(
            path, len(rows), np.searchsorted(rows, ballot[mine]), rank[mine], choice[mine], names
        )


def build_marks(
    path: Path,
    ballots: int,
    ballot: NDArray[np.integer[Any]],
    rank: NDArray[np.integer[Any]],
    choice: NDArray[np.integer[Any]],
    names: list[str],
) -> Marks:
    """The label-code table of ``ballots`` ballots from their marks: mark ``i`` puts choice
    ``names[choice[i]]`` at rank ``rank[i]`` (from 1) of ballot ``ballot[i]``.

    A choice marked twice at one rank is one mark; two or more choices at one rank are an
    overvote labelled with their names, sorted, joined by ``OVERVOTE_SEP``. Computed on whole
    arrays; only the overvoted cells, which are few, are looked at one by one.
    """
    if len(rank) and (int(rank.min()) < 1 or int(rank.max()) > MAX_RANK):
        bad = int(rank.min()) if int(rank.min()) < 1 else int(rank.max())
        raise fail(path, None, f"rank {bad} is not a rank from 1 to {MAX_RANK}")
    width = int(rank.max()) if len(rank) else 1
    label_of = [*dict.fromkeys(names)]  # distinct labels, first-seen order
    label_code = {label: i for i, label in enumerate(label_of)}
    lookup = np.array([label_code[name] for name in names], dtype=np.int64)
    blank = label_code.setdefault(UNDERVOTE, len(label_code))
    cell = ballot.astype(np.int64) * width + (rank.astype(np.int64) - 1)
    label = lookup[choice] if len(choice) else np.zeros(0, dtype=np.int64)
    order = np.lexsort((label, cell))
    cell, label = cell[order], label[order]
    fresh = np.ones(len(cell), dtype=bool)
    fresh[1:] = (cell[1:] != cell[:-1]) | (label[1:] != label[:-1])
    cell, label = cell[fresh], label[fresh]  # one mark per (cell, label)
    starts = np.flatnonzero(np.r_[True, cell[1:] != cell[:-1]]) if len(cell) else np.zeros(0, int)
    sizes = np.diff(np.r_[starts, len(cell)])
    codes = np.full(ballots * width, blank, dtype=np.int64)
    single = starts[sizes == 1]
    codes[cell[single]] = label[single]
    for start, size in zip(starts[sizes > 1].tolist(), sizes[sizes > 1].tolist(), strict=True):
        together = OVERVOTE_SEP.join(sorted(label_of[c] for c in label[start : start + size]))
        codes[cell[start]] = label_code.setdefault(together, len(label_code))
    kind: type[np.integer[Any]] = (
        np.uint8
        if len(label_code) <= 1 << 8
        else np.uint16
        if len(label_code) <= 1 << 16
        else np.uint32
    )
    table = codes.astype(kind).reshape(ballots, width)
    return Marks(table, list(label_code), None)


def write_in_name(name: str) -> bool:
    """Whether a choice's name is the generic write-in line (``Write-in``, ``WRITE IN`` ...)."""
    return name.strip().lower().replace("-", "").replace(" ", "").replace("_", "") in (
        "writein",
        "writeins",
    )


@dataclass(frozen=True)
class Member:
    """One file of a record kept in a folder or a zip archive."""

    name: str
    """The file's name within the folder or archive (with its sub-folders)."""
    size: int
    read: Callable[[], bytes]


def members(path: Path, keep: Callable[[str], bool]) -> list[Member]:
    """The files of a record whose base names ``keep`` accepts, sorted by name: the files
    under a folder (and its sub-folders), in a zip archive, or ``path`` itself."""
    if path.is_dir():
        found = sorted(p for p in path.rglob("*") if p.is_file() and keep(p.name))
        return [Member(str(p.relative_to(path)), p.stat().st_size, _reader(p)) for p in found]
    check_file(path)
    if zipfile.is_zipfile(path):
        try:
            archive = zipfile.ZipFile(path)
            infos = [
                info
                for info in archive.infolist()
                if not info.is_dir() and keep(info.filename.rsplit("/", 1)[-1])
            ]
        except (zipfile.BadZipFile, OSError) as exc:
            raise fail(path, None, f"is not a readable zip archive ({exc})") from exc
        for info in infos:
            _refuse_bomb(path, info)
        infos.sort(key=lambda info: info.filename)
        return [
            Member(info.filename, info.file_size, _unzipper(path, archive, info)) for info in infos
        ]
    return [Member(path.name, path.stat().st_size, _reader(path))] if keep(path.name) else []


UNPACK_RATIO = 200
"""The most a zip member may unpack to, as a multiple of its packed size, once it unpacks to
more than :data:`UNPACK_FREE` bytes (records of marks compress some tens of times)."""

UNPACK_FREE = 64 << 20


def _refuse_bomb(path: Path, info: zipfile.ZipInfo) -> None:
    """Refuse a member that would unpack to far more than such records do (zipfile checks
    that it unpacks to no more than it says)."""
    if info.file_size > UNPACK_FREE and info.file_size > UNPACK_RATIO * max(info.compress_size, 1):
        raise fail(
            path,
            None,
            f"{info.filename} would unpack to {info.file_size:,} bytes from "
            f"{info.compress_size:,}: more than {UNPACK_RATIO} times, not a record of ballots",
        )


def _reader(path: Path) -> Callable[[], bytes]:
    def read() -> bytes:
        try:
            return path.read_bytes()
        except OSError as exc:
            raise FormatError(f"{path}: cannot be read ({exc.strerror})") from exc

    return read


def _unzipper(path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Callable[[], bytes]:
    def read() -> bytes:
        try:
            return archive.read(info)
        except (zipfile.BadZipFile, OSError, RuntimeError) as exc:
            raise fail(path, None, f"{info.filename} cannot be unpacked ({exc})") from exc

    return read


def read_members(found: list[Member], progress: Progress | None) -> Iterator[tuple[Member, bytes]]:
    """Each file's content in turn, reporting progress by bytes over all of them."""
    ticker = Ticker(progress, sum(member.size for member in found))
    done = 0
    for member in found:
        data = member.read()
        done += member.size
        ticker(done)
        yield member, data
    ticker.finish()


def local(tag: str) -> str:
    """An XML tag without its namespace: ``{ns}CVR`` -> ``CVR``."""
    return tag.rpartition("}")[2]


class Tags:
    """An XML document's element names in its namespace (``q("Rank")`` -> ``{ns}Rank``), for
    ElementTree's own (fast) ``find``/``findall``/``findtext``."""

    def __init__(self, root_tag: str) -> None:
        self.prefix = root_tag[: root_tag.index("}") + 1] if root_tag.startswith("{") else ""
        self._tags: dict[str, str] = {}

    def __call__(self, name: str) -> str:
        tag = self._tags.get(name)
        if tag is None:
            tag = self._tags[name] = self.prefix + name
        return tag

    def text(self, element: ET.Element, name: str) -> str | None:
        """The stripped text of ``element``'s first child ``name``; ``None``: no such child."""
        found = element.findtext(self(name))
        return None if found is None else found.strip()


def xml_root(path: Path, data: bytes) -> str | None:
    """The tag (with its namespace) of an XML document's root element; ``None``: none."""
    parser: ET.XMLPullParser[ET.Element] = ET.XMLPullParser(events=("start",))
    step = 4096
    try:
        for start in range(0, len(data), step):
            parser.feed(data[start : start + step])
            for pair in parser.read_events():
                return cast(tuple[str, ET.Element], pair)[1].tag
    except ET.ParseError as exc:
        raise fail(path, exc.position[0], f"is not well-formed XML ({exc.msg})") from exc
    return None


def top_elements(
    path: Path,
    data: bytes,
    tags: Tags,
    names: tuple[str, ...],
    progress: Progress | None = None,
) -> Iterator[tuple[str, ET.Element]]:
    """``(name, element)`` for each element called one of ``names`` (elements that the
    record has only as children of its root), complete when yielded and emptied after, so a
    large record is never held whole as a tree (ElementTree's pull parser, fed in pieces,
    asked for element ends only). XML that is not well formed names its line."""
    parser: ET.XMLPullParser[ET.Element] = ET.XMLPullParser(events=("end",))
    wanted = {tags(name): name for name in names}
    ticker = Ticker(progress, len(data))
    try:
        for start in range(0, len(data) + _XML_CHUNK, _XML_CHUNK):
            if start < len(data):
                parser.feed(data[start : start + _XML_CHUNK])
            else:
                parser.close()
            ticker(start)
            events = cast(Iterator[tuple[str, ET.Element]], parser.read_events())
            for _, element in events:
                name = wanted.get(element.tag)
                if name is not None:
                    yield name, element
                    element.clear()
    except ET.ParseError as exc:
        raise fail(path, exc.position[0], f"is not well-formed XML ({exc.msg})") from exc
    ticker.finish()


_XML_CHUNK = 1 << 20
