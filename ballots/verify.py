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

import hashlib
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
    ballot_box_digest,
    ballot_line,
    canonical_ballot,
    content_list_digest,
    grouped_tracker,
    normalize_tracker,
    sealed_box_digest,
    tracker_list_digest,
)
from ballots.errors import BallotError, InvalidBallot, InvalidReceipt
from ballots.recount import recount
from ballots.validate import validate
from engine.errors import EngineError

MAX_DIFFERENCES: Final[int] = 6
"""Differences listed per compared value (the first ones in reading order)."""


class Finding(Struct, frozen=True, kw_only=True):
    """One difference: which check found it (``package-digest``, ``expected-digest``,
    ``tracker``, ``ballot-hash``, ``content``, ``invalid-ballot``, ``trackers-digest``,
    ``contents-digest``, ``box-digest``, ``ballot-count``, ``slate``, ``recount``,
    ``result``, ``comparison``, ``deliberation``), the round number (``None`` for the
    bundle as a whole) and a sentence saying what differs."""

    check: str
    round: int | None
    message: str


class Report(Struct, frozen=True, kw_only=True):
    """The outcome: ``verified`` when nothing differs; the package digest as stored and as
    recomputed, how many rounds and ballots were checked, how many of the rounds have
    sealed receipts, and every finding."""

    verified: bool
    digest: str
    stored_digest: str
    rounds: int
    ballots: int
    findings: tuple[Finding, ...]
    sealed_rounds: int = 0


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
            Finding(
                check="package-digest",
                round=None,
                message=f"package digest mismatch: the bundle says {bundle.digest}, "
                f"its content hashes to {computed}",
            )
        )
    if expect is not None and expect.strip().lower() != computed:
        findings.append(
            Finding(
                check="expected-digest",
                round=None,
                message=f"the package digest {computed} is not the expected "
                f"{expect.strip().lower()} (the one on the signed record)",
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
    findings = [Finding(check=c, round=n, message=m) for c, m in problems]
    if digest and digest != record.ballot_box_digest:
        findings.append(
            Finding(
                check="box-digest",
                round=n,
                message=f"ballot-box digest mismatch: the bundle says "
                f"{record.ballot_box_digest}, its {record.ballot_count} ballots hash to "
                f"{digest}",
            )
        )
    findings += [Finding(check=c, round=n, message=m) for c, m in _count_problems(record)]
    findings += [Finding(check=c, round=n, message=m) for c, m in _deliberation(record)]
    if not digest:
        findings.append(
            Finding(
                check="recount",
                round=n,
                message="not recounted: fix the ballots reported above first",
            )
        )
        return findings
    try:
        result, comparison = recount(record, digest)
    except (EngineError, BallotError) as exc:
        findings.append(Finding(check="recount", round=n, message=f"cannot recount: {exc}"))
        return findings
    for message in _result_differences(record.result, result):
        findings.append(Finding(check="result", round=n, message=message))
    stored = msgspec.to_builtins(record.comparison)
    for path, old, new in differences(stored, msgspec.to_builtins(comparison)):
        findings.append(
            Finding(
                check="comparison",
                round=n,
                message=f"method comparison differs at {path or 'the top'}: "
                f"stored {_shown(old)} vs recount {_shown(new)}",
            )
        )
    return findings


Problems = list[tuple[str, str]]


def _open_box(record: RoundRecord, entries: tuple[BallotEntry, ...]) -> tuple[Problems, str]:
    """An open-receipt box: its ballots' problems, and the ballot-box digest recomputed from
    the pairs (empty when a tracker or a ballot is unusable)."""
    problems = list(_ballot_problems(record, entries))
    if any(check in ("tracker", "invalid-ballot") for check, _ in problems):
        return problems, ""
    return problems, ballot_box_digest((e.tracker, e.ballot) for e in entries)


def _sealed_box(record: RoundRecord, box: SealedBallots) -> tuple[Problems, str]:
    """A sealed-receipt box: the problems of its two lists and their digests, and the
    ballot-box digest recomputed from the two lists (empty when one is unusable)."""
    problems = list(_tracker_problems(box.trackers))
    problems += _content_problems(record, box)
    if any(check in ("tracker", "content", "invalid-ballot") for check, _ in problems):
        return problems, ""
    trackers = tracker_list_digest(box.trackers)
    contents = content_list_digest((c.ballot, c.count) for c in box.contents)
    for name, stored, computed in (
        ("trackers", box.trackers_digest, trackers),
        ("contents", box.contents_digest, contents),
    ):
        if stored != computed:
            listed = len(box.trackers) if name == "trackers" else len(box.contents)
            problems.append(
                (
                    f"{name}-digest",
                    f"{name} digest mismatch: the bundle says {stored}, its {listed} "
                    f"{'trackers' if name == 'trackers' else 'distinct ballots'} hash to "
                    f"{computed}",
                )
            )
    return problems, sealed_box_digest(trackers, contents)


def _tracker_problems(trackers: tuple[str, ...]) -> Iterator[tuple[str, str]]:
    """Every tracker canonical, unique and in order."""
    previous = ""
    seen: set[str] = set()
    for i, tracker in enumerate(trackers, start=1):
        try:
            canonical = normalize_tracker(tracker) == tracker and len(tracker) == TRACKER_LENGTH
        except InvalidReceipt:
            canonical = False
        if not canonical:
            yield "tracker", f"tracker {i}: {tracker!r} is not a tracker in canonical form"
            continue
        label = f"tracker {i} ({grouped_tracker(tracker)})"
        if tracker in seen:
            yield "tracker", f"{label} appears twice"
        elif tracker < previous:
            yield "tracker", f"{label} is out of order (after {grouped_tracker(previous)})"
        seen.add(tracker)
        previous = max(previous, tracker)


def _content_problems(record: RoundRecord, box: SealedBallots) -> Iterator[tuple[str, str]]:
    """Every distinct ballot valid, in its normalised form, listed once and in order."""
    previous = b""
    for i, item in enumerate(box.contents, start=1):
        label = f"distinct ballot {i}"
        try:
            valid = validate(item.ballot, record.rules)
        except InvalidBallot as exc:
            yield "invalid-ballot", f"{label} breaks the round's rules: {exc}"
            continue
        if valid != item.ballot:
            yield "invalid-ballot", f"{label} is not in the normalised form a cast ballot has"
            continue
        key = canonical_ballot(item.ballot)
        if key == previous:
            yield "content", f"{label} is listed twice (give it once, with its count)"
        elif key < previous:
            yield "content", f"{label} is out of order (the list is sorted by canonical ballot)"
        previous = max(previous, key)


def _ballot_problems(
    record: RoundRecord, entries: tuple[BallotEntry, ...]
) -> Iterator[tuple[str, str]]:
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
            yield "tracker", f"ballot {i}: {tracker!r} is not a tracker in canonical form"
            continue
        label = f"ballot {i} (tracker {grouped_tracker(tracker)})"
        if tracker in seen:
            yield "tracker", f"{label} appears twice"
        elif tracker < previous:
            yield "tracker", f"{label} is out of tracker order (after {grouped_tracker(previous)})"
        seen.add(tracker)
        previous = max(previous, tracker)
        if hashlib.sha256(ballot_line(tracker, item.ballot)).hexdigest() != item.hash:
            yield (
                "ballot-hash",
                f"{label} does not match its ballot-box line hash: the ballot was changed "
                "after it was cast",
            )
        try:
            valid = validate(item.ballot, record.rules)
        except InvalidBallot as exc:
            yield "invalid-ballot", f"{label} breaks the round's rules: {exc}"
            continue
        if valid != item.ballot:
            yield "invalid-ballot", f"{label} is not in the normalised form a cast ballot has"


def _count_problems(record: RoundRecord) -> Iterator[tuple[str, str]]:
    """Listed ballots against the turnout and the result (and, for sealed receipts, the
    trackers against the ballots); the rules against the slate."""
    listed = record.ballot_count
    turnout = record.turnout
    if isinstance(record.ballots, SealedBallots) and len(record.ballots.trackers) != listed:
        yield (
            "ballot-count",
            f"the bundle lists {len(record.ballots.trackers)} trackers but {listed} ballots: "
            "each ballot has one tracker",
        )
    if turnout.ballots_cast != listed:
        yield (
            "ballot-count",
            f"the bundle lists {listed} ballots, but its turnout says {turnout.ballots_cast} "
            "were cast",
        )
    if record.result.ballots != listed:
        yield (
            "ballot-count",
            f"the bundle lists {listed} ballots, but its result counted {record.result.ballots}",
        )
    if turnout.codes_used is not None and turnout.codes_used != turnout.ballots_cast:
        yield (
            "ballot-count",
            f"{turnout.ballots_cast} ballots were cast with {turnout.codes_used} used codes: "
            "each code casts exactly one ballot",
        )
    names = tuple(option.name for option in record.slate)
    if names != record.rules.candidates:
        yield "slate", f"the slate {list(names)} is not the rules' {list(record.rules.candidates)}"
    if record.result.method != record.counting.method:
        yield (
            "result",
            f"the result was counted with {record.result.method}, but the round declared "
            f"{record.counting.method}",
        )


def _deliberation(record: RoundRecord) -> Iterator[tuple[str, str]]:
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
            option = key[0] or "the round as a whole"
            yield (
                "deliberation",
                f"comments about {option} ({key[1]}): the summary says {stated[key]}, "
                f"the bundle lists {counted[key]}",
            )
    ids = {c.id for c in talk.comments}
    for missing in [i for i in talk.notable if i not in ids]:
        yield "deliberation", f"notable comment {missing} is not among the listed comments"


def _result_differences(stored: Any, counted: Any) -> Iterator[str]:
    """Sentences for how the stored result differs from the recount, winners first."""
    if stored.winners != counted.winners:
        yield (
            f"result differs: stored winners {_shown(stored.winners)} vs recount "
            f"{_shown(counted.winners)}"
        )
    old, new = msgspec.to_builtins(stored), msgspec.to_builtins(counted)
    old.pop("winners", None)
    new.pop("winners", None)
    for path, a, b in differences(old, new):
        yield f"result differs at {path}: stored {_shown(a)} vs recount {_shown(b)}"


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
