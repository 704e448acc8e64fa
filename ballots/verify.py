"""Verifying a decision bundle from the bundle alone: its package digest, every ballot
against its ballot-box line hash and the round's rules, the ballot-box digest, the counts,
and the result and method comparison counted again.

:func:`verify` never stops at the first problem: it reports each difference as a
:class:`Finding` saying exactly what differs (``ballot 17 (tracker ABCD-…) does not match
its ballot-box line hash``, ``result differs: stored winners [..] vs recount [..]``,
``package digest mismatch``). A bundle with no findings is verified.

What the bundle alone cannot show: a tamperer who rewrites ballots *and* every digest after
them produces a self-consistent bundle. Compare the package digest with the one printed on
the signed paper record (``expect``) and the ballot-box digest with the one published on
the board; voters can look their trackers up.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator
from typing import Any, Final

import msgspec
from msgspec import Struct

from ballots.bundle import STANCES, Bundle, RoundRecord, decode, package_digest
from ballots.digest import (
    TRACKER_LENGTH,
    ballot_box_digest,
    ballot_line,
    grouped_tracker,
    normalize_tracker,
)
from ballots.errors import BallotError, InvalidBallot, InvalidReceipt
from ballots.recount import recount
from ballots.validate import validate
from engine.errors import EngineError

MAX_DIFFERENCES: Final[int] = 6
"""Differences listed per compared value (the first ones in reading order)."""


class Finding(Struct, frozen=True, kw_only=True):
    """One difference: which check found it (``package-digest``, ``expected-digest``,
    ``tracker``, ``ballot-hash``, ``invalid-ballot``, ``box-digest``, ``ballot-count``,
    ``slate``, ``recount``, ``result``, ``comparison``, ``deliberation``), the round
    number (``None`` for the bundle as a whole) and a sentence saying what differs."""

    check: str
    round: int | None
    message: str


class Report(Struct, frozen=True, kw_only=True):
    """The outcome: ``verified`` when nothing differs; the package digest as stored and as
    recomputed, how many rounds and ballots were checked, and every finding."""

    verified: bool
    digest: str
    stored_digest: str
    rounds: int
    ballots: int
    findings: tuple[Finding, ...]


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
        ballots=sum(len(r.ballots) for r in bundle.rounds),
        findings=tuple(findings),
    )


def check_round(record: RoundRecord) -> list[Finding]:
    """Every check of one round, in reading order."""
    n = record.number
    findings = [Finding(check=c, round=n, message=m) for c, m in _ballot_problems(record)]
    box_ok = not any(f.check in ("tracker", "invalid-ballot") for f in findings)
    digest = ""
    if box_ok:
        digest = ballot_box_digest((e.tracker, e.ballot) for e in record.ballots)
        if digest != record.ballot_box_digest:
            findings.append(
                Finding(
                    check="box-digest",
                    round=n,
                    message=f"ballot-box digest mismatch: the bundle says "
                    f"{record.ballot_box_digest}, its {len(record.ballots)} ballots hash to "
                    f"{digest}",
                )
            )
    findings += [Finding(check=c, round=n, message=m) for c, m in _count_problems(record)]
    findings += [Finding(check=c, round=n, message=m) for c, m in _deliberation(record)]
    if not box_ok:
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


def _ballot_problems(record: RoundRecord) -> Iterator[tuple[str, str]]:
    """Trackers (canonical, unique, in order), line hashes and validity, ballot by ballot."""
    previous = ""
    seen: set[str] = set()
    for i, item in enumerate(record.ballots, start=1):
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
    """Listed ballots against the turnout and the result; the rules against the slate."""
    listed = len(record.ballots)
    turnout = record.turnout
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
