"""A ballot box: an encoded profile with what its source said about the contest."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from engine.profile import Profile


@dataclass(frozen=True, eq=False)
class BallotBox:
    """Ballots read from a file or a round, ready to count.

    ``seats`` and ``official`` (the winners or funded projects the source lists, e.g. the
    pabulib ``selected`` column) are ``None`` when the source does not say. ``notes`` are
    human-readable remarks on how the reader treated special marks (overvotes, write-ins).
    """

    profile: Profile
    format: str
    title: str = ""
    seats: int | None = None
    official: tuple[str, ...] | None = None
    notes: tuple[str, ...] = ()
    meta: Mapping[str, str] = field(default_factory=dict)
