"""Verifying a decision bundle from the bundle alone: its package digest, every ballot
against the round's rules, the ballot-box digest, the counts, and the result and method
comparison counted again.

A round with sealed receipts lists its trackers and its distinct ballots separately: both
lists are checked (form, order, each digest) and the ballot-box digest recomputed from their
two digests. A round with open receipts lists each ballot beside its tracker: every ballot
is checked against its ballot-box line hash and the digest recomputed from the pairs.

:func:`verify` never stops at the first problem: it reports each difference as a
:class:`Finding` saying exactly what differs (``ballot 17 (tracker ABCD-…) does not match
its ballot-box line hash``, ``result differs: stored winners [..] vs recount [..]``,
``package digest mismatch``). A bundle with no findings is verified.

What the bundle alone cannot show: a tamperer who rewrites ballots *and* every digest after
them produces a self-consistent bundle. Compare the package digest with the one printed on
the signed paper record (``expect``) and the ballot-box digest with the one published on
the board; residents can look their trackers up.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any, Final

import msgspec
from msgspec import Struct

from ballots.bundle import (
    STANCES,
    BallotEntry,
    Bundle,
    RoundRecord,
    SealedBallots,
    decode,
    package_digest,
)
from ballots.digest import (
    TRACKER_LENGTH,
    canonical_ballot,
    grouped_tracker,
    line_hash,
    normalize_tracker,
)
from ballots.errors import BallotError, InvalidBallot, InvalidReceipt
from ballots.recount import recount
from ballots.validate import validate
from engine.errors import EngineError
from engine.registry import METHODS

MAX_DIFFERENCES: Final[int] = 6
"""Differences listed per compared value (the first ones in reading order)."""

MESSAGES: Final[dict[str, str]] = {
    "package-digest": "package digest mismatch: the bundle says {stored}, its content hashes "
    "to {computed}",
    "expected-digest": "the package digest {computed} is not the expected {expected} (the one "
    "on the signed record)",
    "box-digest": "ballot-box digest mismatch: the bundle says {stored}, its {count} ballots "
    "hash to {computed}",
    "not-recounted": "not recounted: fix the ballots reported above first",
    "cannot-recount": "cannot recount: {detail}",
    "result-winners": "result differs: stored winners {stored} vs recount {recount}",
    "result-at": "result differs at {path}: stored {stored} vs recount {recount}",
    "comparison-at": "method comparison differs at {path}: stored {stored} vs recount {recount}",
    "tracker-form": "ballot {n}: {tracker} is not a tracker in canonical form",
    "tracker-twice": "ballot {n} (tracker {tracker}) appears twice",
    "tracker-order": "ballot {n} (tracker {tracker}) is out of tracker order (after {previous})",
    "ballot-hash": "ballot {n} (tracker {tracker}) does not match its ballot-box line hash: the "
    "ballot was changed after it was cast",
    "invalid-ballot": "ballot {n} (tracker {tracker}) breaks the round's rules: {detail}",
    "not-normalised": "ballot {n} (tracker {tracker}) is not in the normalised form a cast "
    "ballot has",
    "list-tracker-form": "tracker {n}: {tracker} is not a tracker in canonical form",
    "list-tracker-twice": "tracker {n} ({tracker}) appears twice",
    "list-tracker-order": "tracker {n} ({tracker}) is out of order (after {previous})",
    "content-invalid": "distinct ballot {n} breaks the round's rules: {detail}",
    "content-not-normalised": "distinct ballot {n} is not in the normalised form a cast ballot has",
    "content-twice": "distinct ballot {n} is listed twice (give it once, with its count)",
    "content-order": "distinct ballot {n} is out of order (the list is sorted by canonical ballot)",
    "trackers-digest": "trackers digest mismatch: the bundle says {stored}, its {count} "
    "trackers hash to {computed}",
    "contents-digest": "contents digest mismatch: the bundle says {stored}, its {count} "
    "distinct ballots hash to {computed}",
    "count-trackers": "the bundle lists {trackers} trackers but {listed} ballots: each ballot "
    "has one tracker",
    "count-turnout": "the bundle lists {listed} ballots, but its turnout says {cast} were cast",
    "count-result": "the bundle lists {listed} ballots, but its result counted {counted}",
    "count-codes": "{cast} ballots were cast with {used} used codes: each code casts exactly "
    "one ballot",
    "slate": "the slate {slate} is not the rules' {candidates}",
    "method": "the result was counted with {counted}, but the round declared {declared}",
    "stance-count": "comments about {option} ({stance}): the summary says {stated}, the bundle "
    "lists {listed}",
    "stance-count-round": "comments about the round as a whole ({stance}): the summary says "
    "{stated}, the bundle lists {listed}",
    "notable-missing": "notable comment {id} is not among the listed comments",
}
"""English sentence for every kind of difference (``Finding.problem``), filled from
``Finding.params``: a translation is another table with the same codes and parameters.
Values that are lists, numbers or words from the bundle are JSON (``["文化墙"]``); paths
read like ``rounds[2].tallies["文化墙"]``."""


class Finding(Struct, frozen=True, kw_only=True):
    """One difference: which check found it (``package-digest``, ``expected-digest``,
    ``tracker``, ``ballot-hash``, ``content``, ``invalid-ballot``, ``trackers-digest``,
    ``contents-digest``, ``box-digest``, ``ballot-count``, ``slate``, ``recount``,
    ``result``, ``comparison``, ``deliberation``), the round number (``None`` for the
    bundle as a whole) and a sentence saying what differs; ``problem`` and ``params`` are
    that sentence's code in :data:`MESSAGES` and its values (an invalid ballot's own problem
    code and values too, as ``ballot_problem`` …)."""

    check: str
    round: int | None
    message: str
    problem: str = ""
    params: dict[str, str] = {}


def finding(check: str, round: int | None, problem: str, **params: str) -> Finding:
    """A finding whose sentence is :data:`MESSAGES` ``[problem]`` filled with ``params``."""
    message = MESSAGES[problem].format_map(params)
    return Finding(check=check, round=round, message=message, problem=problem, params=params)


class Report(Struct, frozen=True, kw_only=True):
    """The outcome: ``verified`` when nothing differs; the package digest as stored and as
    recomputed, how many rounds and ballots were checked, and every finding."""

    verified: bool
    digest: str
    stored_digest: str
    rounds: int
    ballots: int
    findings: tuple[Finding, ...]
    sealed_rounds: int = 0
    """Rounds whose receipts are sealed (their trackers and ballots listed apart)."""


def verify(data: bytes, *, name: str = "bundle", expect: str | None = None) -> Report:
    """Verify a bundle file's bytes; a file that is not a bundle at all raises
    :class:`~ballots.errors.FormatError`. ``expect`` is a package digest known from
    elsewhere (printed on the signed record) that the bundle must have."""
    return verify_bundle(decode(data, name), expect=expect)


def verify_bundle(bundle: Bundle, *, expect: str | None = None) -> Report:
    """Verify a decoded bundle (see :func:`verify`)."""
    findings: list[Finding] = []
    computed = package_digest(bundle)
    if computed != bundle.digest:
        findings.append(
            finding(
                "package-digest", None, "package-digest", stored=bundle.digest, computed=computed
            )
        )
    if expect is not None and expect.strip().lower() != computed:
        findings.append(
            finding(
                "expected-digest",
                None,
                "expected-digest",
                computed=computed,
                expected=expect.strip().lower(),
            )
        )
    for record in bundle.rounds:
        findings.extend(check_round(record))
    return Report(
        verified=not findings,
        digest=computed,
        stored_digest=bundle.digest,
        rounds=len(bundle.rounds),
        ballots=sum(r.ballot_count for r in bundle.rounds),
        findings=tuple(findings),
        sealed_rounds=sum(not r.open_receipts for r in bundle.rounds),
    )


def check_round(record: RoundRecord) -> list[Finding]:
    """Every check of one round, in reading order."""
    n = record.number
    if isinstance(record.ballots, SealedBallots):
        problems, digest = _sealed_box(record, record.ballots)
    else:
        problems, digest = _open_box(record, record.ballots)
    findings = [finding(c, n, p, **v) for c, p, v in problems]
    box_ok = bool(digest)
    if box_ok and digest != record.ballot_box_digest:
        findings.append(
            finding(
                "box-digest",
                n,
                "box-digest",
                stored=record.ballot_box_digest,
                count=str(record.ballot_count),
                computed=digest,
            )
        )
    findings += [finding(c, n, p, **v) for c, p, v in _count_problems(record)]
    findings += [finding(c, n, p, **v) for c, p, v in _deliberation(record)]
    if not box_ok:
        findings.append(finding("recount", n, "not-recounted"))
        return findings
    try:
        result, comparison = recount(record, digest)
    except (EngineError, BallotError) as exc:
        findings.append(finding("recount", n, "cannot-recount", detail=str(exc)))
        return findings
    for problem, values in _result_differences(record.result, result):
        findings.append(finding("result", n, problem, **values))
    stored = msgspec.to_builtins(record.comparison)
    for path, old, new in differences(stored, msgspec.to_builtins(comparison)):
        findings.append(
            finding(
                "comparison",
                n,
                "comparison-at",
                path=path or "the top",
                stored=_shown(old),
                recount=_shown(new),
            )
        )
    return findings


Problem = tuple[str, str, dict[str, str]]
"""A finding still to make: its check, its problem code and the sentence's values."""


