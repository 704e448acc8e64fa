"""Counting a closed round's ballot box in the worker process (:mod:`service.offload`).

The close reads the round's sealed envelopes and the ballots already counted
(:class:`SealedBox`, plain data), and :func:`count_box` does all the CPU work in the worker:
it opens the envelopes with the round's key, closes the box (tracker order; with sealed
receipts the marks sorted apart by content), turns the marks into the engine's profile and
counts it with the lot seed drawn from the box digest, comparing methods for ranked ballots.
It answers a :class:`BoxCount` — the closed box to store and the result — and touches no
database: the close stores both in a short transaction of its own
(:mod:`service.results.counting`).

The worker's fork server imports this module once (:data:`service.offload.PRELOAD`), so a
count starts with the engine loaded.
"""

from __future__ import annotations

import os
from typing import Any

import msgspec

from ballots.digest import lot_seed
from ballots.kinds import BallotRules
from ballots.marks import ClosedBox, profile_from_marks
from engine.compare import compare
from engine.profile import Profile, RankedProfile
from engine.registry import tally
from engine.result import Result, TieBreak
from service.results.opening import open_envelopes
from service.voting.sealing import RoundSeal


class SealedBox(msgspec.Struct, frozen=True, kw_only=True):
    """What counting a round needs, read from the database at its close: its envelopes
    (nonce, sealed), the ballots an older close already counted (tracker, marks), and its
    frozen rules and counting options."""

    round_id: int
    method: str
    rules: BallotRules
    open_receipts: bool
    seats: int
    lot: bool
    """Whether a tie that needs a lot is drawn (tie policy ``lot``) or stops the count."""
    options: dict[str, Any]
    tie_break: TieBreak | None = None
    """The round's tie-break mode with the facilitator's answers so far (``None``: the
    method's own rule, then ``lot``)."""
    envelopes: list[tuple[bytes, bytes]]
    counted: list[tuple[str, bytes]]

    @property
    def ballots(self) -> int:
        """How many ballots the box will hold once opened."""
        return len(self.envelopes) + len(self.counted)


class BoxCount(msgspec.Struct, frozen=True, kw_only=True):
    """A counted box: the closed box to store, the method's result, the comparison of
    methods (canonical JSON, ranked ballots only) and the process that counted it."""

    box: ClosedBox
    result: Result
    comparison: bytes | None
    worker: int


def count_box(secret_key: str, sealed: SealedBox) -> BoxCount:
    """Open, close and count ``sealed`` (module docstring). CPU work only: the close runs it
    in the worker process. Raises what counting raises — a tie the round may not draw
    (:class:`~engine.errors.TieUnresolved`), an envelope that does not open."""
    rules = sealed.rules
    box = open_envelopes(
        RoundSeal(secret_key, sealed.round_id),
        sealed.envelopes,
        sealed.counted,
        rules.kind,
        rules.candidates,
        open_receipts=sealed.open_receipts,
    )
    profile = profile_from_marks(rules, box.marks)
    seed = lot_seed(box.digest) if sealed.lot else None
    result, comparison = count(
        sealed.method, profile, sealed.seats, seed, sealed.options, sealed.tie_break
    )
    return BoxCount(box=box, result=result, comparison=comparison, worker=os.getpid())


def count(
    method: str,
    profile: Profile,
    seats: int,
    seed: str | None,
    options: dict[str, Any],
    tie_break: TieBreak | None = None,
) -> tuple[Result, bytes | None]:
    """The method's result under the round's tie-break mode and, for ranked ballots, the
    comparison of methods (canonical JSON; each method by its own rule and the lot)."""
    result = tally(method, profile, seats=seats, seed=seed, tie_break=tie_break, **options)
    if not isinstance(profile, RankedProfile):
        return result, None
    comparison = compare(profile, seats=seats, seed=seed)
    return result, msgspec.json.encode(comparison, order="deterministic")
