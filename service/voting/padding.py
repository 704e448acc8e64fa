"""One request length for every ballot of a round.

Over HTTPS an onlooker on the meeting's Wi-Fi cannot read a ballot, but can see how long the
encrypted request is — and a ballot naming one option is shorter than one ranking six. So
the tablet pads every ballot it sends for a round (JSON with a ``pad`` field of spaces, which
the server ignores) to :func:`padded_size`: the size of the longest request the round's
ballot could make, rounded up to a whole kibibyte.
"""

from __future__ import annotations

from typing import Final

import msgspec

from ballots.kinds import (
    ApprovalBallot,
    Ballot,
    BallotRules,
    BudgetBallot,
    RankedBallot,
    ScoreBallot,
)
from service.auth.guard import MAX_ID

STEP: Final = 1024
"""Padded sizes are whole multiples of this many bytes."""
SPARE: Final = 256
"""Room above the longest request (JSON punctuation, the ``pad`` field itself)."""


def fullest(rules: BallotRules) -> Ballot:
    """The longest ballot the round allows to be written: every option marked."""
    names = tuple(rules.candidates)
    if rules.kind == "ranked":
        return RankedBallot(ranking=tuple((name,) for name in names))
    if rules.kind == "score":
        return ScoreBallot(scores=dict.fromkeys(names, rules.max_score))
    if rules.kind == "budget":
        return BudgetBallot(approved=names)
    return ApprovalBallot(approved=names)


def padded_size(rules: BallotRules) -> int:
    """The length, in bytes, every ballot request of the round is padded to: above the
    longest one a tablet can send (a kept ballot with its round, ticket, code and key)."""
    longest = msgspec.json.encode(
        {
            "round_id": MAX_ID,
            "ticket": "T" * 128,
            "code": "C" * 40,
            "key": "K" * 64,
            "ballot": fullest(rules),
            "pad": "",
        }
    )
    return (len(longest) + SPARE + STEP - 1) // STEP * STEP
