"""The state machines' refusals in words: a process or a round asked to move to a phase it may
not reach from where it is (409 ``transition-refused`` and its kin in the catalogue)."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import Literal

from engine.errors import TransitionRefused
from service.errors import Conflict
from service.i18n import catalogue, text
from service.refusals import phase_words


def refused_transition(
    exc: TransitionRefused, machine: Literal["process", "round"], allowed: Iterable[str]
) -> Conflict:
    """The state machine's refusal (409 ``transition-refused``) in words; ``allowed`` are the
    phases that may follow the current one."""
    allowed = tuple(allowed)
    now = partial(phase_words, exc.current, machine)
    wanted = partial(phase_words, exc.requested, machine)
    if exc.current == exc.requested:
        return Conflict("transition-already", sentence=str(exc), now=now)
    if exc.requested in allowed:
        return Conflict("transition-needs-reason", sentence=str(exc), now=now, wanted=wanted)
    why = f"transition.{exc.current}.{exc.requested}"
    if why in catalogue():
        return Conflict(
            "transition-not-allowed",
            sentence=str(exc),
            now=now,
            wanted=wanted,
            why=partial(text, key=why),
        )
    key = "transition-only-to" if allowed else "transition-last"
    nexts = partial(_phases, allowed, machine)
    return Conflict(key, sentence=str(exc), now=now, wanted=wanted, nexts=nexts)


def _phases(phases: Iterable[str], machine: Literal["process", "round"], lang: str) -> str:
    """The phases, each quoted, as a list in ``lang``."""
    quoted = (text(lang, "join.quoted", value=phase_words(p, machine, lang)) for p in phases)
    return text(lang, "join.list", a="", b="").join(quoted)
