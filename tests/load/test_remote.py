"""The load tool against a server it did not start (``--url``), as against a deployment
behind its proxy: two app workers sharing live events through Redis when Redis is there,
the round's WebSocket followed by a staff screen while the tablets cast."""

from __future__ import annotations

import asyncio
import shutil
import socket
from pathlib import Path

import pytest

from tests.load.harness import PASSWORD, Server
from tests.load.tablets import Run, parse, run


def redis_listening() -> bool:
    """Whether a Redis server answers on 127.0.0.1:6379 (live events between workers)."""
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


WORKERS = [1, 2] if redis_listening() else [1]


@pytest.mark.parametrize("workers", WORKERS)
def test_tablets_against_a_running_server(tmp_path: Path, workers: int) -> None:
    """Every ballot acknowledged and published once, and the staff screen's turnout events,
    from whichever worker wrote the casts, announce every one of them."""

    async def scenario() -> Run:
        server = Server(f"sqlite+aiosqlite:///{tmp_path / 'remote.sqlite3'}", workers=workers)
        server.redbench("db", "upgrade")
        server.redbench("user", "add", "remote", "--role", "admin", "--password", PASSWORD)
        await server.start()
        try:
            args = parse(
                ["--url", server.base, "--user", "remote", "--ballots", "300", "--tablets", "10"]
            )
            return await run(args, say=lambda _: None)
        finally:
            server.stop()
            shutil.rmtree(server.folder, ignore_errors=True)

    done = asyncio.run(scenario())
    assert done.problems == []
    ledger = done.ledger
    assert len(ledger.acks) == 300
    assert ledger.events["turnout"] > 0
    assert ledger.turnout_added == 300
