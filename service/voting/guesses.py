"""Slowing down code guessing, per device.

A device is a ballot tablet (its enrolment) or, for other callers, the client address.
``LIMIT`` unknown codes within ``WINDOW`` seconds lock that device out for ``LOCKOUT``
seconds; each further lockout doubles the wait, up to a day. Other devices are not
affected, so a resident on the next tablet votes as usual. Kept in memory, per process.

The arithmetic (docs/security.md): a code is 10 characters of base 32, 50 random bits. In a
round of 500 codes one guess finds a code with chance 500 / 2^50 ≈ 4.4 × 10^-13. A device
gets 30 guesses, then waits 1, 2, 4 … minutes: about 330 guesses in its first hour and
fewer than 400 in a day. Even 1,000 devices guessing for a whole day (with several app
workers, each keeping its own count, multiply by their number) find a code with chance
below 2 × 10^-7.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from typing import Final

from service.errors import TooMany

LIMIT: Final = 30
"""Unknown codes a device may type within :data:`WINDOW` before it is locked out."""
WINDOW: Final = 60.0
LOCKOUT: Final = 60.0
"""The first lockout, in seconds; each further one doubles it."""
LONGEST: Final = 24 * 3600.0
MEMORY: Final = 10_000
"""Devices remembered before quiet ones are forgotten."""


class GuessLimit:
    """Counts a device's unknown codes and locks it out when it guesses (module docstring)."""

    def __init__(
        self,
        limit: int = LIMIT,
        window: float = WINDOW,
        lockout: float = LOCKOUT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window = window
        self.lockout = lockout
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._locked: dict[str, float] = {}
        """Device → when its lockout ends."""
        self._strikes: dict[str, int] = {}
        """Device → how many times it was locked out."""

    def check(self, device: str) -> None:
        """Refuse a locked-out device (429, with the seconds left to wait)."""
        until = self._locked.get(device)
        if until is None:
            return  # the usual case
        left = until - self._clock()
        if left <= 0:
            del self._locked[device]
            return
        wait = max(1, round(left))
        raise TooMany(
            f"too many wrong voter codes from this device; wait {wait} seconds, then ask the "
            "facilitator if your code is still refused",
            zh=f"本设备输入错误投票码次数过多，请 {wait} 秒后再试；仍被拒绝请询问主持人",
            retry_after=wait,
        )

    def failed(self, device: str) -> None:
        """Count an unknown code typed on ``device``; lock it out at the limit."""
        now = self._clock()
        recent = self._failures.setdefault(device, deque())
        while recent and recent[0] < now - self.window:
            recent.popleft()
        recent.append(now)
        if len(recent) >= self.limit:
            strikes = self._strikes.get(device, 0) + 1
            self._strikes[device] = strikes
            self._locked[device] = now + min(self.lockout * 2 ** (strikes - 1), LONGEST)
            recent.clear()
        if len(self._failures) > MEMORY:
            self._forget(now)

    def _forget(self, now: float) -> None:
        """Drop devices with no failure in the window and no lockout running."""
        quiet = [
            device
            for device, times in self._failures.items()
            if (not times or times[-1] < now - self.window) and self._locked.get(device, 0) <= now
        ]
        for device in quiet:
            del self._failures[device]
            self._locked.pop(device, None)
            self._strikes.pop(device, None)