def _open_box(record: RoundRecord, entries: tuple[BallotEntry, ...]) -> tuple[list[Problem], str]:
    """An open-receipt box: its ballots' problems, and the ballot-box digest recomputed from
    the pairs (empty when a tracker or a ballot is unusable)."""
    problems = list(_ballot_problems(record, entries))
    if any(check in ("tracker", "invalid-ballot") for check, _, _ in problems):
        return problems, ""
    return problems, record.box_digests().box


def _sealed_box(record: RoundRecord, box: SealedBallots) -> tuple[list[Problem], str]:
    """A sealed-receipt box: the problems of its two lists and their digests, and the
    ballot-box digest recomputed from the two lists (empty when one is unusable)."""
    problems = list(_tracker_problems(box.trackers))
    problems += _content_problems(record, box)
    if any(check in ("tracker", "content", "invalid-ballot") for check, _, _ in problems):
        return problems, ""
    digests = record.box_digests()
    for name, stored, computed, count in (
        ("trackers", box.trackers_digest, digests.trackers, len(box.trackers)),
        ("contents", box.contents_digest, digests.contents, len(box.contents)),
    ):
        if stored != computed:
            values = {"stored": stored, "count": str(count), "computed": str(computed)}
            problems.append((f"{name}-digest", f"{name}-digest", values))
    return problems, digests.box


