"""A refusal as the catalogue says it, and the engine's and the ballots' errors as refusals.

This is the part of :mod:`service.errors` that the command line needs to say why a count
failed; it imports the catalogue and the domain error trees only, never the web stack.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from functools import partial
from typing import Any, Final

from ballots import errors as ballot
from engine import errors as engine
from service.i18n import facts, said
from service.refusals import ballot_problem


@dataclasses.dataclass(frozen=True, slots=True)
class Refusal:
    """An error as answered: its catalogue entry ``error.<key>`` with the parameters of its
    words, the HTTP status and machine code the entry gives, and the request field at fault
    and machine-readable detail, if any."""

    key: str
    params: Mapping[str, object] = dataclasses.field(default_factory=dict)
    field: str | None = None
    detail: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def status(self) -> int:
        return entry(self.key)[0]

    @property
    def code(self) -> str:
        return entry(self.key)[1]

    def message(self, lang: str) -> str:
        """The refusal's words in ``lang``."""
        return said(lang, f"error.{self.key}", **self.params)


def entry(key: str) -> tuple[int, str]:
    """The HTTP status and machine code of the refusal ``key`` (``KeyError`` if the catalogue
    has no such refusal)."""
    found = facts().get(f"error.{key}")
    if found is None or "status" not in found:
        raise KeyError(f"no refusal error.{key} in the catalogue")
    return int(found["status"]), str(found.get("code", key))


DOMAIN_KEYS: Final[dict[type[Exception], str]] = {
    engine.TransitionRefused: "transition-refused",
    engine.TieUnresolved: "tie-unresolved",
    ballot.InvalidBallot: "invalid-ballot",
    engine.UnknownMethod: "unknown-method",
    engine.KindMismatch: "kind-mismatch",
    engine.OptionError: "invalid-option",
    engine.ProfileError: "invalid-ballots",
    ballot.FormatError: "bad-file",
    ballot.BallotError: "invalid-ballot",
    engine.EngineError: "cannot-count",
}
"""Domain error class → its catalogue entry. The most specific class listed wins."""


def domain_refusal(exc: engine.EngineError | ballot.BallotError) -> Refusal:
    """An engine or ballot error: in English its own sentence, in Chinese its entry's."""
    key = next(DOMAIN_KEYS[c] for c in type(exc).__mro__ if c in DOMAIN_KEYS)
    params: dict[str, object] = {"sentence": str(exc)}
    detail: dict[str, Any] = {}
    if isinstance(exc, engine.TieUnresolved):
        params["tied"] = list(exc.tied)
    if isinstance(exc, ballot.InvalidBallot):
        params["problem"] = partial(ballot_problem, exc)
        detail = {"problem": exc.problem}
    return Refusal(key, params, getattr(exc, "where", None), detail)
