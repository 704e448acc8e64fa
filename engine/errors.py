"""The engine's error tree. Every error the engine raises is one of these.

EngineError
├── ProfileError        a profile is malformed (shapes, negative counts, bad ranks)
├── MethodError
│   ├── UnknownMethod   no method registered under that name
│   ├── KindMismatch    the method cannot count this kind of ballot
│   └── OptionError     an option is unknown or out of range (seats, budget, ...)
├── TieUnresolved       a tie had to be broken and no lot seed was given
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
    """A tie decides the outcome and no lot seed was configured to break it."""

    def __init__(self, message: str, tied: tuple[str, ...]) -> None:
        super().__init__(message)
        self.tied = tied

    def __reduce__(self) -> tuple[type[TieUnresolved], tuple[str, tuple[str, ...]]]:
        """Pickled with its tied candidates, so it travels back from a worker process."""
        return (type(self), (str(self), self.tied))


class TransitionRefused(EngineError):
    """A state machine refused a transition; the message says why."""

    def __init__(self, message: str, *, current: str, requested: str) -> None:
        super().__init__(message)
        self.current = current
        self.requested = requested
