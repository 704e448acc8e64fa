"""Response shapes for results, the published ballot and tracker lists and receipt checks.

With sealed receipts (a round's default) the ballots and the trackers are published as two
lists nothing pairs, and a receipt check says only whether the ballot was counted; with open
receipts each ballot is listed beside its tracker and a receipt check shows it."""

from __future__ import annotations

from datetime import datetime

from msgspec import Struct

from ballots.kinds import Ballot
from engine.compare import Comparison
from engine.result import Result
from service.results.validity import ValidityOut


class RoundResultOut(Struct):
    """A counted round: the engine's result (which explains itself), the other methods'
    verdicts for ranked rounds, and the digest of the ballot box it was counted from (the
    lot seed). With sealed receipts the box digest is made of ``trackers_digest`` and
    ``contents_digest`` (:func:`ballots.digest.sealed_box_digest`); with open receipts those
    are ``None`` and it hashes the (tracker, ballot) pairs."""

    round_id: int
    phase: str
    method: str
    ballots: int
    codes_issued: int
    ballot_box_digest: str
    counted_at: datetime
    result: Result
    comparison: Comparison | None = None
    open_receipts: bool = False
    trackers_digest: str | None = None
    contents_digest: str | None = None
    validity: ValidityOut | None = None
    """Whether the decision is valid under the rule set before voting, and why not."""


class PublishedBallot(Struct):
    """A published ballot: with sealed receipts one distinct ballot, ``count`` ballots
    saying it and no tracker; with open receipts one ballot (``count`` 1) and its tracker."""

    tracker: str | None
    count: int
    ballot: Ballot


class BallotPage(Struct):
    """A page of the published ballots; ``next`` is the ``after`` for the following page
    (``None`` at the end). Sealed receipts: distinct ballots sorted by their canonical JSON,
    which ``after`` and ``next`` are. Open receipts: ballots in tracker order, ``after`` and
    ``next`` trackers. ``total`` counts ballots either way."""

    round_id: int
    open_receipts: bool
    ballots: list[PublishedBallot]
    next: str | None
    total: int
    ballot_box_digest: str


class TrackerPage(Struct):
    """A page of the round's trackers in tracker order; ``next`` is the ``after`` for the
    following page (``None`` at the end). ``trackers_digest`` is that of the whole list
    (sealed receipts; ``None`` with open receipts, whose box digest hashes pairs)."""

    round_id: int
    trackers: list[str]
    next: str | None
    total: int
    trackers_digest: str | None
    ballot_box_digest: str


class ReceiptCheck(Struct):
    """Whether a receipt's ballot is in the counted ballot box (every ballot in it was
    counted). ``ballot`` is what it says only when the round has open receipts; with sealed
    receipts it is always ``None``, found or not."""

    round_id: int
    tracker: str
    found: bool
    open_receipts: bool
    ballot: Ballot | None = None
    ballot_box_digest: str = ""
