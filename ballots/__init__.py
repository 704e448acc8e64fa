"""Red Bench ballots: ballot kinds, validation, encoding into engine profiles, file formats,
receipts and the ballot-box digests. Imports :mod:`engine`, never :mod:`service`."""

from __future__ import annotations

from ballots.box import BallotBox, PublishedCount
from ballots.digest import (
    ballot_box_digest,
    ballot_line,
    canonical_ballot,
    canonical_profile,
    content_line,
    content_list_digest,
    grouped_tracker,
    lot_seed,
    new_tracker,
    normalize_tracker,
    profile_digest,
    sealed_box_digest,
    short_tracker,
    tracker_list_digest,
)
from ballots.encode import collapse, encode, encode_ranked_table, profile_from_valid
from ballots.errors import (
    BallotError,
    FormatError,
    InvalidBallot,
    InvalidReceipt,
    InvalidRules,
    UnknownFormat,
)
from ballots.kinds import (
    ApprovalBallot,
    Ballot,
    BallotRules,
    BudgetBallot,
    Kind,
    RankedBallot,
    ScoreBallot,
    kind_of,
)
from ballots.validate import MESSAGES, message, validate

__all__ = [
    "MESSAGES",
    "ApprovalBallot",
    "Ballot",
    "BallotBox",
    "BallotError",
    "BallotRules",
    "BudgetBallot",
    "FormatError",
    "InvalidBallot",
    "InvalidReceipt",
    "InvalidRules",
    "Kind",
    "PublishedCount",
    "RankedBallot",
    "ScoreBallot",
    "UnknownFormat",
    "ballot_box_digest",
    "ballot_line",
    "canonical_ballot",
    "canonical_profile",
    "collapse",
    "content_line",
    "content_list_digest",
    "encode",
    "encode_ranked_table",
    "grouped_tracker",
    "kind_of",
    "lot_seed",
    "message",
    "new_tracker",
    "normalize_tracker",
    "profile_digest",
    "profile_from_valid",
    "sealed_box_digest",
    "short_tracker",
    "tracker_list_digest",
    "validate",
]
