"""Counting a bundle's round again, and moving ballots between bundles and ballot files.

:func:`recount` does what the service did when it closed the round, from the bundle alone:
the ballots are validated under the round's rules, encoded into a profile and counted with
the declared method, seats and options; a lot, where the tie policy allows one, is drawn
with the ballot-box digest as the seed. :func:`ballot_box` turns a round into a
:class:`~ballots.box.BallotBox` for the BLT, PrefLib and pabulib writers (with the round's
:func:`published_count`, so that the files carry the lot seed a file alone cannot
recompute), and
:func:`round_from_box` makes a counted, bundle-ready round of any ballot file (trackers are
derived from the file's profile digest, so the same file always gives the same bundle).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import replace

import numpy as np
from msgspec import UnsetType

from ballots.box import BallotBox, PublishedCount
from ballots.bundle import (
    BallotEntry,
    Counting,
    RoundRecord,
    SlateEntry,
    Turnout,
    entry,
)
from ballots.digest import (
    ALPHABET,
    TRACKER_LENGTH,
    ballot_box_digest,
    lot_seed,
    profile_digest,
)
from ballots.encode import encode
from ballots.errors import FormatError
from ballots.formats._common import orders
from ballots.formats.json_ import CountedBallot, derive_rules
from ballots.formats.pabulib import CANDIDATES_KEY, NAME_KEY
from ballots.kinds import (
    ApprovalBallot,
    Ballot,
    BallotRules,
    BudgetBallot,
    RankedBallot,
    ScoreBallot,
)
from engine.compare import Comparison, compare
from engine.profile import ApprovalProfile, Profile, RankedProfile
from engine.registry import tally
from engine.result import Option, Result, TieBreak


def profile_of(record: RoundRecord) -> Profile:
    """The engine profile of a round's ballots, each validated under its rules."""
    counted = record.counted()
    return encode([b for b, _ in counted], record.rules, [n for _, n in counted])


def seed_for(counting: Counting, box_digest: str) -> str | None:
    """The lot seed the round's tie policy gives: the ballot-box digest, or none."""
    return lot_seed(box_digest) if counting.tie_policy == "lot" else None


def tie_break_of(counting: Counting) -> TieBreak | None:
    """The round's tie-break mode (``None``: the method's own rule, then the lot)."""
    return None if isinstance(counting.tie_break, UnsetType) else counting.tie_break


def recount(record: RoundRecord, box_digest: str) -> tuple[Result, Comparison | None]:
    """The round's result and method comparison, counted again from its ballots; the lot
    seed comes from ``box_digest`` (pass the digest recomputed from the ballots)."""
    counting = record.counting
    profile = profile_of(record)
    seed = seed_for(counting, box_digest)
    result = tally(
        counting.method,
        profile,
        seats=counting.seats,
        seed=seed,
        tie_break=tie_break_of(counting),
        **counting.method_options,
    )
    comparison = None
    if isinstance(profile, RankedProfile):
        comparison = compare(profile, seats=counting.seats, seed=seed)
    return result, comparison


def published_count(record: RoundRecord) -> PublishedCount:
    """How the round was counted, with the lot seed its stored ballot-box digest gives."""
    counting = record.counting
    return PublishedCount(
        method=counting.method,
        seats=counting.seats,
        method_options=dict(counting.method_options),
        tie_policy=counting.tie_policy,
        lot_seed=seed_for(counting, record.ballot_box_digest),
        tie_break=tie_break_of(counting),
    )


def ballot_box(record: RoundRecord, title: str = "") -> BallotBox:
    """The round's ballots as a ballot box for the file writers, with its published count.

    Budget rounds number their projects 1, 2 … in slate order (pabulib ids), with each
    option's name in the ``name`` column, the funded ones ``selected`` and
    ``redbench_candidates`` ``name``, so a reader counts them under their names again
    (the lot draws by name).
    """
    profile = profile_of(record)
    seats = record.counting.seats
    published = published_count(record)
    if isinstance(profile, ApprovalProfile) and profile.costs is not None:
        ids = tuple(str(i) for i in range(1, profile.n_candidates + 1))
        number = dict(zip(profile.candidates, ids, strict=True))
        meta = {NAME_KEY.format(i): name for name, i in number.items()}
        meta[CANDIDATES_KEY] = "name"
        renamed = replace(profile, candidates=ids)
        funded = tuple(number[name] for name in record.result.winners)
        return BallotBox(
            renamed,
            format="bundle",
            title=title,
            seats=seats,
            official=funded,
            meta=meta,
            published=published,
        )
    return BallotBox(profile, format="bundle", title=title, seats=seats, published=published)


