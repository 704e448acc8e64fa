"""Live events for the facilitator's screen (turnout while voting, phase changes), through
litestar channels: in memory when one process serves, Redis when several workers share the
database (``REDBENCH_EVENTS=redis``)."""

from __future__ import annotations

from typing import Any

from litestar.channels import ChannelsPlugin
from litestar.channels.backends.memory import MemoryChannelsBackend
from litestar.channels.backends.redis import RedisChannelsPubSubBackend

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
