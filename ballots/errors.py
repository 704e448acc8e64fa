"""The ballots package's error tree.

    BallotError
    ├── InvalidBallot      one ballot breaks the round's rules; ``.problem`` is a code,
    │                      the message names the candidate or value at fault
    └── FormatError        a ballot file cannot be read or written
        └── UnknownFormat  the format is neither given nor recognisable
"""

from __future__ import annotations


class BallotError(Exception):
    """Base of every error raised by :mod:`ballots`."""


class InvalidBallot(BallotError):
    """A ballot breaks the round's rules.

    ``problem`` is one of: ``unknown-candidate``, ``ranked-twice``, ``empty``,
    ``ties-forbidden``, ``truncation-forbidden``, ``too-many-approvals``,
    ``score-out-of-range``, ``over-budget``, ``wrong-kind``.
    """

    def __init__(self, message: str, *, problem: str, candidate: str | None = None) -> None:
        super().__init__(message)
        self.problem = problem
        self.candidate = candidate


class FormatError(BallotError):
    """A ballot file is malformed; the message names the line (or row) and what is wrong."""


class UnknownFormat(FormatError):
    """The file's format was not given and cannot be told from its name or content."""
