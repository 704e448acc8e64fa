"""Red Bench's own JSON ballot file (``"format": "redbench-ballots"``, version 1), read and write.

A file is one JSON object::

    {"format": "redbench-ballots", "version": 1, "title": "…", "seats": 1,
     "rules": {"kind": "ranked", "candidates": ["a", "b", "c"], ...},
     "ballots": [{"kind": "ranked", "ranking": [["a"], ["b"]]},
                 {"count": 12, "ballot": {"kind": "ranked", "ranking": [["c"]]}}]}

``title`` and ``seats`` may be left out; a ballot entry is either a ballot or a
``{"count": n, "ballot": ...}`` wrapper for ``n`` identical ballots. Decoding is strict
(unknown fields are errors) and every error names the JSON path of the fault, as in
``park.json: ballots[3].ranking[0][1]: unknown candidate 'x'``.

A decision bundle (``"format": "redbench-decision"``, :mod:`ballots.bundle`) of one round
reads as that round's ballots, with the round's counting and, as the lot seed, the digest
of its ballot box recomputed from the ballots (``redbench verify`` checks the rest).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Final

import msgspec
import numpy as np
from msgspec import Meta, Struct, UnsetType

from ballots import bundle as decision
from ballots.box import BallotBox, PublishedCount
from ballots.digest import (
    ENCODER,
    lot_seed,
)
from ballots.encode import collapse, encode, position, profile_from_valid
from ballots.errors import FormatError, InvalidBallot, InvalidReceipt, InvalidRules
from ballots.formats._common import Progress, has_ties, is_complete, orders, read_bytes, row_order
from ballots.kinds import (
    ApprovalBallot,
    Ballot,
    BallotRules,
    BudgetBallot,
    RankedBallot,
    ScoreBallot,
)
from ballots.validate import validate
from engine.counts import BALLOT_LIMIT
from engine.errors import ProfileError
from engine.profile import ApprovalProfile, Profile, RankedProfile, ScoreProfile

NAME: Final[str] = "json"
EXTENSIONS: Final[tuple[str, ...]] = (".json",)
FORMAT: Final[str] = "redbench-ballots"
VERSION: Final[int] = 1


class CountedBallot(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """``count`` identical ballots in one entry."""

    count: Annotated[int, Meta(ge=1, lt=BALLOT_LIMIT)]
    ballot: Ballot


class _File(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The file as decoded: ballot entries kept raw, since an entry is one of two shapes."""

    format: str
    version: int
    title: str = ""
    seats: Annotated[int, Meta(ge=1)] | None = None
    rules: BallotRules
    ballots: list[msgspec.Raw]


class _Format(Struct, frozen=True):
    """Just the ``format`` member, to tell a ballot file from a decision bundle."""

    format: object = None


class _Probe(Struct, frozen=True):
    """Just enough of an entry to tell a ballot (it has ``kind``) from a counted wrapper."""

    kind: object = None


_FILE = msgspec.json.Decoder(_File)
_FORMAT = msgspec.json.Decoder(_Format)
_PROBE = msgspec.json.Decoder(_Probe)
_BALLOT = msgspec.json.Decoder(Ballot)
_COUNTED = msgspec.json.Decoder(CountedBallot)
_AT = re.compile(r"^(.*) - at `\$(.*)`$", re.DOTALL)
_BYTE = re.compile(r"\(byte (\d+)\)")


def _located(path: Path, prefix: str, exc: msgspec.MsgspecError, data: bytes = b"") -> FormatError:
    """A :class:`FormatError` from a msgspec error, its ``$`` path rewritten under ``prefix``."""
    text = str(exc)
    match = _AT.match(text)
    if match:
        where = f"{prefix}{match.group(2)}".lstrip(".")
        return FormatError(f"{path.name}: {where or '(top level)'}: {match.group(1)}")
    byte = _BYTE.search(text)
    if data and byte:
        line = data.count(b"\n", 0, int(byte.group(1))) + 1
        return FormatError(f"{path.name}, line {line}: {text}")
    return FormatError(f"{path.name}: {prefix or '(top level)'}: {text}")


