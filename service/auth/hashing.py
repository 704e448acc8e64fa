"""Running scrypt without stalling the service: in a thread (``hashlib.scrypt`` releases the
GIL, so the event loop keeps serving casts meanwhile), at most :data:`AT_ONCE` hashes at a
time per app worker (a flood of sign-ins takes one core and 128 MiB, not every core and
gigabytes), and at most :data:`MOST_WAITING` waiting for their turn; beyond that a request
is refused at once with 429 ``sign-in-busy`` rather than queued.

Every hash goes through a :class:`Turn`, so nothing can hash outside the bound::

    async with hasher.turn() as turn:
        matches = await turn.verify(password, stored)
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Final, TypeVar

from service.auth.passwords import OWASP, Cost, cost_of, hash_password, verify_password
from service.errors import TooMany

T = TypeVar("T")

AT_ONCE: Final = 1
"""scrypt runs at once per app worker: one core and 128 MiB at most. Honest sign-ins are a
few a day and take a third of a second; a flood is what the throttle is for."""
MOST_WAITING: Final = 16
"""Requests that may wait for a turn (about five seconds of hashing); more are refused."""
BUSY_WAIT: Final = 5
"""The ``Retry-After`` of a refusal because too many are waiting, in seconds."""
DUMMY: Final = (
    "scrypt$131072$8$1$rPn8Ufq82XBk7zeUWToCCA==$68OkWtwfjWJ96u/lCqeIrpscxmDxsnQR/GksYXVs4B8="
)
"""A hash at :data:`~service.auth.passwords.OWASP` of a random password that was thrown
away: what an unknown username is checked against."""


async def _in_thread(work: Callable[..., T], *args: object) -> T:
    """``work(*args)`` in a thread. Should the request be cancelled meanwhile, its turn is
    still held until the thread is done, so cancelled requests cannot pile up hashes."""
    running = asyncio.ensure_future(asyncio.to_thread(work, *args))
    try:
        return await asyncio.shield(running)
    except asyncio.CancelledError:
        await asyncio.wait([running])
        raise


class Turn:
    """The right to run scrypt now, held inside :meth:`PasswordHasher.turn`."""

    def __init__(self, cost: Cost) -> None:
        self.cost = cost

    async def hash(self, password: str) -> str:
        """A new stored hash of ``password`` at the hasher's cost."""
        return await _in_thread(hash_password, password, self.cost)

    async def verify(self, password: str, stored: str) -> bool:
        """Whether ``password`` matches the stored hash (at that hash's own cost)."""
        return await _in_thread(verify_password, password, stored)


class PasswordHasher:
    """Hashes and checks passwords at ``cost`` (:data:`~service.auth.passwords.OWASP`; the
    service never passes another), a bounded number at a time (module docstring)."""

    def __init__(
        self, cost: Cost = OWASP, at_once: int = AT_ONCE, most_waiting: int = MOST_WAITING
    ) -> None:
        self.cost = cost
        self.most_waiting = most_waiting
        self._running = asyncio.Semaphore(at_once)
        self._waiting = 0
        self.dummy = DUMMY if cost == OWASP else hash_password(secrets.token_urlsafe(24), cost)
        """A fixed hash at :attr:`cost` of a password nobody knows: checked against when the
        username is unknown, so that an unknown name costs what a known one does and timing
        does not tell which accounts exist."""

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[Turn]:
        """Wait for a turn to hash (refused with 429 when :attr:`most_waiting` already wait)."""
        if self._waiting >= self.most_waiting:
            raise TooMany("sign-in-busy", detail={"retry_after": BUSY_WAIT})
        self._waiting += 1
        try:
            await self._running.acquire()
        finally:
            self._waiting -= 1
        try:
            yield Turn(self.cost)
        finally:
            self._running.release()

    async def hash(self, password: str) -> str:
        """A new stored hash of ``password``, in its turn."""
        async with self.turn() as turn:
            return await turn.hash(password)

    def outdated(self, stored: str) -> bool:
        """Whether a stored hash was made with other parameters than :attr:`cost` (it is
        replaced at the next successful sign-in)."""
        return cost_of(stored) != self.cost
