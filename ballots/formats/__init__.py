"""Ballot file formats: the table of known formats, detection, and one entry point to read
or write any of them (each format lives in its own module with ``read`` and ``write``)."""

from __future__ import annotations

import glob
import importlib
import inspect
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from ballots.box import BallotBox
from ballots.errors import FormatError, UnknownFormat
from ballots.formats._common import Progress, check_file

if TYPE_CHECKING:
    from ballots.formats.cvr_rules import CvrRules

__all__ = [
    "FORMATS",
    "FormatInfo",
    "ballot_files",
    "default_rules",
    "detect",
    "read_ballots",
    "write_ballots",
]


@dataclass(frozen=True)
class FormatInfo:
    """A known format: the module that reads it, its file extensions, whether it can write."""

    module: str
    extensions: tuple[str, ...]
    writable: bool = True
    several: bool = False
    """Whether one contest may be read from several files (its ``read`` takes a list)."""

    def load(self) -> ModuleType:
        """The format's module, imported on first use."""
        return importlib.import_module(self.module)


FORMATS: dict[str, FormatInfo] = {
    "preflib": FormatInfo("ballots.formats.preflib", (".soc", ".soi", ".toc", ".toi")),
    "blt": FormatInfo("ballots.formats.blt", (".blt",)),
    "cvr": FormatInfo("ballots.formats.cvr", (".csv", ".xlsx", ".parquet"), several=True),
    "votekit": FormatInfo("ballots.formats.votekit", (".csv",)),
    "alaska": FormatInfo("ballots.formats.alaska", (".profile",), writable=False),
    "pabulib": FormatInfo("ballots.formats.pabulib", (".pb",)),
    "json": FormatInfo("ballots.formats.json_", (".json",)),
    "ballots-csv": FormatInfo("ballots.formats.ballots_csv", (".csv",), writable=False),
    # the records of certified tabulators (one contest read; a folder or zip for some)
    "cdf": FormatInfo("ballots.formats.cdf", (".json", ".xml"), writable=False),
    "dominion": FormatInfo("ballots.formats.dominion", (".json", ".zip"), writable=False),
    "hart": FormatInfo("ballots.formats.hart", (".xml", ".zip"), writable=False),
    "clearballot": FormatInfo("ballots.formats.clearballot", (".csv",), writable=False),
}
"""Format name -> where it is implemented and which extensions it claims.

Writing to an extension several formats claim picks the first listed (``.csv`` -> ``cvr``).
"""

_SNIFF_BYTES = 4096

FOLDER_FORMATS = ("dominion", "hart")
"""The formats whose one record is a folder (or a zip archive) of files."""

CLEAR_BALLOT_HEADER = "RowNumber,BoxID"


def _known() -> str:
    return ", ".join(sorted(FORMATS))


def _sniff(head: bytes) -> str | None:
    """The format the first bytes of a file look like, or ``None``."""
    if head.startswith((b"PK\x03\x04", b"PAR1")):
        return "cvr"
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff")
    stripped = text.lstrip()
    first = stripped.splitlines()[0].strip() if stripped else ""
    if first.lstrip('"').startswith("#redbench_ballots"):
        return "ballots-csv"
    if first.startswith(CLEAR_BALLOT_HEADER):
        return "clearballot"
    record = _sniff_record(stripped)
    if record is not None:
        return record
    if first.startswith("VoteKit"):
        return "votekit"
    if first.startswith("# FILE NAME") or "# ALTERNATIVE NAME" in text:
        return "preflib"
    if first.upper() == "META" or ("\nPROJECTS" in text and "\nVOTES" in text):
        return "pabulib"
    if stripped.startswith(("{", "[")):
        return "json"
    if "\n-+-+" in text:
        return "alaska"
    if first.lower().replace(" ", "").startswith(("rank", '"rank')):
        return "cvr"
    parts = first.split()
    if len(parts) == 2 and all(p.isdigit() for p in parts):
        return "blt"
    return None


def _sniff_record(text: str) -> str | None:
    """The certified tabulator's record a JSON or XML text looks like, or ``None``."""
    if text.startswith("{"):
        if any(mark in text for mark in ('"CVR.', '"CVRSnapshot"', '"CurrentSnapshotId"')):
            return "cdf"
        if '"Sessions"' in text or ('"List"' in text and '"Description"' in text):
            return "dominion"
    elif text.startswith("<"):
        if "1500-103" in text or "<CastVoteRecordReport" in text:
            return "cdf"
        if "CVRDesign" in text or re.search(r"<(\w+:)?Cvr[\s>]", text):
            return "hart"
    return None


def _sniff_folder(path: Path) -> str | None:
    """The record a folder or zip archive holds (Dominion's export, Hart's XML files)."""
    if path.is_dir():
        names = [p.name for p in path.rglob("*") if p.is_file()]
    else:
        try:
            with zipfile.ZipFile(path) as archive:
                names = [name.rsplit("/", 1)[-1] for name in archive.namelist()]
        except (zipfile.BadZipFile, OSError):
            return None
    if any(re.fullmatch(r"CvrExport(_\d+)?\.json", name, re.IGNORECASE) for name in names):
        return "dominion"
    if any(name.lower().endswith(".xml") for name in names):
        return "hart"
    return None


