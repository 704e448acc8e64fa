"""The posters already made, kept in memory: a published result never changes, so its poster
is made once per paper size, language and address, not on every download.

The poster is public (anyone may fetch ``/board/rounds/<id>/poster``) and making one takes a
good part of a second in the worker pool that also counts rounds and makes code slips; made
afresh for each request, a loop of downloads would hold that pool. So the made PDFs stay on
the app's state in a :class:`PosterShelf`: at most :data:`ROOM` of them (a few megabytes),
the least recently fetched going first. A poster asked for again while it is being made waits
for that one making (one in flight per key), and at most :data:`MAKING` different posters
are made at a time, so addresses or sizes varied on purpose queue instead of filling the pool.
Nothing about a poster is secret, and the shelf lives and dies with the app's process.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, Final

ROOM: Final[int] = 32
"""Posters kept at most (each some tens to hundreds of kilobytes)."""
MAKING: Final[int] = 2
"""Different posters made at the same time at most."""

Key = tuple[int, str, str, str]
"""(round id, paper size, language, the board's address in the QR code)."""


class PosterShelf:
    """Made posters by :data:`Key`, least recently used out beyond ``room``."""

    def __init__(self, room: int = ROOM) -> None:
        self.room = room
        self._made: OrderedDict[Key, bytes] = OrderedDict()
        self._making: dict[Key, asyncio.Task[bytes]] = {}
        self._turns = asyncio.Semaphore(MAKING)

    def __len__(self) -> int:
        return len(self._made)

    async def poster(self, key: Key, make: Callable[[], Awaitable[bytes]]) -> bytes:
        """The poster under ``key``, made by ``make`` if the shelf has none yet. Waiting
        requests share one making; a making that fails is not kept (the next request tries
        again), and a request that goes away does not stop the making for the others."""
        made = self._made.get(key)
        if made is not None:
            self._made.move_to_end(key)
            return made
        task = self._making.get(key)
        if task is None:
            task = asyncio.get_running_loop().create_task(self._in_turn(make))
            self._making[key] = task
            task.add_done_callback(partial(self._shelve, key))
        return await asyncio.shield(task)

    async def _in_turn(self, make: Callable[[], Awaitable[bytes]]) -> bytes:
        async with self._turns:
            return await make()

    def _shelve(self, key: Key, task: asyncio.Task[bytes]) -> None:
        self._making.pop(key, None)
        if task.cancelled() or task.exception() is not None:
            return
        self._made[key] = task.result()
        self._made.move_to_end(key)
        while len(self._made) > self.room:
            self._made.popitem(last=False)


def shelf_of(state: Any) -> PosterShelf:
    """The app's shelf (``state.posters``), put there on first use."""
    shelf = state.get("posters")
    if not isinstance(shelf, PosterShelf):
        shelf = PosterShelf()
        state.posters = shelf
    return shelf
