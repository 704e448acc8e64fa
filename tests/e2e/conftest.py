"""Browser tests: the real app served by uvicorn on a free local port, driven by headless
Chromium (the system's, through Playwright), on SQLite; a test marked
``@pytest.mark.backends("sqlite", "postgres")`` runs on PostgreSQL as well when
``REDBENCH_TEST_DATABASE_URL`` names a server (see :func:`pytest_generate_tests`).

One browser per test module (see :func:`playwright`); one server and one database per
backend. Database work from the tests (seeding, looking behind the pages) runs on a worker
thread of its own, so it never touches the event loop Playwright keeps on the main thread.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Playwright, sync_playwright
from sqlalchemy import text

from service.app import create_app
from service.db.migrate import upgrade
from service.db.session import create_engine
from service.settings import Settings
from tests.e2e.helpers import Server
from tests.support.app import free_port
from tests.support.databases import BACKENDS, PG_URL

SECRET = "e2e-secret-key-of-at-least-32-characters"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTEFACTS = Path(__file__).resolve().parent / "artefacts"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A browser test runs on SQLite: what the pages do to the database, the service tests
    check on both databases over HTTP. A test marked ``@pytest.mark.backends("sqlite",
    "postgres")`` runs on each (the end-to-end walk of every way to vote does), which keeps
    the whole suite's time inside its budget."""
    if "backend" in metafunc.fixturenames:
        marker = metafunc.definition.get_closest_marker("backends")
        named = marker.args if marker is not None else ("sqlite",)
        wanted = [b for b in BACKENDS if b in named]
        metafunc.parametrize("backend", wanted, scope="session")


def _admin(url: str, statement: str) -> None:
    async def main() -> None:
        engine = create_engine(url)
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(statement))
        await engine.dispose()

    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, main()).result()


@pytest.fixture(scope="session")
def database_url(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A freshly migrated database for this backend's browser tests."""
    if backend == "sqlite":
        path = tmp_path_factory.mktemp(f"e2e-{backend}") / "redbench.sqlite3"
        url = f"sqlite+aiosqlite:///{path}"
        upgrade(url)
        yield url
        return
    base = PG_URL.replace("postgresql://", "postgresql+asyncpg://", 1)
    server, _, _ = base.rpartition("/")
    name = f"redbench_e2e_{os.getpid()}"
    _admin(base, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    _admin(base, f"CREATE DATABASE {name}")
    url = f"{server}/{name}"
    upgrade(url)
    yield url
    _admin(base, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="session")
def server(database_url: str) -> Iterator[Server]:
    settings = Settings(database_url=database_url, secret_key=SECRET)
    port = free_port()
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=port, log_level="warning", ws="none"
    )
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, name="e2e-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not running.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    yield Server(base=f"http://127.0.0.1:{port}", settings=settings)
    running.should_exit = True
    thread.join(timeout=20)


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    """Playwright's driver, for one test module at a time: its synchronous API keeps an
    event loop marked as running on the main thread, which the asynchronous tests of
    other modules need free."""
    if shutil.which("chromium") is None and not Path(CHROMIUM).exists():
        raise pytest.UsageError(
            "Chromium is missing: run tools/system.py (apt-get install chromium)"
        )
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield launched
    launched.close()


@pytest.fixture(scope="session")
def artefacts() -> Path:
    """Where the browser tests leave their screenshots (git-ignored)."""
    ARTEFACTS.mkdir(exist_ok=True)
    return ARTEFACTS