def detect(path: Path) -> str:
    """The format of ``path``: from its extension when only one format claims it, else from
    the first bytes of its content; a folder or zip archive from the files it holds."""
    path = Path(path)
    if path.is_dir() or (path.suffix.lower() == ".zip" and path.is_file()):
        folder = _sniff_folder(path)
        if folder is not None:
            return folder
        raise UnknownFormat(
            f"{path}: holds no record Red Bench reads (a Dominion export or Hart XML files);"
            f" known formats: {_known()}"
        )
    suffix = path.suffix.lower()
    claims = [name for name, info in FORMATS.items() if suffix in info.extensions]
    if len(claims) == 1:
        return claims[0]
    found: str | None = None
    if path.is_file():
        try:
            with path.open("rb") as handle:
                found = _sniff(handle.read(_SNIFF_BYTES))
        except OSError as exc:
            raise FormatError(f"{path}: cannot be read ({exc.strerror})") from exc
    if found is not None and (not claims or found in claims):
        return found
    raise UnknownFormat(
        f"{path}: cannot tell the ballot format from its name or content; known formats: {_known()}"
    )


def _info(name: str) -> FormatInfo:
    info = FORMATS.get(name)
    if info is None:
        raise UnknownFormat(f"unknown ballot format {name!r}; known formats: {_known()}")
    return info


def read_ballots(
    path: Path | str | Sequence[Path | str],
    format: str | None = None,
    progress: Progress | None = None,
    *,
    rules: CvrRules | None = None,
    contest: str | None = None,
) -> BallotBox:
    """Read a ballot file in the given format (or the detected one).

    Several files, a folder or a glob are one contest's records, for the formats that can be
    read that way (:attr:`FormatInfo.several`); a folder holding a Dominion export or Hart's
    XML files is one record, read whole by its format. ``rules``: the ballot rules of an
    election office's record, for the formats whose ``read`` takes them (``None``: the
    format's own). ``contest``: the contest to read (by id or name) from a record that holds
    several, for the formats whose ``read`` takes one.
    """
    whole = _record_folder(path, format)
    if whole is not None:
        files = [whole]
    elif isinstance(path, str | Path) and not Path(path).is_dir() and not _is_glob(path):
        files = [Path(path)]
    else:
        files = ballot_files(path)
    for file in files:
        if file is not whole:
            check_file(file)
    name = format if format is not None else detect(files[0])
    info = _info(name)
    if len(files) > 1 and not info.several:
        raise FormatError(f"the {name} format is read one file at a time, not {len(files)}")
    module = info.load()
    source: Path | list[Path] = files if len(files) > 1 else files[0]
    takes = inspect.signature(module.read).parameters
    options: dict[str, object] = {}
    if rules is not None:
        if "rules" not in takes:
            raise FormatError(
                f"ballot rules apply to election-office records, not to the {name} format"
            )
        options["rules"] = rules
    if contest is not None:
        if "contest" not in takes:
            raise FormatError(f"the {name} format holds one contest: there is none to choose")
        options["contest"] = contest
    box: BallotBox = module.read(source, progress, **options)
    return box


def _record_folder(path: Path | str | Sequence[Path | str], format: str | None) -> Path | None:
    """``path`` as one folder read whole (a Dominion export, Hart's XML files), or ``None``."""
    if not isinstance(path, str | Path) or not Path(path).is_dir():
        return None
    if format in FOLDER_FORMATS or (format is None and _sniff_folder(Path(path)) is not None):
        return Path(path)
    return None


def default_rules(format: str) -> CvrRules | None:
    """The ballot rules a format reads by when none are given (``None``: it takes none)."""
    parameter = inspect.signature(_info(format).load().read).parameters.get("rules")
    return None if parameter is None else parameter.default


def ballot_files(
    path: Path | str | Sequence[Path | str], extensions: Sequence[str] = ()
) -> list[Path]:
    """The files ``path`` stands for: itself, each of a list, a folder's files (with one of
    ``extensions``, when given; by name) or the files a glob matches (by name)."""
    if not isinstance(path, str | Path):
        found = [file for each in path for file in ballot_files(each, extensions)]
        if not found:
            raise FormatError("no ballot files given")
        return found
    path = Path(path)
    if path.is_dir():
        suffixes = {e.lower() for e in extensions}
        found = sorted(
            f
            for f in path.iterdir()
            if f.is_file() and (not suffixes or f.suffix.lower() in suffixes)
        )
        if not found:
            raise FormatError(f"{path}: no ballot files in the folder")
        return found
    if _is_glob(path):
        found = sorted(Path(f) for f in glob.glob(str(path)) if Path(f).is_file())
        if not found:
            raise FormatError(f"{path}: no file matches")
        return found
    return [path]


def _is_glob(path: Path | str) -> bool:
    """Whether ``path`` is a pattern (``*``, ``?``, ``[``) rather than an existing file."""
    return not Path(path).exists() and any(c in str(path) for c in "*?[")


def write_ballots(box: BallotBox, path: Path | str, format: str | None = None) -> None:
    """Write a ballot box in the given format, or the one its extension names."""
    path = Path(path)
    if format is None:
        suffix = path.suffix.lower()
        claims = [n for n, info in FORMATS.items() if suffix in info.extensions and info.writable]
        if not claims:
            raise UnknownFormat(
                f"{path}: cannot tell the ballot format from the extension {suffix or '(none)'!r};"
                f" known formats: {_known()}"
            )
        format = claims[0]
    info = _info(format)
    if not info.writable:
        raise FormatError(f"the {format} format can be read but not written")
    if path.is_dir():
        raise FormatError(f"{path}: is a directory, not a ballot file")
    info.load().write(box, path)
