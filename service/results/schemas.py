"""Response shapes for results, the published ballot list and receipt checks."""

from __future__ import annotations

from datetime import datetime

from msgspec import Struct

from ballots.kinds import Ballot
from engine.compare import Comparison
from engine.result import Result


class RoundResultOut(Struct):
    """A counted round: the engine's result (which explains itself), the other methods'
    verdicts for ranked rounds, and the digest of the ballot box it was counted from."""

    round_id: int
    phase: str
    method: str
    ballots: int
    codes_issued: int
    ballot_box_digest: str
    counted_at: datetime
    result: Result
    comparison: Comparison | None = None


class PublishedBallot(Struct):
    tracker: str
    ballot: Ballot


class BallotPage(Struct):
    """Ballots in tracker order; ``next`` is the ``after`` for the following page (``None``
    at the end)."""

    round_id: int
    ballots: list[PublishedBallot]
    next: str | None
    total: int
    ballot_box_digest: str


class ReceiptCheck(Struct):
    """Whether a receipt's ballot is in the counted ballot box, and what it says."""

    round_id: int
    tracker: str
    found: bool
    ballot: Ballot | None = None
    ballot_box_digest: str = ""