def _tracker_problems(trackers: tuple[str, ...]) -> Iterator[Problem]:
    """Every tracker of a sealed list canonical, unique and in order."""
    previous = ""
    seen: set[str] = set()
    for i, tracker in enumerate(trackers, start=1):
        try:
            canonical = normalize_tracker(tracker) == tracker and len(tracker) == TRACKER_LENGTH
        except InvalidReceipt:
            canonical = False
        if not canonical:
            yield "tracker", "list-tracker-form", {"n": str(i), "tracker": repr(tracker)}
            continue
        where = {"n": str(i), "tracker": grouped_tracker(tracker)}
        if tracker in seen:
            yield "tracker", "list-tracker-twice", where
        elif tracker < previous:
            yield "tracker", "list-tracker-order", {**where, "previous": grouped_tracker(previous)}
        seen.add(tracker)
        previous = max(previous, tracker)


def _content_problems(record: RoundRecord, box: SealedBallots) -> Iterator[Problem]:
    """Every distinct ballot of a sealed list valid, normalised, listed once and in order."""
    previous = b""
    for i, item in enumerate(box.contents, start=1):
        where = {"n": str(i)}
        try:
            valid = validate(item.ballot, record.rules)
        except InvalidBallot as exc:
            own = {f"ballot_{k}": v for k, v in exc.params.items()}
            detail = {"detail": str(exc), "ballot_problem": exc.problem, **own}
            yield "invalid-ballot", "content-invalid", {**where, **detail}
            continue
        if valid != item.ballot:
            yield "invalid-ballot", "content-not-normalised", where
            continue
        key = canonical_ballot(item.ballot)
        if key == previous:
            yield "content", "content-twice", where
        elif key < previous:
            yield "content", "content-order", where
        previous = max(previous, key)


def _ballot_problems(record: RoundRecord, entries: tuple[BallotEntry, ...]) -> Iterator[Problem]:
    """Trackers (canonical, unique, in order), line hashes and validity, ballot by ballot."""
    previous = ""
    seen: set[str] = set()
    for i, item in enumerate(entries, start=1):
        tracker = item.tracker
        try:
            canonical = normalize_tracker(tracker) == tracker and len(tracker) == TRACKER_LENGTH
        except InvalidReceipt:
            canonical = False
        if not canonical:
            yield "tracker", "tracker-form", {"n": str(i), "tracker": repr(tracker)}
            continue
        where = {"n": str(i), "tracker": grouped_tracker(tracker)}
        if tracker in seen:
            yield "tracker", "tracker-twice", where
        elif tracker < previous:
            yield "tracker", "tracker-order", {**where, "previous": grouped_tracker(previous)}
        seen.add(tracker)
        previous = max(previous, tracker)
        if line_hash(tracker, item.ballot) != item.hash:
            yield "ballot-hash", "ballot-hash", where
        try:
            valid = validate(item.ballot, record.rules)
        except InvalidBallot as exc:
            own = {f"ballot_{k}": v for k, v in exc.params.items()}
            detail = {"detail": str(exc), "ballot_problem": exc.problem, **own}
            yield "invalid-ballot", "invalid-ballot", {**where, **detail}
            continue
        if valid != item.ballot:
            yield "invalid-ballot", "not-normalised", where


