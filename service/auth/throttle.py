"""The sign-in throttle: failed sign-ins counted per account and per client address, with
waits that double.

An account (the username typed, whether or not it exists, so that a lockout does not tell
which accounts do) may fail :data:`ACCOUNT` ``.free`` times; then each further failure locks
it for 1, 2, 4, 8, 16 and at most 30 minutes. A client address may fail :data:`ADDRESS`
``.free`` times (an office or a meeting's laptops share one) before the same waits. A
success clears the account's count; an address's count, and an account's without a
success, start over after a day without failures. The arithmetic: an attacker gets at most
56 guesses at one account, from anywhere, in the first day (5 free, 5 more in the 31 minutes
of doubling waits, then one each half hour) and 48 a day after that; from one address,
over all accounts, at most 71 in the first day and 48 a day after.

While locked, a sign-in is refused (429 ``too-many-sign-ins`` with ``Retry-After``) before
its password is hashed — the right password too — and the refusal writes nothing. The counts
live in the database (``failed_sign_ins``), so every app worker sees the same; each worker
also remembers the lockouts it has read (:class:`RememberedLocks`) for at most
:data:`REMEMBERED` seconds, so a flood against a locked account or address is refused without
reading the database at all (on PostgreSQL that read was most of a refusal's cost, and a
flood's refusals took the event loop from the tablets). Each write is its own short
transaction: a refused sign-in rolls the request's transaction back, its failure must stay.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Final

from sqlalchemy import and_, case, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from service.db.models import FailedSignIns
from service.errors import TooMany
from service.i18n import text


@dataclass(frozen=True, slots=True)
class Rule:
    """How many failures are free, and the waits after them."""

    free: int
    """Failures before the first lockout (the ``free``-th failure starts it)."""
    first_wait: timedelta = timedelta(minutes=1)
    """The first lockout; each further failure doubles it ..."""
    longest: timedelta = timedelta(minutes=30)
    """... up to this."""
    forget: timedelta = timedelta(days=1)
    """A count starts over after this long without a failure."""

    def wait(self, failures: int) -> timedelta | None:
        """The lockout earned by the ``failures``-th failure in a row (``None``: free)."""
        if failures < self.free:
            return None
        doublings = min(failures - self.free, 32)  # 2^32 minutes is far beyond any cap
        return min(self.first_wait * (1 << doublings), self.longest)


ACCOUNT: Final = Rule(free=5)
"""Per account: five free failures, then 1, 2, 4 … 30 minutes."""
ADDRESS: Final = Rule(free=20)
"""Per client address: twenty free failures (shared offices and meeting laptops), then the
same waits."""
RULES: Final = {"account": ACCOUNT, "address": ADDRESS}
REMEMBERED: Final = timedelta(seconds=10)
"""How long a worker trusts a lockout it has read before reading it again: a lockout lifted
early (an admin sets a new password) holds on other workers at most this long."""
NAME_LENGTH: Final = 80
"""The longest name kept (usernames are at most 80 characters, addresses fewer)."""


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is trying to sign in: the username typed and the client's address."""

    username: str
    address: str

    def counts(self) -> list[tuple[str, str]]:
        """The counts this sign-in is checked and counted against (names as stored)."""
        return [("account", self.username[:NAME_LENGTH]), ("address", self.address[:NAME_LENGTH])]


def refusal(kind: str, until: datetime, now: datetime) -> TooMany:
    """The 429 for a lockout of ``kind`` ending at ``until``, with the wait in words."""
    seconds = max(1, math.ceil((until - now).total_seconds()))
    key = "too-many-sign-ins-account" if kind == "account" else "too-many-sign-ins-address"
    return TooMany(
        key,
        wait=partial(wait_in_words, seconds),
        detail={"retry_after": seconds, "locked": kind},
    )


def wait_in_words(seconds: int, lang: str) -> str:
    """A throttle's wait in words: seconds under a minute, else whole minutes (the sign-in
    lockouts and the board's feedback form)."""
    count, unit = (seconds, "second") if seconds < 60 else (math.ceil(seconds / 60), "minute")
    return text(lang, f"wait.{unit}" if count == 1 else f"wait.{unit}s", count=count)


