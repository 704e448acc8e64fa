"""The service under test, on every database: SQLite always, PostgreSQL as well when
``REDBENCH_TEST_DATABASE_URL`` names a server (CI sets it, so there it always runs).

Each test gets an empty, fully migrated database: a copy of a migrated SQLite template
file, or the PostgreSQL test database with every table truncated.

Passwords: the staff the tests create have their password hashed once per session at
:data:`CHEAP`, a scrypt cost for tests only, and the ``client`` fixture's app checks and
hashes passwords at that cost too (:func:`cheap_hashing`); at the service's own cost
(OWASP's, a third of a second and 128 MiB a hash) the suite would spend minutes hashing.
The service has no setting that selects another cost: only a test can put a hasher of its
own into ``app.state``. ``tests/service/test_passwords.py`` checks the real cost.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from service.app import create_app
from service.auth import hashing
from service.auth.guard import token_hash
from service.auth.hashing import PasswordHasher
from service.auth.passwords import Cost, hash_password
from service.db.base import Base, utcnow
from service.db.migrate import upgrade
from service.db.models import ApiToken, User
from service.db.session import create_engine, sessionmaker
from service.results.purge import purged
from service.settings import Settings

PG_URL = os.environ.get("REDBENCH_TEST_DATABASE_URL", "")
BACKENDS = ["sqlite", "postgres"] if PG_URL else ["sqlite"]
SECRET = "test-secret-key-of-at-least-32-characters"
PASSWORD = "correct horse battery"
"""The password of every staff member :func:`make_staff` creates."""
CHEAP = Cost(n=2**8, r=8, p=1)
"""Tests only: a scrypt cost a thousand times below the service's (see the module
docstring)."""
STAFF_HASH = hash_password(PASSWORD, CHEAP)
""":data:`PASSWORD` hashed once for the whole session."""


def cheap_hashing(app: Litestar) -> None:
    """Let a started app hash and check passwords at :data:`CHEAP` (tests only)."""
    app.state.passwords = PasswordHasher(CHEAP)


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


def empty_database(backend: str, request: pytest.FixtureRequest, folder: Path) -> str:
    """An empty migrated database: a copy of the SQLite template in ``folder``, or the
    session's PostgreSQL database with every table emptied."""
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = folder / "redbench.sqlite3"
        shutil.copy(template, path)
        return f"sqlite+aiosqlite:///{path}"
    url: str = request.getfixturevalue("postgres_url")

    async def truncate() -> None:
        engine = create_engine(url)
        names = ", ".join(t.name for t in Base.metadata.sorted_tables)
        async with engine.begin() as conn:
            await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        await engine.dispose()

    asyncio.run(truncate())
    return url


def fresh_database(backend: str, request: pytest.FixtureRequest, folder: Path) -> str:
    """A database with no tables at all (for migration tests): a new SQLite file in
    ``folder``, or a new PostgreSQL database dropped after the test."""
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{folder / 'fresh.sqlite3'}"
    base = PG_URL.replace("postgresql://", "postgresql+asyncpg://", 1)
    server, _, _ = base.rpartition("/")
    name = f"redbench_fresh_{os.getpid()}"

    async def admin(statement: str) -> None:
        engine = create_engine(base)
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(statement))
        await engine.dispose()

    def run(statement: str) -> None:  # on a loop of its own: the caller's may be running
        with ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, admin(statement)).result()

    run(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    run(f"CREATE DATABASE {name}")
    request.addfinalizer(lambda: run(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    return f"{server}/{name}"


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


class Clock:
    """A clock the test moves (``app.state.clock``): sign-in lockouts and session lifetimes
    are tested without sleeping."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


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


async def make_staff(db: AsyncSession, role: str, username: str | None = None) -> dict[str, str]:
    """A staff user with ``role`` and the Authorization header for their token."""
    name = username or f"{role}-user"
    user = User(
        username=name,
        display_name=f"{role} 测试",
        role=role,
        password_hash=STAFF_HASH,
    )
    db.add(user)
    await db.flush()
    token = f"token-{name}"
    db.add(ApiToken(user_id=user.id, token_hash=token_hash(token), label="test"))
    await db.commit()
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def staff(db: AsyncSession) -> dict[str, dict[str, str]]:
    """Headers for one user of each role: ``staff["facilitator"]`` ..."""
    return {
        role: await make_staff(db, role)
        for role in ("admin", "facilitator", "secretary", "grid_worker")
    }


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
