"""The ballot rules of an election office's cast-vote record (:class:`CvrRules`): what an
overvote, a skipped rank, a repeated candidate, a blank cell and an undeclared write-in do to
a ballot, which codes name which candidate, which candidates are left out, and where the rank
columns are; the named presets; and the rules an RCTab contest configuration states.

The rules follow the certified tabulator's reading of a ballot, rank by rank:

1. a rank with no mark (``undervote``, or a blank cell) is a *skipped rank*; a marked rank
   after more than ``max_skipped`` consecutive skipped ranks ends the ballot. A blank first
   rank is a skipped rank. An overvoted rank, or a mark for an excluded candidate, is a
   marked rank, not a skipped one (RCTab counts the gap between marked ranks).
2. with ``duplicate="exhaust"``, a rank that marks a candidate already marked ends the ballot.
3. an overvote (two or more marks at one rank) is passed over (``skip``), ends the ballot
   (``exhaust``), or, with ``exhaust-if-multiple``, counts as a tie of its candidates: it ends
   the ballot only while two or more of them are still in the count (with one left it counts
   for that one, with none it is passed over). An ``overvote`` label whose candidates the
   record does not name ends the ballot under ``exhaust-if-multiple``.
4. a candidate marked at several ranks counts once, at the highest of them (``skip``).

A ballot that ends keeps the ranks before that point.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, Literal, get_args

from ballots.errors import FormatError

UNDERVOTE = "undervote"
"""A rank left blank (a skipped rank)."""
OVERVOTE = "overvote"
"""Two or more marks at one rank, the candidates not named."""
WRITE_IN = "UWI"
"""An undeclared write-in."""
WRITE_IN_NAME = "Undeclared Write-ins"
"""The candidate name undeclared write-ins are counted under."""

OvervoteRule = Literal["skip", "exhaust", "exhaust-if-multiple"]
DuplicateRule = Literal["skip", "exhaust"]
WriteInRule = Literal["candidate", "eliminate"]

OVERVOTE_RULES: tuple[str, ...] = get_args(OvervoteRule)
DUPLICATE_RULES: tuple[str, ...] = get_args(DuplicateRule)
WRITE_IN_RULES: tuple[str, ...] = get_args(WriteInRule)


@dataclass(frozen=True)
class CvrRules:
    """How a cast-vote record's marks are counted (see the module's docstring for the order
    in which a ballot's ranks are read). The defaults are the Minneapolis rules."""

    overvote: OvervoteRule = "skip"
    """An overvoted rank: ``skip`` passes over it, ``exhaust`` ends the ballot there,
    ``exhaust-if-multiple`` ends it only while two or more of its candidates continue."""
    max_skipped: int | None = None
    """The most consecutive skipped ranks before a later mark (``None``: no limit); a longer
    gap ends the ballot."""
    duplicate: DuplicateRule = "skip"
    """A candidate marked again: ``skip`` counts them once, at the highest rank; ``exhaust``
    ends the ballot at the repeat."""
    blank_is_write_in: bool = False
    """Blank cells (not the ``undervote`` label) are undeclared write-ins."""
    write_ins: WriteInRule = "candidate"
    """Undeclared write-ins: an ordinary ``candidate``, or ``eliminate``: the box names them
    (:attr:`ballots.box.BallotBox.write_in`) for the count to eliminate first."""
    aliases: tuple[tuple[str, str], ...] = ()
    """``(code, candidate name)`` pairs: a cell reading ``code`` is a mark for that name
    (several codes may name one candidate)."""
    excluded: tuple[str, ...] = ()
    """Candidates left out of the count: a mark for one is passed over, as a mark for a
    candidate already eliminated is."""
    delimiter: str | None = None
    """Splits a cell into the candidates of an overvote (``A|B``)."""
    first_rank_column: int | None = None
    """1-based column of the first rank, for a file whose headers do not name the ranks; the
    ranks are it and the columns after it (``max_rankings`` of them, else to the last)."""
    max_rankings: int | None = None
    """Ranks read (the first ones); any further rank columns are ignored."""
    count_column: int | None = None
    """1-based column of the number of ballots each row stands for (default: a column headed
    ``Count``, else one ballot per row)."""
    labels: tuple[tuple[str, str], ...] = ()
    """The record's own words for the markers, ``(marker, label)`` with marker one of
    ``overvote``, ``undervote``, ``UWI``; the standard words are always read too."""

    def __post_init__(self) -> None:
        _choice("overvote", self.overvote, OVERVOTE_RULES)
        _choice("duplicate", self.duplicate, DUPLICATE_RULES)
        _choice("write_ins", self.write_ins, WRITE_IN_RULES)
        _whole("max_skipped", self.max_skipped, 0)
        _whole("first_rank_column", self.first_rank_column, 1)
        _whole("max_rankings", self.max_rankings, 1)
        _whole("count_column", self.count_column, 1)
        if not isinstance(self.blank_is_write_in, bool):
            raise FormatError(
                f"blank_is_write_in must be true or false, got {self.blank_is_write_in!r}"
            )
        if self.delimiter is not None and not (
            isinstance(self.delimiter, str) and self.delimiter.strip()
        ):
            raise FormatError(f"delimiter {self.delimiter!r} must be one or more characters")
        for code, name in self.aliases:
            if not code.strip() or not name.strip():
                raise FormatError(
                    f"alias {code!r}={name!r}: the code and the name must not be blank"
                )
        for name in self.excluded:
            if not name.strip():
                raise FormatError("excluded: a candidate name must not be blank")
        for marker, label in self.labels:
            if marker not in MARKERS or not label.strip():
                raise FormatError(f"label {marker!r}={label!r}: not a marker and its word")

    def changed(self, **values: Any) -> CvrRules:
        """These rules with some fields changed (each checked as the constructor does)."""
        return replace(self, **values)

    def shown(self) -> dict[str, Any]:
        """The rules as plain values (JSON), the fields at their defaults too."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in ("aliases", "labels"):
                value = dict(value)
            elif isinstance(value, tuple):
                value = list(value)
            out[f.name] = value
        return out

    @classmethod
    def from_rctab(cls, config: Path | str) -> CvrRules:
        """The rules an RCTab contest configuration (JSON) states: its ``rules`` section,
        the first CVR source's columns, labels and delimiter, and the candidates' codes,
        aliases and exclusions. RCTab always eliminates undeclared write-ins first, so the
        rules do (``write_ins="eliminate"``)."""
        return _from_rctab(Path(config))


MARKERS = (OVERVOTE, UNDERVOTE, WRITE_IN)
"""The markers a record may spell its own way (:attr:`CvrRules.labels`)."""


def _choice(name: str, value: object, allowed: Sequence[str]) -> None:
    if value not in allowed:
        raise FormatError(f"{name} must be one of {', '.join(allowed)}, got {value!r}")


def _whole(name: str, value: object, least: int) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise FormatError(f"{name} must be a whole number of at least {least}, got {value!r}")


_RCTAB_OVERVOTE = {
    "alwaysSkipToNextRank": "skip",
    "Always skip to next rank": "skip",
    "exhaustImmediately": "exhaust",
    "Exhaust immediately": "exhaust",
    "exhaustIfMultipleContinuing": "exhaust-if-multiple",
    "Exhaust if multiple continuing": "exhaust-if-multiple",
}
"""RCTab's overvote rules (the configuration's words, old and new) -> ours."""


def _from_rctab(path: Path) -> CvrRules:
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
        rules = config["rules"]
        if not isinstance(rules, dict):
            raise TypeError
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise FormatError(f"{path}: not an RCTab configuration with a 'rules' section") from exc
    sources = config.get("cvrFileSources") or [{}]
    source = sources[0] if isinstance(sources[0], dict) else {}
    overvote = rules.get("overvoteRule", "alwaysSkipToNextRank")
    if overvote not in _RCTAB_OVERVOTE:
        raise FormatError(f"{path}: overvote rule {overvote!r} is not supported")
    values: dict[str, Any] = {
        "overvote": _RCTAB_OVERVOTE[overvote],
        "max_skipped": rctab_whole(path, "maxSkippedRanksAllowed", rules, 0),
        "duplicate": "exhaust" if rctab_flag(rules, "exhaustOnDuplicateCandidate") else "skip",
        "blank_is_write_in": any(
            rctab_flag(found, "treatBlankAsUndeclaredWriteIn")
            for found in (rules, *[s for s in sources if isinstance(s, dict)])
        ),
        "write_ins": "eliminate",
        "max_rankings": rctab_whole(path, "maxRankingsAllowed", rules, 1),
        "delimiter": str(source.get("overvoteDelimiter") or "") or None,
    }
    if str(source.get("provider", "")).lower() == "csv":
        values["first_rank_column"] = rctab_whole(path, "firstVoteColumnIndex", source, 1)
    labels = [
        (marker, str(source.get(key) or "").strip())
        for marker, key in (
            ("overvote", "overvoteLabel"),
            ("undervote", "skippedRankLabel"),
            ("UWI", "undeclaredWriteInLabel"),
        )
    ]
    values["labels"] = tuple((m, w) for m, w in labels if w and w != m)
    aliases: list[tuple[str, str]] = []
    excluded: list[str] = []
    for candidate in config.get("candidates") or []:
        if not isinstance(candidate, Mapping) or not str(candidate.get("name", "")).strip():
            raise FormatError(f"{path}: a candidate without a name")
        name = str(candidate["name"]).strip()
        codes = [candidate.get("code"), *(candidate.get("aliases") or [])]
        aliases += [(str(c).strip(), name) for c in codes if c and str(c).strip() != name]
        if rctab_flag(candidate, "excluded"):
            excluded.append(name)
    values["aliases"] = tuple(aliases)
    values["excluded"] = tuple(excluded)
    try:
        return CvrRules(**values)
    except FormatError as exc:
        raise FormatError(f"{path}: {exc}") from exc


def rctab_flag(section: Mapping[str, Any], key: str) -> bool:
    """A true/false setting of an RCTab configuration (``true``, ``"true"`` or absent)."""
    value = section.get(key, False)
    return value is True or str(value).strip().lower() == "true"


def rctab_whole(
    path: Path, key: str, section: Mapping[str, Any], least: int, *, limits: bool = True
) -> int | None:
    """A whole-number setting of an RCTab configuration, or ``None`` when blank; for a
    setting that ``limits`` something, ``max`` or ``unlimited`` is no limit (``None``) too."""
    text = str(section.get(key, "")).strip()
    if text == "" or (limits and text.lower() in ("unlimited", "max")):
        return None
    if not text.isdigit() or int(text) < least:
        raise FormatError(f"{path}: {key} {text!r} is not a whole number of at least {least}")
    return int(text)


MINNEAPOLIS = CvrRules()
"""The official Minneapolis rules (the default): an overvote is passed over, skipped ranks
are passed over however many, a repeated candidate counts once at its highest rank, and
undeclared write-ins are a candidate."""

MAINE = CvrRules(overvote="exhaust", max_skipped=1)
"""Maine's rules (Code of Maine Rules 29-250 ch. 535, and Alaska's are the same): an
overvote ends the ballot at once, two or more consecutive skipped ranks end it, a repeated
candidate counts once at its highest rank."""

PRESETS: dict[str, CvrRules] = {"minneapolis": MINNEAPOLIS, "maine": MAINE}
"""The named rule sets (``--rules NAME``)."""


def rules_named(value: str) -> CvrRules:
    """The preset ``value`` names, or the rules of the RCTab configuration at that path."""
    if value in PRESETS:
        return PRESETS[value]
    if value.lower().endswith(".json") or Path(value).is_file():
        return CvrRules.from_rctab(value)
    raise FormatError(
        f"ballot rules {value!r}: neither a preset ({', '.join(PRESETS)}) nor an RCTab"
        " configuration file (.json)"
    )


def is_rules_name(value: str) -> bool:
    """Whether ``value`` names ballot rules (a preset, or a ``.json`` configuration)."""
    return value in PRESETS or value.lower().endswith(".json")
