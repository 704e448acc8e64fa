"""Each app process's view of the devices locked out for guessing, and the one place that
charges a device for an unknown code (:mod:`service.voting.guesses` explains the budget).

Checking a device costs no database round trip: the view is a dictionary, empty unless
some device is locked out. It is refreshed from the database every :data:`REFRESH`
seconds by a background task (so a lockout charged by another worker is seen here within
that time) and updated at once when this process charges a device. Charging writes to the
database, in a transaction of its own, before the unknown code is answered.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncGenerator, Callable
from contextlib import asynccontextmanager, suppress
from typing import Final

from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from service.voting import guess_ledger
from service.voting.devices import device_key, is_kept
from service.voting.guesses import KEPT, Budget, locked_out

log = logging.getLogger(__name__)

REFRESH: Final = 1.0
"""Seconds between two reads of the locked devices by each process."""
FORGET_EVERY: Final = 600.0
"""Seconds between two deletions of what is older than a day (by each process)."""


class Lockouts:
    """Refuses devices out of guesses and charges them for unknown codes (module
    docstring). ``clock`` gives Unix time, the same in every worker."""

    def __init__(
        self,
        maker: async_sessionmaker[AsyncSession],
        secret_key: str,
        budget: Budget | None = None,
        kept_budget: Budget | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.maker = maker
        self.budget = budget or Budget()
        self.kept_budget = kept_budget or KEPT
        """The budget of tablets' kept-ballot deliveries (:data:`guesses.KEPT`)."""
        self.clock = clock
        self._secret_key = secret_key
        self._locked: dict[str, float] = {}
        """Keyed device hash → from when it may try again."""
        self._forgotten_at = 0.0

    def check(self, device: str) -> None:
        """Refuse ``device`` if it is locked out (429 with the wait), from this process's
        view; nothing is read from the database."""
        if not self._locked:
            return  # the usual case: nobody is locked out
        key = device_key(self._secret_key, device)
        until = self._locked.get(key)
        if until is None:
            return
        left = until - self.clock()
        if left <= 0:
            self._locked.pop(key, None)
            return
        raise locked_out(left)

    async def failed(self, device: str, round_id: int) -> None:
        """Charge ``device`` for an unknown code tried in ``round_id`` (in the database,
        shared by all workers); if that spent its budget, this process refuses it at once."""
        key = device_key(self._secret_key, device)
        budget = self.kept_budget if is_kept(device) else self.budget
        now = self.clock()
        until = await guess_ledger.charge(self.maker, budget, key, round_id, now)
        if until > now:
            self._locked[key] = max(until, self._locked.get(key, 0.0))

    async def refresh(self) -> None:
        """Read the devices locked out now from the database (every worker's lockouts),
        keeping any lockout this process charged meanwhile; forget old rows now and then."""
        now = self.clock()
        async with self.maker() as db:
            current = await guess_ledger.locked(db, now)
        for key, until in self._locked.items():  # charged while the read was under way
            if until > max(now, current.get(key, 0.0)):
                current[key] = until
        self._locked = current
        if now - self._forgotten_at >= FORGET_EVERY:
            self._forgotten_at = now
            await guess_ledger.forget(self.maker, now)

    async def watch(self, every: float = REFRESH) -> None:
        """Refresh every ``every`` seconds until cancelled; a database away for a while
        leaves the last view in place (logged once when it goes, once when it is back)."""
        away = False
        while True:
            await asyncio.sleep(every)
            try:
                await self.refresh()
            except Exception as exc:
                if not away:
                    log.warning("cannot read the guessing lockouts, keeping the last: %s", exc)
                away = True
                continue
            if away:
                log.warning("reading the guessing lockouts again")
            away = False


@asynccontextmanager
async def lockouts(app: Litestar) -> AsyncGenerator[None, None]:
    """Lifespan: this process's :class:`Lockouts` at ``app.state.lockouts``, refreshed in
    the background (after the database lifespan, which makes the sessions)."""
    view = Lockouts(app.state.sessionmaker, app.state.settings.secret_key)
    app.state.lockouts = view
    task = asyncio.create_task(view.watch(), name="redbench-lockouts")
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