def derived_tracker(seed: str, index: int) -> str:
    """A tracker for ballot ``index`` of an imported file: the first 80 bits of
    ``sha256(seed + "\\n" + index)`` in Crockford base 32."""
    value = int.from_bytes(hashlib.sha256(f"{seed}\n{index}".encode()).digest()[:10], "big")
    return "".join(ALPHABET[(value >> (5 * i)) & 31] for i in reversed(range(TRACKER_LENGTH)))


def ballots_of(profile: Profile) -> list[tuple[Ballot, int]]:
    """Each distinct ballot of a profile with its count."""
    names = profile.candidates
    out: list[tuple[Ballot, int]] = []
    if isinstance(profile, RankedProfile):
        for groups, count in zip(orders(profile), profile.counts, strict=True):
            ranking = tuple(tuple(names[c] for c in group) for group in groups)
            out.append((RankedBallot(ranking=ranking), int(count)))
        return out
    if isinstance(profile, ApprovalProfile):
        kind = ApprovalBallot if profile.costs is None else BudgetBallot
        for row, count in zip(profile.approvals, profile.counts, strict=True):
            approved = tuple(names[c] for c in np.flatnonzero(row))
            out.append((kind(approved=approved), int(count)))
        return out
    for row, count in zip(profile.scores, profile.counts, strict=True):
        scores = {names[c]: int(row[c]) for c in np.flatnonzero(row)}
        out.append((ScoreBallot(scores=scores), int(count)))
    return out


def round_from_box(
    box: BallotBox,
    method: str,
    *,
    seats: int | None = None,
    method_options: Mapping[str, Option] | None = None,
    tie_policy: str = "lot",
) -> RoundRecord:
    """A counted round of the ballots in ``box`` (e.g. a BLT or pabulib file), ready to seal.

    Every voter's ballot gets a tracker derived from the profile digest; the count uses
    the same rules as a round of the service (lot seed = the ballot-box digest).
    """
    profile = box.profile
    distinct = ballots_of(profile)
    rules = derive_rules(profile, [CountedBallot(count=c, ballot=b) for b, c in distinct])
    seed = profile_digest(profile)
    entries: list[tuple[str, Ballot]] = []
    for ballot, count in distinct:
        for _ in range(count):
            entries.append((derived_tracker(seed, len(entries)), ballot))
    entries.sort(key=lambda pair: pair[0])
    if len({t for t, _ in entries}) != len(entries):
        raise FormatError("two ballots drew the same tracker; cannot make a bundle")
    digest = ballot_box_digest(entries)
    counting = Counting(
        method=method,
        seats=seats or box.seats or 1,
        tie_policy="refuse" if tie_policy == "refuse" else "lot",
        method_options=dict(method_options or {}),
    )
    slate = tuple(_slate(box, rules, i) for i in range(len(rules.candidates)))
    ballots: tuple[BallotEntry, ...] = tuple(entry(t, b) for t, b in entries)
    draft = RoundRecord(
        number=1,
        title=box.title,
        counting=counting,
        rules=rules,
        slate=slate,
        turnout=Turnout(ballots_cast=len(entries)),
        ballot_box_digest=digest,
        result=Result(method=method, options={}, candidates=(), ballots=0, winners=()),
        ballots=ballots,
    )
    result, comparison = recount(draft, digest)
    return RoundRecord(
        number=1,
        title=box.title,
        counting=counting,
        rules=rules,
        slate=slate,
        turnout=draft.turnout,
        ballot_box_digest=digest,
        result=result,
        comparison=comparison,
        ballots=ballots,
    )


def _slate(box: BallotBox, rules: BallotRules, i: int) -> SlateEntry:
    name = rules.candidates[i]
    cost = None if rules.costs is None else rules.costs[i]
    return SlateEntry(name=name, description=box.meta.get(NAME_KEY.format(name), ""), cost=cost)
