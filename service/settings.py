"""Service configuration: from command-line options, then ``REDBENCH_*`` environment variables,
then defaults (a SQLite file in the working directory, in-memory live events)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Literal

import msgspec

DEFAULT_DATABASE = "sqlite+aiosqlite:///redbench.sqlite3"


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    """Everything the app needs to start.

    ``secret_key`` keys the voter-code hashes and must stay the same for the life of a
    database: when not given it is read from (or written once to) ``redbench.secret``
    beside a SQLite database, or the working directory otherwise.
    """

    database_url: str = DEFAULT_DATABASE
    secret_key: str = ""
    host: str = "127.0.0.1"
    port: int = 8000
    events: Literal["memory", "redis"] = "memory"
    redis_url: str = "redis://127.0.0.1:6379/0"
    demo: bool = False
    benchmark_endpoints: bool = False
    """Route ``POST /api/v1/noop`` (decodes a body, touches nothing), the baseline the
    service benchmark compares casting with; off, it is not routed at all (404)."""

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: object) -> Settings:
        """Settings from ``REDBENCH_DATABASE_URL``, ``REDBENCH_SECRET``, ``REDBENCH_HOST``,
        ``REDBENCH_PORT``, ``REDBENCH_EVENTS``, ``REDBENCH_REDIS_URL`` and
        ``REDBENCH_BENCHMARK_ENDPOINTS`` (``1`` or ``true``); keyword overrides that are not
        ``None`` win."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for field, var in (
            ("database_url", "REDBENCH_DATABASE_URL"),
            ("secret_key", "REDBENCH_SECRET"),
            ("host", "REDBENCH_HOST"),
            ("port", "REDBENCH_PORT"),
            ("events", "REDBENCH_EVENTS"),
            ("redis_url", "REDBENCH_REDIS_URL"),
            ("benchmark_endpoints", "REDBENCH_BENCHMARK_ENDPOINTS"),
        ):
            if env.get(var):
                values[field] = env[var]
        values.update({k: v for k, v in overrides.items() if v is not None})
        return msgspec.convert(values, cls, strict=False)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def sqlite_path(self) -> Path | None:
        """The database file of a SQLite URL (``None`` for in-memory or other databases)."""
        if not self.is_sqlite:
            return None
        path = self.database_url.split("///", 1)[-1]
        return None if path in ("", ":memory:") else Path(path)

    def with_secret(self) -> Settings:
        """These settings with a secret key, created and kept in a file if none was given."""
        if self.secret_key:
            return self
        db_file = self.sqlite_path()
        folder = db_file.resolve().parent if db_file else Path.cwd()
        key_file = folder / "redbench.secret"
        if key_file.exists():
            key = key_file.read_text(encoding="utf-8").strip()
        else:
            folder.mkdir(parents=True, exist_ok=True)
            key = secrets.token_urlsafe(32)
            key_file.write_text(key + "\n", encoding="utf-8")
            key_file.chmod(0o600)
        return msgspec.structs.replace(self, secret_key=key)
