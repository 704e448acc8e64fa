"""The throttle of the board's feedback form: at most :data:`PER_WINDOW` forms from one client
address in a window of :data:`WINDOW`, then 429 with the wait in words until the window ends.

Residents give feedback without an account, so the address is the only handle on a flood;
many residents may share one (a mobile carrier's, the community centre's Wi-Fi), hence a
generous count — every form is read by the secretary before it shows anywhere, so a flood
costs reading time, not trust. The address is never stored as it is: the count is kept under
an HMAC of it with the server secret, and the row goes once its window is over. The count
lives in the database, so every app worker sees the same; it is written in the request's
transaction, so a form that is refused for another reason (the process is not taking
feedback) is not counted.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import math
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Final

from sqlalchemy import case, delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from service.auth.throttle import wait_in_words
from service.db.models import FeedbackThrottle
from service.errors import TooMany

WINDOW: Final = timedelta(hours=1)
PER_WINDOW: Final = 10
"""Forms accepted from one address in one window."""
IPV6_BLOCK: Final = 64
"""Prefix length of the IPv6 block counted as one client (what a home or a phone is given)."""


def address_key(secret: str, address: str) -> str:
    """What is stored for ``address``: the HMAC-SHA-256 of its :func:`client_block` under the
    server secret, so the table never holds an address and a copy of it cannot be searched
    for one."""
    return hmac.new(
        secret.encode(), f"board-feedback:{client_block(address)}".encode(), hashlib.sha256
    ).hexdigest()


def client_block(address: str) -> str:
    """What one client is counted as: an IPv4 address as it is, an IPv6 address by its /64.
    A home or a phone is given a whole /64 and may pick any address in it, so counting the
    full IPv6 address would let one client send without limit by moving through its block.
    An IPv4 address written as IPv6 (``::ffff:a.b.c.d``) counts as the IPv4 address; anything
    that is no address (a test client's name) is counted as it is."""
    try:
        parsed = ipaddress.ip_address(address.strip("[]").split("%", 1)[0])
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network((parsed, IPV6_BLOCK), strict=False))
    return str(parsed)


async def admit(db: AsyncSession, key: str, now: datetime) -> None:
    """Count one form from ``key``; 429 ``too-much-feedback`` (with ``Retry-After``) once the
    address has sent :data:`PER_WINDOW` in its window. Windows that are over are dropped."""
    await db.execute(delete(FeedbackThrottle).where(FeedbackThrottle.window_from <= now - WINDOW))
    dialect = db.get_bind().dialect.name
    insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = FeedbackThrottle.__table__
    over = table.c.window_from <= now - WINDOW  # dropped above, unless a worker raced it back
    statement = (
        insert(table)
        .values(key=key, given=1, window_from=now)
        .on_conflict_do_update(
            index_elements=[table.c.key],
            set_={
                "given": case((over, 1), else_=table.c.given + 1),
                "window_from": case((over, now), else_=table.c.window_from),
            },
        )
        .returning(table.c.given, table.c.window_from)
    )
    given, window_from = (await db.execute(statement)).one()
    if given > PER_WINDOW:
        seconds = max(1, math.ceil((window_from + WINDOW - now).total_seconds()))
        raise TooMany(
            "too-much-feedback",
            wait=partial(wait_in_words, seconds),
            detail={"retry_after": seconds},
        )
