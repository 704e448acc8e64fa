"""A real ``redbench serve`` for load and fault runs: start it on a fresh database, kill it
(SIGKILL, the whole process group when it has workers), start it again on the same port,
and a staff client that prepares a round and reads what the server published.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

import httpx

from tests.support.app import free_port
from tests.support.park import PARK  # the slate of every load round

PASSWORD = "load-password"


async def fresh_database(url: str | None, folder: Path) -> str:
    """``url`` emptied (a PostgreSQL database is dropped and created again), or a new SQLite
    file in ``folder`` when ``url`` is ``None``."""
    if url is None:
        return f"sqlite+aiosqlite:///{folder / 'load.sqlite3'}"
    if url.startswith("postgresql"):
        from sqlalchemy import text

        from service.db.session import create_engine

        server, _, name = url.rpartition("/")
        engine = create_engine(f"{server}/postgres")
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        await engine.dispose()
    return url


async def drop_database(url: str) -> None:
    """Drop the PostgreSQL database at ``url`` (if it is there)."""
    from sqlalchemy import text

    from service.db.session import create_engine

    server, _, name = url.rpartition("/")
    engine = create_engine(f"{server}/postgres")
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await engine.dispose()


@contextmanager
def postgres_database(prefix: str) -> Iterator[str]:
    """The URL of a database of this test run's own on the PostgreSQL server named by
    ``REDBENCH_TEST_DATABASE_URL`` (``prefix`` and the process id), dropped afterwards."""
    base = os.environ["REDBENCH_TEST_DATABASE_URL"]
    server = base.replace("postgresql://", "postgresql+asyncpg://", 1).rpartition("/")[0]
    url = f"{server}/{prefix}_{os.getpid()}"
    try:
        yield url
    finally:
        asyncio.run(drop_database(url))


@dataclass
class Server:
    """``redbench serve`` in a process group of its own, on a fixed port."""

    database: str
    workers: int = 1
    options: tuple[str, ...] = ()
    """More ``redbench serve`` options, e.g. ``("--trusted-proxy", "127.0.0.1")``."""
    port: int = field(default_factory=free_port)
    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="redbench-load-")))
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0
    log: IO[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "REDBENCH_DATABASE_URL": self.database,
            "REDBENCH_SECRET": "load-test-secret-of-32-characters!",
            "REDBENCH_EVENTS": "redis" if self.workers > 1 else "memory",
        }

    def redbench(self, *args: str) -> None:
        """Run a ``redbench`` command against this server's database."""
        exe = Path(sys.executable).parent / "redbench"
        subprocess.run([str(exe), *args], check=True, env=self.env, stdout=subprocess.DEVNULL)

    async def start(self) -> None:
        exe = Path(sys.executable).parent / "redbench"
        command = [
            str(exe),
            "serve",
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
            *self.options,
        ]
        self._close_log()
        self.log = (self.folder / f"server-{self.starts}.log").open("wb")
        self.process = subprocess.Popen(
            command,
            env=self.env,
            cwd=self.folder,
            stdout=subprocess.DEVNULL,
            stderr=self.log,
            start_new_session=True,
        )
        self.starts += 1
        await self.wait_ready()

    async def wait_ready(self, seconds: float = 30.0) -> None:
        async with httpx.AsyncClient() as client:
            for _ in range(int(seconds / 0.05)):
                if self.process is not None and self.process.poll() is not None:
                    raise RuntimeError(f"the server exited (see {self.folder})")
                try:
                    if (await client.get(f"{self.base}/api/v1/ping")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.05)
        raise RuntimeError(f"the server did not start (see {self.folder})")

    def kill(self) -> None:
        """SIGKILL the server and its workers: nothing is flushed, nothing shut down."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self._close_log()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()
        self._close_log()

    def _close_log(self) -> None:
        if self.log is not None:
            self.log.close()
            self.log = None


class Staff:
    """The facilitator's side of a load run, over the API."""

    def __init__(
        self, base: str, user: str = "load", password: str = PASSWORD, *, verify: bool = True
    ) -> None:
        self.client = httpx.AsyncClient(base_url=base, timeout=600, verify=verify)
        self.auth: dict[str, str] = {}
        self.user = user
        self.password = password

    async def call(self, method: str, path: str, payload: Any = None) -> Any:
        response = await self.client.request(method, path, json=payload, headers=self.auth)
        if response.status_code >= 400:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text}")
        return response.json() if response.content else None

    async def login(self) -> None:
        login = await self.call(
            "POST", "/api/v1/auth/login", {"username": self.user, "password": self.password}
        )
        self.auth = {"Authorization": f"Bearer {login['token']}"}

    async def open_round(self, codes: int, method: str = "irv") -> tuple[int, list[str]]:
        """A voting round on the pocket park with ``codes`` fresh codes."""
        community = await self.call(
            "POST", "/api/v1/communities", {"name": f"杜集社区 {os.urandom(3).hex()}"}
        )
        process = await self.call(
            "POST",
            f"/api/v1/communities/{community['id']}/processes",
            {"title": "口袋公园建设方案", "question": "口袋公园先建哪一项？"},
        )
        ids = []
        for title in PARK:
            proposal = await self.call(
                "POST", f"/api/v1/processes/{process['id']}/proposals", {"title": title}
            )
            ids.append(proposal["id"])
        created = await self.call(
            "POST",
            f"/api/v1/processes/{process['id']}/rounds",
            {"title": "投票", "ballot_kind": "ranked", "method": method, "proposal_ids": ids},
        )
        round_id = int(created["id"])
        await self.call("POST", f"/api/v1/rounds/{round_id}/phase", {"to": "voting"})
        # the load casts through the public API: ballots from home, taken in a phone window
        until = (datetime.now(UTC) + timedelta(days=1)).isoformat()
        await self.call("PUT", f"/api/v1/rounds/{round_id}/phone-window", {"until": until})
        plain: list[str] = []
        while len(plain) < codes:
            batch = min(5000, codes - len(plain))
            issued = await self.call("POST", f"/api/v1/rounds/{round_id}/codes", {"count": batch})
            plain += [c["code"] for c in issued["codes"]]
        return round_id, plain

    async def close(self, round_id: int) -> dict[str, Any]:
        """Close and count the round; its turnout, result and the two published lists (the
        round's receipts are sealed): its trackers, and its distinct ballots with counts."""
        await self.call("POST", f"/api/v1/rounds/{round_id}/phase", {"to": "closed"})
        turnout = await self.call("GET", f"/api/v1/rounds/{round_id}/turnout")
        result = await self.call("GET", f"/api/v1/rounds/{round_id}/result")
        trackers = await self.pages(f"/api/v1/rounds/{round_id}/trackers", "trackers")
        ballots = await self.pages(f"/api/v1/rounds/{round_id}/ballots", "ballots")
        return {"turnout": turnout, "result": result, "trackers": trackers, "ballots": ballots}

    async def pages(self, path: str, key: str) -> list[Any]:
        """Every entry of a paged list, a thousand at a time."""
        entries: list[Any] = []
        after: str | None = None
        while True:
            params = {"limit": 1000} | ({"after": after} if after else {})
            response = await self.client.get(path, params=params, headers=self.auth)
            if response.status_code >= 400:
                raise RuntimeError(f"GET {path}: {response.status_code} {response.text}")
            page = response.json()
            entries += page[key]
            after = page["next"]
            if after is None:
                return entries

    async def aclose(self) -> None:
        await self.client.aclose()
