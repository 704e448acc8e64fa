"""The databases the service tests run on: SQLite always, PostgreSQL as well when
``REDBENCH_TEST_DATABASE_URL`` names a server (CI sets it, so there it always runs)."""

from __future__ import annotations

import asyncio
import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import text

from service.db.base import Base
from service.db.session import create_engine

PG_URL = os.environ.get("REDBENCH_TEST_DATABASE_URL", "")
BACKENDS = ["sqlite", "postgres"] if PG_URL else ["sqlite"]


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