def _count_problems(record: RoundRecord) -> Iterator[Problem]:
    """Listed ballots against the turnout and the result (and, for sealed receipts, the
    trackers against the ballots); the rules against the slate."""
    listed = str(record.ballot_count)
    turnout = record.turnout
    cast = str(turnout.ballots_cast)
    if isinstance(record.ballots, SealedBallots) and len(record.ballots.trackers) != int(listed):
        trackers = str(len(record.ballots.trackers))
        yield "ballot-count", "count-trackers", {"trackers": trackers, "listed": listed}
    if cast != listed:
        yield "ballot-count", "count-turnout", {"listed": listed, "cast": cast}
    if str(record.result.ballots) != listed:
        counted = str(record.result.ballots)
        yield "ballot-count", "count-result", {"listed": listed, "counted": counted}
    if turnout.codes_used is not None and turnout.codes_used != turnout.ballots_cast:
        yield "ballot-count", "count-codes", {"cast": cast, "used": str(turnout.codes_used)}
    names = tuple(option.name for option in record.slate)
    if names != record.rules.candidates:
        shown = {"slate": _shown(names), "candidates": _shown(record.rules.candidates)}
        yield "slate", "slate", shown
    if record.result.method != record.counting.method:
        methods = {"counted": record.result.method, "declared": record.counting.method}
        yield "result", "method", methods


def _deliberation(record: RoundRecord) -> Iterator[Problem]:
    """The stance counts must be those of the listed comments; notable ones must be listed."""
    talk = record.deliberation
    counted: Counter[tuple[str | None, str]] = Counter((c.option, c.stance) for c in talk.comments)
    stated: Counter[tuple[str | None, str]] = Counter()
    for entry in talk.per_option:
        for stance in STANCES:
            value = getattr(entry.counts, stance)
            if value:
                stated[(entry.option, stance)] += value
    for key in sorted(set(counted) | set(stated), key=lambda k: (k[0] or "", k[1])):
        if counted[key] != stated[key]:
            counts = {"stance": key[1], "stated": str(stated[key]), "listed": str(counted[key])}
            if key[0]:
                yield "deliberation", "stance-count", {"option": key[0], **counts}
            else:
                yield "deliberation", "stance-count-round", counts
    ids = {c.id for c in talk.comments}
    for missing in [i for i in talk.notable if i not in ids]:
        yield "deliberation", "notable-missing", {"id": str(missing)}


def _result_differences(stored: Any, counted: Any) -> Iterator[tuple[str, dict[str, str]]]:
    """How the stored result differs from the recount (problem code and values), winners
    first."""
    if stored.winners != counted.winners:
        yield (
            "result-winners",
            {"stored": _shown(stored.winners), "recount": _shown(counted.winners)},
        )
    old, new = msgspec.to_builtins(stored), msgspec.to_builtins(counted)
    old.pop("winners", None)
    new.pop("winners", None)
    _drop_later_defaults(old, new)
    for path, a, b in differences(old, new):
        yield "result-at", {"path": path, "stored": _shown(a), "recount": _shown(b)}


def _drop_later_defaults(old: dict[str, Any], new: dict[str, Any]) -> None:
    """Leave out of the recount's options those the stored result does not name and that
    hold their default: options a method gained after the result was stored (instant
    runoff's ``until_two``, STV's ``quota`` …) count as they did before, so a record
    sealed earlier still verifies."""
    stored, recounted = old.get("options"), new.get("options")
    info = METHODS.get(str(new.get("method")))
    if not isinstance(stored, dict) or not isinstance(recounted, dict) or info is None:
        return
    for name in sorted(set(recounted) - set(stored)):
        spec = info.options.get(name)
        if spec is not None and recounted[name] == spec.default:
            del recounted[name]


def differences(old: Any, new: Any, path: str = "") -> list[tuple[str, Any, Any]]:
    """The first :data:`MAX_DIFFERENCES` places where two JSON-like values differ, as
    ``(path, old, new)``; paths read like ``rounds[2].tallies["文化墙"]``."""
    found: list[tuple[str, Any, Any]] = []
    _walk(old, new, path, found)
    return found[:MAX_DIFFERENCES]


def _walk(old: Any, new: Any, path: str, found: list[tuple[str, Any, Any]]) -> None:
    if len(found) >= MAX_DIFFERENCES or old == new:
        return
    if isinstance(old, dict) and isinstance(new, dict):
        for key in [*old, *(k for k in new if k not in old)]:
            step = f".{key}" if key.isidentifier() and key.isascii() else f"[{_shown(key)}]"
            _walk(old.get(key), new.get(key), f"{path}{step}".lstrip("."), found)
        return
    if isinstance(old, list | tuple) and isinstance(new, list | tuple) and len(old) == len(new):
        for i, (a, b) in enumerate(zip(old, new, strict=True)):
            _walk(a, b, f"{path}[{i}]", found)
        return
    found.append((path, old, new))


def _shown(value: Any) -> str:
    return msgspec.json.encode(value).decode()
