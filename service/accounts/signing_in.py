"""Signing in, for the API and the sign-in page alike: the throttle first (a locked-out
account or address is refused before any hashing), the password checked off the event loop
in its turn, an outdated hash replaced, then a new token.

A sign-in touches the request's transaction only after its password was checked, so no
database connection is held while it waits for its turn or hashes.
"""

from __future__ import annotations

from typing import Any

from litestar.datastructures import State
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from service.accounts.repository import issue_token
from service.auth import throttle
from service.auth.clock import now_of
from service.auth.hashing import PasswordHasher
from service.db.models import User
from service.errors import NotSignedIn

UNKNOWN_ADDRESS = "unknown"


def address_of(client: Any) -> str:
    """The client's network address (``request.client``; behind a trusted proxy the address
    it forwarded for)."""
    host = getattr(client, "host", None)
    return str(host) if host else UNKNOWN_ADDRESS


async def _account(
    maker: async_sessionmaker[AsyncSession], username: str
) -> tuple[int, str, bool] | None:
    """The user's id, stored hash and whether they are active, read in a short session."""
    async with maker() as session:
        row = (
            await session.execute(
                select(User.id, User.password_hash, User.active).where(User.username == username)
            )
        ).first()
    return None if row is None else (row.id, row.password_hash, row.active)


async def sign_in(
    db: AsyncSession, state: State, username: str, password: str, address: str
) -> tuple[User, str]:
    """The user and a new token when ``password`` is right and neither the account nor
    ``address`` is locked out (else 429 ``too-many-sign-ins``, or 401 ``bad-credentials``,
    which also counts against both)."""
    maker: async_sessionmaker[AsyncSession] = state.sessionmaker
    hasher: PasswordHasher = state.passwords
    lockouts: throttle.RememberedLocks | None = getattr(state, "sign_in_locks", None)
    caller = throttle.Caller(username=username, address=address)
    await throttle.check(maker, caller, now_of(state), lockouts)
    fresh_hash: str | None = None
    async with hasher.turn() as turn:
        # again: sign-ins that failed while this one waited may have locked it out
        await throttle.check(maker, caller, now_of(state), lockouts)
        account = await _account(maker, username)
        stored = account[1] if account else hasher.dummy
        right = await turn.verify(password, stored) and account is not None and account[2]
        if not right or account is None:
            # counted before the next turn starts, so a burst gets no more than the free tries
            await throttle.failed(maker, caller, now_of(state))
            raise NotSignedIn("bad-credentials")
        if hasher.outdated(stored):
            fresh_hash = await turn.hash(password)
    await throttle.succeeded(maker, username)
    user = await db.get_one(User, account[0])
    if fresh_hash is not None:
        user.password_hash = fresh_hash
    return user, await issue_token(db, user, now_of(state))
