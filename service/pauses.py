"""Keeping the garbage collector's full passes short while the app serves.

A full (generation 2) collection walks every object the process holds; with the framework,
the ORM and the document libraries loaded that is about 175,000 objects and 100–160 ms on
this machine, during which the event loop stands still — whichever request's allocations
set it off (5,000 issued codes do). What exists when the app starts — modules, classes,
routes, the ORM's mappings — lives as long as the process, so it is frozen out of the
collector's walks (:func:`gc.freeze`); a full pass then takes a few milliseconds. The app's
shutdown unfreezes it, so a process that makes several apps (the tests) lets nothing leak.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager

from litestar import Litestar


@asynccontextmanager
async def frozen_startup(app: Litestar) -> AsyncGenerator[None, None]:
    """Freeze the objects alive at startup out of the collector's walks until shutdown."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