def read(path: Path, progress: Progress | None = None) -> BallotBox:
    """Read a Red Bench JSON ballot file; every ballot is validated against the file's rules."""
    path = Path(path)
    data = read_bytes(path, progress)
    try:
        if _FORMAT.decode(data).format == decision.FORMAT:
            return _read_bundle(path, data, progress)
    except msgspec.MsgspecError:
        pass  # reported in full below
    try:
        head = _FILE.decode(data)
    except msgspec.MsgspecError as exc:
        raise _located(path, "", exc, data) from exc
    if head.format != FORMAT:
        raise FormatError(f"{path.name}: format: expected {FORMAT!r}, got {head.format!r}")
    if head.version != VERSION:
        raise FormatError(
            f"{path.name}: version: this reader knows version {VERSION}, "
            f"the file is version {head.version}"
        )
    ballots: list[Ballot] = []
    counts: list[int] = []
    counted: list[bool] = []
    for i, raw in enumerate(head.ballots):
        ballot, count, wrapped = _entry(path, i, raw)
        ballots.append(ballot)
        counts.append(count)
        counted.append(wrapped)
    valid: list[tuple[Ballot, int]] = []
    try:
        distinct = collapse(ballots, counts)
    except ProfileError as exc:  # the counts add up to too many ballots
        raise FormatError(f"{path.name}: {exc}") from exc
    for ballot, voters, key in distinct:
        try:
            valid.append((validate(ballot, head.rules), voters))
        except InvalidBallot as exc:
            i = position(ballots, key)
            where = f"ballots[{i}]" + (".ballot" if counted[i] else "")
            where += f".{exc.where}" if exc.where else ""
            raise FormatError(f"{path.name}: {where}: {exc}") from exc
    profile = profile_from_valid(valid, head.rules)
    if progress is not None:
        progress(len(data), len(data))
    return BallotBox(
        profile=profile,
        format=NAME,
        title=head.title,
        seats=head.seats,
        meta={"rules": ENCODER.encode(head.rules).decode()},
    )


def _read_bundle(path: Path, data: bytes, progress: Progress | None) -> BallotBox:
    """The one round of a decision bundle, counted as it was published."""
    sealed = decision.decode(data, path.name)
    if len(sealed.rounds) != 1:
        raise FormatError(
            f"{path.name}: the bundle holds {len(sealed.rounds)} rounds; count one round's"
            " bundle (redbench export ROUND --format json), or check them all with redbench verify"
        )
    record = sealed.rounds[0]
    counted = record.counted()
    try:
        profile = encode([b for b, _ in counted], record.rules, [n for _, n in counted])
    except InvalidBallot as exc:
        raise FormatError(f"{path.name}: rounds[0].ballots: {exc}") from exc
    counting = record.counting
    try:
        digest = record.box_digests().box
    except InvalidReceipt as exc:
        raise FormatError(f"{path.name}: rounds[0].ballots: {exc}") from exc
    notes: tuple[str, ...] = ()
    if digest != record.ballot_box_digest:
        notes = (
            f"the ballots hash to {digest}, not to the ballot-box digest the bundle states"
            f" ({record.ballot_box_digest}); redbench verify says what changed",
        )
    published = PublishedCount(
        method=counting.method,
        seats=counting.seats,
        method_options=dict(counting.method_options),
        tie_policy=counting.tie_policy,
        lot_seed=lot_seed(digest) if counting.tie_policy == "lot" else None,
        tie_break=None if isinstance(counting.tie_break, UnsetType) else counting.tie_break,
    )
    if progress is not None:
        progress(len(data), len(data))
    return BallotBox(
        profile=profile,
        format=NAME,
        title=sealed.process.title,
        seats=counting.seats,
        notes=notes,
        meta={"rules": ENCODER.encode(record.rules).decode()},
        published=published,
    )


def _entry(path: Path, i: int, raw: msgspec.Raw) -> tuple[Ballot, int, bool]:
    """Ballot ``i`` of the file, how many voters cast it, and whether it was wrapped."""
    prefix = f"ballots[{i}]"
    try:
        if _PROBE.decode(raw).kind is not None:
            return _BALLOT.decode(raw), 1, False
        entry = _COUNTED.decode(raw)
    except msgspec.MsgspecError as exc:
        raise _located(path, prefix, exc) from exc
    return entry.ballot, entry.count, True


