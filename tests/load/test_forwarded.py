"""Against a real ``redbench serve``: ``X-Forwarded-For`` gives no fresh guessing budget
unless it comes from a proxy named with ``--trusted-proxy``, and several app workers spend
from one budget (the budget itself: tests/service/test_guesses.py)."""

from __future__ import annotations

import asyncio
import secrets
import shutil
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from service.voting.guesses import BURST
from tests.load.harness import PASSWORD, Server, Staff, fresh_database, postgres_database
from tests.support.databases import PG_URL
from tests.support.park import PARK

BACKENDS = ["sqlite", "postgres"] if PG_URL else ["sqlite"]


@pytest.fixture(params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh SQLite file, or a database of this run's own on the PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'guessing.sqlite3'}"
        return
    with postgres_database("redbench_guessing") as url:
        yield asyncio.run(fresh_database(url, tmp_path))


@asynccontextmanager
async def serving(database: str, *options: str, workers: int = 1) -> AsyncIterator[str]:
    """A server with ``options`` and a voting round; the round's ballots URL."""
    server = Server(database, workers=workers, options=options)
    server.redbench("db", "upgrade")
    server.redbench("user", "add", "load", "--role", "admin", "--password", PASSWORD)
    await server.start()
    staff = Staff(server.base)
    try:
        await staff.login()
        round_id, _ = await staff.open_round(1)
        yield f"{server.base}/api/v1/rounds/{round_id}/ballots"
    finally:
        await staff.aclose()
        server.stop()
        shutil.rmtree(server.folder, ignore_errors=True)


async def guess(url: str, forwarded: str | None = None) -> int:
    """One unknown code, on a connection of its own (so workers take turns); the status."""
    headers = {"Connection": "close"}
    if forwarded is not None:
        headers["X-Forwarded-For"] = forwarded
    body = {
        "code": f"ZZZZZ-{secrets.randbelow(10**5):05}",
        "key": secrets.token_hex(16),
        "ballot": {"kind": "ranked", "ranking": [[PARK[0]]]},
    }
    async with httpx.AsyncClient() as client:
        return (await client.post(url, json=body, headers=headers)).status_code


def test_a_rotated_forwarded_for_gets_no_new_budget(tmp_path: Path) -> None:
    """uvicorn trusts X-Forwarded-For from 127.0.0.1 by default: a guesser on the server's
    machine rotating it had a fresh budget per request. Without --trusted-proxy the header
    is not read: every guess is the connecting address's."""

    async def run() -> list[int]:
        async with serving(f"sqlite+aiosqlite:///{tmp_path / 'rotated.sqlite3'}") as url:
            return [await guess(url, f"198.51.100.{n}") for n in range(BURST.size + 5)]

    statuses = asyncio.run(run())
    assert statuses[: BURST.size] == [404] * BURST.size
    assert set(statuses[BURST.size :]) == {429}


def test_a_trusted_proxy_names_the_client(tmp_path: Path) -> None:
    """With --trusted-proxy 127.0.0.1 the client is the last address the proxy did not
    add: each forwarded client has its own budget, and prepending a made-up address to the
    header changes nothing."""

    async def run() -> tuple[list[int], list[int], int, int]:
        database = f"sqlite+aiosqlite:///{tmp_path / 'proxied.sqlite3'}"
        async with serving(database, "--trusted-proxy", "127.0.0.1") as url:
            distinct = [await guess(url, f"198.51.100.{n}") for n in range(BURST.size + 5)]
            same = [await guess(url, "203.0.113.5") for _ in range(BURST.size + 1)]
            spoofed = await guess(url, f"192.0.2.{secrets.randbelow(250)}, 203.0.113.5")
            proxy_itself = await guess(url)
            return distinct, same, spoofed, proxy_itself

    distinct, same, spoofed, proxy_itself = asyncio.run(run())
    assert set(distinct) == {404}  # fifteen clients, one guess each
    assert same == [404] * BURST.size + [429]
    assert spoofed == 429  # still 203.0.113.5
    assert proxy_itself == 404


def test_app_workers_spend_from_one_budget(database: str) -> None:
    """Two workers: each guess on a new connection, so both take guesses; together they
    answer no more unknown codes than one worker would, but for one guess of slack."""

    async def run() -> list[int]:
        async with serving(database, workers=2) as url:
            return [await guess(url) for _ in range(4 * BURST.size)]

    statuses = asyncio.run(run())
    answered = statuses.count(404)
    assert BURST.size <= answered <= BURST.size + 1, statuses
    assert statuses.count(429) == len(statuses) - answered
