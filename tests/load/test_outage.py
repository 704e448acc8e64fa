"""The database goes away while tablets cast (a private PostgreSQL server is stopped for
two seconds, then started): the service answers with a clear temporary error (503,
``unavailable``), recovers by itself without a restart, and loses nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from tests.load.cluster import PrivateCluster
from tests.load.harness import Server
from tests.load.tablets import parse, run


@pytest.fixture
def cluster() -> Iterator[PrivateCluster]:
    private = PrivateCluster()
    private.start()
    yield private
    private.remove()


def test_database_outage_gets_503_then_recovers_with_nothing_lost(cluster: PrivateCluster) -> None:
    async def outage(server: Server, stop: asyncio.Event) -> int:
        await asyncio.sleep(0.3)  # casting is under way
        await asyncio.to_thread(cluster.stop)
        await asyncio.sleep(2.0)
        await asyncio.to_thread(cluster.start)
        return 0

    database = cluster.url.rsplit("/", 1)[0] + "/redbench"
    args = parse(["--ballots", "3000", "--tablets", "20", "--database", database])
    done = asyncio.run(run(args, say=lambda _: None, disrupt=outage))
    errors = done.ledger.errors
    assert any(kind.startswith("503") for kind in errors), errors  # told to come back
    assert not any(kind.startswith("500") for kind in errors), errors  # never a crash
    assert done.starts == 1  # recovered by itself
    assert done.problems == []
    assert done.ledger.lost == []
    assert len(done.ledger.acks) == 3000