def write(box: BallotBox, path: Path) -> None:
    """Write ``box`` as counted ballots, the most common first; the same box gives the same bytes.

    The rules are the ones the box was read with (kept in ``meta["rules"]``) when they
    still fit its ballots, otherwise the narrowest rules that admit every ballot.
    """
    path = Path(path)
    profile = box.profile
    entries = _entries(path, profile)
    rules = _rules(path, box, entries)
    lines = [
        "{",
        f'  "format": {_json(FORMAT)},',
        f'  "version": {VERSION},',
        f'  "title": {_json(box.title)},',
        f'  "seats": {_json(box.seats)},',
        f'  "rules": {_json(rules)},',
        '  "ballots": [',
        ",\n".join(f"    {_json(entry)}" for entry in entries),
        "  ]",
        "}",
    ]
    if not entries:
        del lines[7]
    text = "\n".join(lines) + "\n"
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise FormatError(f"{path}: cannot be written ({exc.strerror})") from exc


def _json(value: object) -> str:
    return ENCODER.encode(value).decode()


def _entries(path: Path, profile: Profile) -> list[CountedBallot]:
    """One counted ballot per profile row, largest count first."""
    names = profile.candidates
    out: list[CountedBallot] = []
    if isinstance(profile, RankedProfile):
        groups = orders(profile)
        for r in row_order(profile):
            ranking = tuple(tuple(names[c] for c in group) for group in groups[r])
            out.append(CountedBallot(count=int(profile.counts[r]), ballot=RankedBallot(ranking)))
        return out
    order = [int(i) for i in np.argsort(-profile.counts, kind="stable")]
    if isinstance(profile, ApprovalProfile):
        if (profile.costs is None) != (profile.budget is None):
            raise FormatError(f"{path.name}: a profile with costs needs a budget, and vice versa")
        kind = ApprovalBallot if profile.costs is None else BudgetBallot
        for r in order:
            approved = tuple(names[c] for c in np.flatnonzero(profile.approvals[r]))
            out.append(CountedBallot(count=int(profile.counts[r]), ballot=kind(approved)))
        return out
    for r in order:
        scores = {names[c]: int(profile.scores[r, c]) for c in np.flatnonzero(profile.scores[r])}
        out.append(CountedBallot(count=int(profile.counts[r]), ballot=ScoreBallot(scores)))
    return out


def _rules(path: Path, box: BallotBox, entries: list[CountedBallot]) -> BallotRules:
    """The box's own rules if they admit all its ballots, else rules derived from the ballots."""
    kept = box.meta.get("rules")
    if kept is not None:
        try:
            rules = msgspec.json.decode(kept, type=BallotRules)
            if rules.candidates == box.profile.candidates and all(
                validate(entry.ballot, rules) == entry.ballot for entry in entries
            ):
                return rules
        except (msgspec.MsgspecError, InvalidBallot, InvalidRules):
            pass
    return derive_rules(box.profile, entries)


def derive_rules(profile: Profile, entries: list[CountedBallot]) -> BallotRules:
    """The narrowest rules admitting every ballot of ``profile`` (written as ``entries``)."""
    empty = any(_is_blank(entry.ballot) for entry in entries)
    names = profile.candidates
    if isinstance(profile, RankedProfile):
        return BallotRules(
            kind="ranked",
            candidates=names,
            allow_ties=has_ties(profile),
            allow_truncation=not is_complete(profile),
            allow_empty=empty,
        )
    if isinstance(profile, ScoreProfile):
        return BallotRules(
            kind="score", candidates=names, max_score=profile.max_score, allow_empty=empty
        )
    if profile.costs is None or profile.budget is None:
        return BallotRules(kind="approval", candidates=names, allow_empty=empty)
    rules = BallotRules(
        kind="budget",
        candidates=names,
        costs=profile.costs,
        budget=profile.budget,
        allow_empty=empty,
    )
    try:
        for entry in entries:
            validate(entry.ballot, rules)
    except InvalidBallot:
        return msgspec.structs.replace(rules, allow_over_budget=True)
    return rules


def _is_blank(ballot: Ballot) -> bool:
    if isinstance(ballot, RankedBallot):
        return not ballot.ranking
    if isinstance(ballot, ScoreBallot):
        return not ballot.scores
    return not ballot.approved
