"""The engine's error tree. Every error the engine raises is one of these.

EngineError
├── ProfileError        a profile is malformed (shapes, negative counts, bad ranks)
├── MethodError
│   ├── UnknownMethod   no method registered under that name
│   ├── KindMismatch    the method cannot count this kind of ballot
│   └── OptionError     an option is unknown or out of range (seats, budget, ...)
├── TieUnresolved       a tie had to be broken and no lot seed was given, or the operator
│                       must decide it (tie-break mode ``ask``)
└── TransitionRefused   a process or round cannot move to the requested phase
"""

from __future__ import annotations


class EngineError(Exception):
    """Base of every error raised by :mod:`engine`."""


class ProfileError(EngineError):
    """The ballots handed to the engine do not form a valid profile."""


class MethodError(EngineError):
    """A counting method was asked for something it cannot do."""


class UnknownMethod(MethodError):
    """No counting method is registered under the given name."""


class KindMismatch(MethodError):
    """The method counts another kind of ballot than the profile holds."""


class OptionError(MethodError):
    """A method option is unknown or outside its allowed range."""


class TieUnresolved(EngineError):
    """A tie decides the outcome and no lot seed was configured to break it, or (``asked``)
    the count's tie-break mode asks the operator: ``count`` of ``tied`` (sorted) are to be
    chosen for ``purpose`` (``eliminate``, ``elect``, ...) at ``round``."""

    def __init__(
        self,
        message: str,
        tied: tuple[str, ...],
        round: int | None = None,
        purpose: str | None = None,
        asked: bool = False,
        count: int = 1,
    ) -> None:
        super().__init__(message)
        self.tied = tied
        self.round = round
        self.purpose = purpose
        self.asked = asked
        self.count = count

    def __reduce__(
        self,
    ) -> tuple[type[TieUnresolved], tuple[str, tuple[str, ...], int | None, str | None, bool, int]]:
        """Pickled with its tie, so it travels back from a worker process."""
        return (
            type(self),
            (str(self), self.tied, self.round, self.purpose, self.asked, self.count),
        )


class TransitionRefused(EngineError):
    """A state machine refused a transition; the message says why."""

    def __init__(self, message: str, *, current: str, requested: str) -> None:
        super().__init__(message)
        self.current = current
        self.requested = requested
