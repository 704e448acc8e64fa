"""The time sign-in and session checks read: ``app.state.clock``, a callable giving an aware
UTC datetime (:func:`~service.db.base.utcnow` unless a test puts its own there), so tests
move time forward instead of sleeping through lockouts and session lifetimes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeAlias

from litestar.datastructures import State

from service.db.base import utcnow

Clock: TypeAlias = Callable[[], datetime]


def now_of(state: State | Any) -> datetime:
    """The current time by the app's clock (the wall clock when the app has none)."""
    clock: Clock = getattr(state, "clock", utcnow)
    return clock()
