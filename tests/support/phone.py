"""Voting from home by phone in tests: opening a round's phone window through the API,
the phone page's form token, casting and checking codes as the phone's script does, and
ending a window in the database (for a server whose clock the test cannot move)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from service.db.models import Round
from tests.support.pages import token_from
from tests.support.rounds import SECURE


async def open_phone_window(
    client: Any, headers: dict[str, str], round_id: int, *, hours: float = 24, now: Any = None
) -> Any:
    """Let phones vote in the round for ``hours`` from ``now`` (the wall clock by default),
    through ``PUT /api/v1/rounds/{id}/phone-window`` over ``https``; the answer."""
    start = now or datetime.now(UTC)
    until = (start + timedelta(hours=hours)).isoformat()
    return await client.put(
        f"{SECURE}/api/v1/rounds/{round_id}/phone-window", json={"until": until}, headers=headers
    )


async def phone_headers(client: Any, round_id: int) -> dict[str, str]:
    """The form token of the round's phone page (the page sets its cookie), as the phone's
    script sends it."""
    return {"x-csrftoken": await token_from(client, f"/vote/{round_id}")}


async def phone_cast(
    client: Any,
    round_id: int,
    headers: dict[str, str],
    code: str,
    ballot: dict[str, Any],
    key: str | None = None,
) -> Any:
    """Cast ``ballot`` with ``code`` from the phone page (a fresh key unless one is given)."""
    body = {"code": code, "key": key or uuid.uuid4().hex, "ballot": ballot}
    return await client.post(f"/vote/{round_id}/ballots", json=body, headers=headers)


async def phone_code(client: Any, round_id: int, headers: dict[str, str], code: str) -> Any:
    """The phone page's code step for ``code``."""
    return await client.post(f"/vote/{round_id}/code", json={"code": code}, headers=headers)


async def end_phone_window(db: AsyncSession, round_id: int) -> None:
    """Move the round's phone window's end a minute into the past, in the database (the API
    takes only ends in the future)."""
    past = datetime.now(UTC) - timedelta(minutes=1)
    await db.execute(update(Round).where(Round.id == round_id).values(phone_until=past))
    await db.commit()


async def set_phone_window(db: AsyncSession, round_id: int, *, hours: float) -> datetime:
    """Open the round's phone window for ``hours`` from now with the domain function the
    API calls (audited as a facilitator's change), committed; the window's end. For browser
    tests, through ``server.db(...)``."""
    from service.voting.phone_window import set_window
    from tests.support.rounds import FACILITATOR

    now = datetime.now(UTC)
    until = now + timedelta(hours=hours)
    await set_window(db, round_id, until, FACILITATOR, now, "http://127.0.0.1/")
    await db.commit()
    return until
