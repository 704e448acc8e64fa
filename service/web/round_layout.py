"""The round page in the meeting's order: which sections come first in each phase, and
which are folded away, so the section the facilitator needs now is on the first screen of
a laptop (1280×800) or a tablet (768×1024) instead of below 3,000 pixels of the others.

Before the meeting the set-up (and what is still missing); while commenting the prompts,
the comment form and the comments; while voting the turnout, the codes, late ballots and
guessing; after the close the way to the result (the next-step card at the top carries the
reveal and publishing in every phase). Once voting has opened the set-up is fixed, and it
is folded like the comments."""

from __future__ import annotations

from typing import Final

from engine.process import RoundPhase

SECTIONS: Final[dict[RoundPhase, tuple[str, ...]]] = {
    RoundPhase.SCHEDULED: ("setup", "codes", "comments", "turnout"),
    RoundPhase.COMMENTING: ("comments", "setup", "codes", "turnout"),
    RoundPhase.VOTING: ("turnout", "guessing", "late", "codes", "paper", "comments", "setup"),
    RoundPhase.CLOSED: ("turnout", "late", "guessing", "comments", "setup"),
    RoundPhase.PUBLISHED: ("comments", "setup", "turnout"),
    RoundPhase.CANCELLED: ("setup", "comments"),
}
"""The sections of the round page after its next-step card, in the order of each phase."""

FOLDED_COMMENTS: Final = frozenset({RoundPhase.VOTING, RoundPhase.CLOSED, RoundPhase.PUBLISHED})
"""Phases whose comments are folded (a details the facilitator opens): the talk is over."""


def sections(phase: RoundPhase) -> tuple[str, ...]:
    """The round page's sections in the order ``phase`` needs them."""
    return SECTIONS[phase]
