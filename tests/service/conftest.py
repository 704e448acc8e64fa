"""The service under test, on every database: SQLite always, PostgreSQL as well when
``REDBENCH_TEST_DATABASE_URL`` names a server (CI sets it, so there it always runs).

Each test gets an empty, fully migrated database: a copy of a migrated SQLite template
file, or the PostgreSQL test database with every table truncated.

The helpers the fixtures use (and tests may too) are in :mod:`tests.support.app` and
:mod:`tests.support.databases`.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from service.app import create_app
from service.auth import hashing
from service.db.migrate import upgrade
from service.db.session import create_engine, sessionmaker
from service.results.purge import purged
from service.settings import Settings
from tests.support.app import SECRET, Clock, cheap_hashing, make_staff
from tests.support.databases import BACKENDS, PG_URL, empty_database
from tests.support.rounds import Park, pocket_park


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every test that uses a database runs on each backend, or on those its
    ``@pytest.mark.backends(...)`` names (for code that exists for one database only)."""
    if "backend" in metafunc.fixturenames:
        marker = metafunc.definition.get_closest_marker("backends")
        wanted = [b for b in BACKENDS if marker is None or b in marker.args]
        metafunc.parametrize("backend", wanted, scope="session")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "redbench.sqlite3"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A freshly migrated database of this test run's own on the configured server."""
    base = PG_URL.replace("postgresql://", "postgresql+asyncpg://", 1)
    server, _, _ = base.rpartition("/")
    name = f"redbench_test_{os.getpid()}"
    test_url = f"{server}/{name}"

    async def recreate() -> None:
        engine = create_engine(base)
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            await conn.execute(text(f"CREATE DATABASE {name}"))
        await engine.dispose()

    async def drop() -> None:
        engine = create_engine(base)
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        await engine.dispose()

    asyncio.run(recreate())
    upgrade(test_url)
    yield test_url
    asyncio.run(drop())


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return empty_database(backend, request, tmp_path)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, secret_key=SECRET)


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[AsyncTestClient[Any]]:
    app = create_app(settings)
    async with AsyncTestClient(app=app) as test_client:
        cheap_hashing(app)
        yield test_client


@pytest.fixture
def clock(client: AsyncTestClient[Any]) -> Clock:
    """The ``client`` app's clock, now under the test's control."""
    moved = Clock()
    client.app.state.clock = moved
    return moved


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[AsyncSession]:
    """A session on the test database, for setting up and for looking behind the API."""
    engine = create_engine(settings.database_url)
    async with sessionmaker(engine)() as session:
        yield session
    await purged()  # a round closed through this session is purged before the engine goes
    await engine.dispose()


@pytest.fixture
async def staff(db: AsyncSession) -> dict[str, dict[str, str]]:
    """Headers for one user of each role: ``staff["facilitator"]`` ..."""
    return {
        role: await make_staff(db, role)
        for role in ("admin", "facilitator", "secretary", "grid_worker")
    }


@pytest.fixture
async def park(db: AsyncSession) -> Park:
    """The pocket-park process with its six proposals (:func:`tests.support.rounds.pocket_park`)."""
    return await pocket_park(db)


@pytest.fixture
def hashes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every stored hash a password is checked against, in order."""
    checked: list[str] = []
    real = hashing.verify_password

    def counting(password: str, stored: str) -> bool:
        checked.append(stored)
        return real(password, stored)

    monkeypatch.setattr(hashing, "verify_password", counting)
    return checked
