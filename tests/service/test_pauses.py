"""While the app runs, what existed at its start is frozen out of the garbage collector's
full passes (so a pass does not stop the event loop for long); its shutdown unfreezes it."""

from __future__ import annotations

import gc

from litestar.testing import AsyncTestClient

from service.app import create_app
from service.settings import Settings


async def test_startup_objects_are_frozen_while_the_app_runs(settings: Settings) -> None:
    assert gc.get_freeze_count() == 0
    async with AsyncTestClient(app=create_app(settings)) as client:
        assert gc.get_freeze_count() > 10_000
        assert (await client.get("/api/v1/ping")).status_code == 200
    assert gc.get_freeze_count() == 0
