"""Schema migrations with Alembic: ``redbench db upgrade`` and the first start of the service
both bring the database to the newest revision."""

from __future__ import annotations

import asyncio
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import make_url

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url)
    config.attributes["configure_logging"] = False
    return config


UNSEALED = ("0001", "0002")
"""Revisions whose ballots were stored unsealed, with digests anyone holding the printed
codes could recompute (see revision 0003)."""


def upgrade(database_url: str, revision: str = "head") -> None:
    """Migrate the database at ``database_url`` (created if it is a new SQLite file).

    The migrations run on their own event loop, so when called from async code they run in
    a helper thread (an event loop cannot be nested in a running one). A SQLite file that
    comes from a revision that stored ballots unsealed is rewritten afterwards
    (:func:`scrub`).
    """
    before = sqlite_revision(database_url)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        command.upgrade(alembic_config(database_url), revision)
    else:
        with ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(command.upgrade, alembic_config(database_url), revision).result()
    if before in UNSEALED and sqlite_revision(database_url) not in UNSEALED:
        scrub(database_url)


def _sqlite_file(database_url: str) -> Path | None:
    url = make_url(database_url)
    if not url.drivername.startswith("sqlite") or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database)


def sqlite_revision(database_url: str) -> str | None:
    """The revision of a SQLite database file (``None``: not SQLite, no file, no schema)."""
    path = _sqlite_file(database_url)
    if path is None or not path.exists():
        return None
    with closing(sqlite3.connect(path)) as connection:
        try:
            row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        except sqlite3.OperationalError:
            return None
    return None if row is None else str(row[0])


def scrub(database_url: str) -> None:
    """Rewrite a SQLite file from scratch (``VACUUM``) and truncate its log: free pages may
    still hold what an older revision deleted without zeroing it — idempotency records whose
    digest anyone with the printed codes could recompute, next to their trackers."""
    path = _sqlite_file(database_url)
    if path is None:
        return
    with closing(sqlite3.connect(path, isolation_level=None)) as connection:
        connection.execute("PRAGMA secure_delete = ON")
        connection.execute("VACUUM")
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
