"""How long a sign-in lasts: a token (bearer or session cookie) ends after :data:`IDLE` without
a request, and :data:`ABSOLUTE` after it was issued however busy it is.

Why these numbers. A bench meeting runs two or three hours, and during its discussion the
facilitator's laptop may sit untouched for an hour while the console's round page keeps
polling (which counts as use); the secretary's office uses the desk on and off all day and
holds evening meetings after it. Two idle hours never sign anyone out in the middle of a
meeting, yet end a session left open on a shared office computer by the afternoon.
Sixteen hours cover a working day with an evening meeting after it (8:00 to midnight) but
never a night: a token copied from a laptop is worthless by the next morning.

The idle timer is kept in ``api_tokens.last_used_at`` and written at most once every
:data:`TOUCH_EVERY` per token, not on every request, so a token may lapse up to that much
before :data:`IDLE` has passed since its last request.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

IDLE: Final = timedelta(hours=2)
"""A token not used for this long is refused."""
ABSOLUTE: Final = timedelta(hours=16)
"""A token older than this is refused, used or not."""
TOUCH_EVERY: Final = timedelta(minutes=1)
"""The idle timer is written back at most this often per token."""


class Lapse(StrEnum):
    """Why a token is no longer accepted, by time."""

    IDLE = "idle"
    ABSOLUTE = "absolute"


def lapse_of(issued_at: datetime, last_used_at: datetime, now: datetime) -> Lapse | None:
    """Whether a token issued at ``issued_at`` and last recorded in use at ``last_used_at``
    has lapsed by ``now`` (``None``: still good)."""
    if now - issued_at >= ABSOLUTE:
        return Lapse.ABSOLUTE
    if now - last_used_at >= IDLE:
        return Lapse.IDLE
    return None


def due_for_touch(last_used_at: datetime, now: datetime) -> bool:
    """Whether the idle timer should be written back now (see :data:`TOUCH_EVERY`)."""
    return now - last_used_at >= TOUCH_EVERY
