"""The ballots package's error tree.

BallotError
├── InvalidBallot      one ballot breaks the round's rules; ``.problem`` is a code,
│                      the message names the candidate or value at fault
├── InvalidRules       a round's ballot rules contradict themselves (also a ValueError,
│                      so msgspec reports it with the JSON path when decoding)
├── InvalidReceipt     a tracker or digest is not in the expected form
└── FormatError        a ballot file cannot be read or written
    └── UnknownFormat  the format is neither given nor recognisable
"""

from __future__ import annotations

from collections.abc import Mapping


class BallotError(Exception):
    """Base of every error raised by :mod:`ballots`."""


class InvalidBallot(BallotError):
    """A ballot breaks the round's rules.

    ``problem`` is one of: ``unknown-candidate``, ``ranked-twice``, ``empty``,
    ``ties-forbidden``, ``truncation-forbidden``, ``too-many-approvals``,
    ``score-out-of-range``, ``over-budget``, ``wrong-kind``, ``approved-twice``,
    ``malformed``. ``params`` holds the message's parameters as text (for a translated
    message built from the same code); ``where`` is the path of the fault inside the
    ballot, such as ``ranking[0][1]`` (empty when it is the ballot as a whole).
    """

    def __init__(
        self,
        message: str,
        *,
        problem: str,
        candidate: str | None = None,
        params: Mapping[str, str] | None = None,
        where: str = "",
    ) -> None:
        super().__init__(message)
        self.problem = problem
        self.candidate = candidate
        self.params: Mapping[str, str] = dict(params or {})
        self.where = where


class InvalidRules(BallotError, ValueError):
    """A round's ballot rules are inconsistent (e.g. a budget round without costs)."""


class InvalidReceipt(BallotError):
    """A tracker (receipt) or digest does not have the expected form."""


class FormatError(BallotError):
    """A ballot file is malformed; the message names the line (or row) and what is wrong."""


class UnknownFormat(FormatError):
    """The file's format was not given and cannot be told from its name or content."""