class RememberedLocks:
    """The lockouts this worker has read lately: (kind, name) → (locked until, read again
    after). At most :attr:`LIMIT` are kept (a flood from many addresses cannot grow it
    without bound); the oldest go first."""

    LIMIT: Final = 4096

    def __init__(self) -> None:
        self._known: dict[tuple[str, str], tuple[datetime, datetime]] = {}

    def locked(self, caller: Caller, now: datetime) -> tuple[datetime, str] | None:
        """The longest lockout remembered for ``caller`` that still holds, if any."""
        found: tuple[datetime, str] | None = None
        for key in caller.counts():
            known = self._known.get(key)
            if known is None:
                continue
            until, recheck = known
            if until <= now or recheck <= now:
                del self._known[key]
            elif found is None or until > found[0]:
                found = (until, key[0])
        return found

    def remember(self, kind: str, name: str, until: datetime, now: datetime) -> None:
        """Keep a lockout read from the database (or just set) for the next sign-ins."""
        if len(self._known) >= self.LIMIT:
            del self._known[next(iter(self._known))]
        self._known[(kind, name)] = (until, now + REMEMBERED)

    def forget_account(self, username: str) -> None:
        """Drop the account's remembered lockout (a new password lifts it at once here)."""
        self._known.pop(("account", username[:NAME_LENGTH]), None)


async def check(
    maker: async_sessionmaker[AsyncSession],
    caller: Caller,
    now: datetime,
    lockouts: RememberedLocks | None = None,
) -> None:
    """Refuse the sign-in if its account or its address is locked out now (the longer wait
    is the one told); a lockout this worker remembers is refused without a read."""
    if lockouts is not None and (known := lockouts.locked(caller, now)) is not None:
        raise refusal(known[1], known[0], now)
    wanted = or_(
        *(and_(FailedSignIns.kind == k, FailedSignIns.name == n) for k, n in caller.counts())
    )
    async with maker() as session:
        rows = (
            await session.execute(
                select(FailedSignIns.kind, FailedSignIns.locked_until).where(
                    wanted, FailedSignIns.locked_until > now
                )
            )
        ).all()
    locks = [(row.locked_until, row.kind) for row in rows if row.locked_until is not None]
    if lockouts is not None:
        names = dict(caller.counts())
        for until, kind in locks:
            lockouts.remember(kind, names[kind], until, now)
    if locks:
        until, kind = max(locks)
        raise refusal(kind, until, now)


async def failed(maker: async_sessionmaker[AsyncSession], caller: Caller, now: datetime) -> None:
    """Count a failed sign-in against the account and the address, locking either out when
    its rule says so; counts quiet for longer than their rule's ``forget`` are dropped."""
    async with maker() as session, session.begin():
        for kind, name in caller.counts():
            rule = RULES[kind]
            failures = await _count(session, kind, name, now, rule)
            wait = rule.wait(failures)
            if wait is not None:
                await session.execute(
                    update(FailedSignIns)
                    .where(FailedSignIns.kind == kind, FailedSignIns.name == name)
                    .values(locked_until=now + wait)
                )
        oldest = now - max(rule.forget for rule in RULES.values())
        await session.execute(
            delete(FailedSignIns).where(
                FailedSignIns.last_failed_at < oldest,
                or_(FailedSignIns.locked_until.is_(None), FailedSignIns.locked_until < now),
            )
        )


async def succeeded(maker: async_sessionmaker[AsyncSession], username: str) -> None:
    """A right password: the account's count starts over (the address's stays)."""
    async with maker() as session, session.begin():
        await forget_account(session, username)


async def forget_account(session: AsyncSession, username: str) -> None:
    """Drop the account's count and lockout (in ``session``'s transaction)."""
    await session.execute(
        delete(FailedSignIns).where(FailedSignIns.kind == "account", FailedSignIns.name == username)
    )


async def _count(session: AsyncSession, kind: str, name: str, now: datetime, rule: Rule) -> int:
    """Add one failure to the (kind, name) count, in one statement that every worker may run
    at once (insert, or add to a count that is not yet forgotten); the new count."""
    dialect = session.get_bind().dialect.name
    insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = FailedSignIns.__table__
    stale = table.c.last_failed_at < now - rule.forget
    statement = (
        insert(table)
        .values(kind=kind, name=name, failures=1, last_failed_at=now, locked_until=None)
        .on_conflict_do_update(
            index_elements=[table.c.kind, table.c.name],
            set_={
                "failures": case((stale, 1), else_=table.c.failures + 1),
                "locked_until": case((stale, None), else_=table.c.locked_until),
                "last_failed_at": now,
            },
        )
        .returning(table.c.failures)
    )
    return int((await session.execute(statement)).scalar_one())
