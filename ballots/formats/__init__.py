"""Ballot file formats: the table of known formats, detection, and one entry point to read
or write any of them (each format lives in its own module with ``read`` and ``write``)."""

from __future__ import annotations

import importlib
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from ballots.box import BallotBox
from ballots.errors import FormatError, UnknownFormat
from ballots.formats._common import Progress, check_file

__all__ = ["FORMATS", "FormatInfo", "detect", "read_ballots", "write_ballots"]


@dataclass(frozen=True)
class FormatInfo:
    """A known format: the module that reads it, its file extensions, whether it can write."""

    module: str
    extensions: tuple[str, ...]
    writable: bool = True

    def load(self) -> ModuleType:
        """The format's module, imported on first use."""
        return importlib.import_module(self.module)


FORMATS: dict[str, FormatInfo] = {
    "preflib": FormatInfo("ballots.formats.preflib", (".soc", ".soi", ".toc", ".toi")),
    "blt": FormatInfo("ballots.formats.blt", (".blt",)),
    "cvr": FormatInfo("ballots.formats.cvr", (".csv", ".xlsx", ".parquet")),
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

CONTESTED = ("cdf", "dominion", "hart", "clearballot")
"""The formats whose records may hold several contests (``read`` takes ``contest``)."""

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
    path: Path | str,
    format: str | None = None,
    progress: Progress | None = None,
    *,
    contest: str | None = None,
) -> BallotBox:
    """Read a ballot file in the given format (or the detected one).

    A folder is read whole by the formats that keep a record in one (Dominion, Hart).
    ``contest``: the contest to read (by id or name) from a record that holds several, for
    the formats whose ``read`` takes one.
    """
    path = Path(path)
    if not path.is_dir():
        check_file(path)
    name = format if format is not None else detect(path)
    module = _info(name).load()
    if contest is None:
        box: BallotBox = module.read(path, progress)
        return box
    if name not in CONTESTED:
        raise FormatError(f"the {name} format holds one contest: there is no contest to choose")
    box = module.read(path, progress, contest=contest)
    return box


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
