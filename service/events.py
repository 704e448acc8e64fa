"""Live events for the facilitator's screen (turnout while voting, phase changes), through
litestar channels: in memory when one process serves, Redis when several workers share the
database (``REDBENCH_EVENTS=redis``)."""

from __future__ import annotations

from typing import Any

from litestar.channels import ChannelsPlugin
from litestar.channels.backends.memory import MemoryChannelsBackend
from litestar.channels.backends.redis import RedisChannelsPubSubBackend
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from service.settings import Settings


def channels_plugin(settings: Settings) -> ChannelsPlugin:
    """The channels plugin for these settings."""
    if settings.events == "redis":
        from redis.asyncio import Redis

        backend: Any = RedisChannelsPubSubBackend(redis=Redis.from_url(settings.redis_url))
    else:
        backend = MemoryChannelsBackend()
    return ChannelsPlugin(backend=backend, arbitrary_channels_allowed=True)


def round_channel(round_id: int) -> str:
    return f"round:{round_id}"


def publish(channels: ChannelsPlugin, round_id: int, kind: str, **data: Any) -> None:
    """Send ``{"kind": ..., ...}`` to everyone watching the round (never results before close)."""
    channels.publish({"kind": kind, "round": round_id, **data}, round_channel(round_id))


_AFTER_COMMIT = "redbench.events.after_commit"


def publish_after_commit(
    db: AsyncSession, channels: ChannelsPlugin, round_id: int, kind: str, **data: Any
) -> None:
    """:func:`publish` once ``db``'s transaction has committed: a screen never shows a change
    that was rolled back (what waits is dropped if it is)."""
    session = db.sync_session
    waiting = session.info.get(_AFTER_COMMIT)
    if waiting is None:
        waiting = session.info[_AFTER_COMMIT] = []
        event.listen(session, "after_commit", _send_waiting)
        event.listen(session, "after_soft_rollback", _drop_waiting)
    waiting.append((channels, round_id, kind, data))


def _send_waiting(session: Session) -> None:
    waiting = session.info.get(_AFTER_COMMIT, [])
    for channels, round_id, kind, data in waiting:
        publish(channels, round_id, kind, **data)
    waiting.clear()


def _drop_waiting(session: Session, previous_transaction: Any) -> None:
    session.info.get(_AFTER_COMMIT, []).clear()
