"""Service configuration: from command-line options, then ``REDBENCH_*`` environment variables,
then defaults (a SQLite file in the working directory, in-memory live events)."""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

import msgspec

DEFAULT_DATABASE = "sqlite+aiosqlite:///redbench.sqlite3"


class SettingError(ValueError):
    """A setting that cannot be used; the message says why, ``zh`` in Chinese."""

    def __init__(self, message: str, zh: str) -> None:
        super().__init__(message)
        self.zh = zh


def trusted_proxy(value: str) -> str:
    """A proxy address or network (``10.0.0.2``, ``10.0.0.0/8``, ``::1``) in canonical form;
    ``ValueError`` for anything else (a host name, ``*``)."""
    text = value.strip()
    try:
        if "/" in text:
            return str(ipaddress.ip_network(text, strict=False))
        return str(ipaddress.ip_address(text))
    except ValueError:
        raise SettingError(
            f"trusted proxy {value!r} is not an IP address or network (e.g. 10.0.0.2 or "
            "10.0.0.0/8)",
            f"受信任的代理“{value}”不是 IP 地址或网段（如 10.0.0.2 或 10.0.0.0/8）",
        ) from None


def trusted_proxies(values: Iterable[str]) -> tuple[str, ...]:
    """Each of ``values`` (or each comma-separated part of them) as :func:`trusted_proxy`."""
    parts = (part for value in values for part in value.split(","))
    return tuple(trusted_proxy(part) for part in parts if part.strip())


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    """Everything the app needs to start.

    ``secret_key`` keys the voter-code hashes and must stay the same for the life of a
    database: when not given it is read from (or written once to) ``redbench.secret``
    beside a SQLite database, or the working directory otherwise.

    ``trusted_proxies`` are the addresses or networks of reverse proxies whose
    ``X-Forwarded-For`` names the client; with none, the header is ignored from everyone and
    the client is the address that connected (the guessing budget's device).

    ``tls_cert`` and ``tls_key`` (PEM files, both or neither) make the service itself speak
    HTTPS, so that nobody on the meeting's Wi-Fi reads the ballots on their way.
    """

    database_url: str = DEFAULT_DATABASE
    secret_key: str = ""
    host: str = "127.0.0.1"
    port: int = 8000
    events: Literal["memory", "redis"] = "memory"
    redis_url: str = "redis://127.0.0.1:6379/0"
    demo: bool = False
    trusted_proxies: tuple[str, ...] = ()
    tls_cert: str = ""
    tls_key: str = ""
    public_url: str = ""
    """The address residents' phones reach the board at (``https://yishi.example.cn/``), for
    the QR codes on receipts and result posters; empty, they use the address the request
    came to, which is right when staff and residents use the same one."""
    benchmark_endpoints: bool = False
    """Route ``POST /api/v1/noop`` (decodes a body, touches nothing), the baseline the
    service benchmark compares casting with; off, it is not routed at all (404)."""

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: object) -> Settings:
        """Settings from ``REDBENCH_DATABASE_URL``, ``REDBENCH_SECRET``, ``REDBENCH_HOST``,
        ``REDBENCH_PORT``, ``REDBENCH_EVENTS``, ``REDBENCH_REDIS_URL``, ``REDBENCH_TLS_CERT``,
        ``REDBENCH_TLS_KEY``, ``REDBENCH_PUBLIC_URL``, ``REDBENCH_BENCHMARK_ENDPOINTS`` (``1`` or
        ``true``) and
        ``REDBENCH_TRUSTED_PROXIES`` (comma-separated); keyword overrides that are not
        ``None`` win. A proxy that is not an address or network is a ``ValueError``."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for field, var in (
            ("database_url", "REDBENCH_DATABASE_URL"),
            ("secret_key", "REDBENCH_SECRET"),
            ("host", "REDBENCH_HOST"),
            ("port", "REDBENCH_PORT"),
            ("events", "REDBENCH_EVENTS"),
            ("redis_url", "REDBENCH_REDIS_URL"),
            ("tls_cert", "REDBENCH_TLS_CERT"),
            ("tls_key", "REDBENCH_TLS_KEY"),
            ("benchmark_endpoints", "REDBENCH_BENCHMARK_ENDPOINTS"),
            ("public_url", "REDBENCH_PUBLIC_URL"),
        ):
            if env.get(var):
                values[field] = env[var]
        if env.get("REDBENCH_TRUSTED_PROXIES"):
            values["trusted_proxies"] = trusted_proxies([env["REDBENCH_TRUSTED_PROXIES"]])
        values.update({k: v for k, v in overrides.items() if v is not None})
        public = str(values.get("public_url", ""))
        if public and not public.startswith(("https://", "http://")):
            raise ValueError(f"REDBENCH_PUBLIC_URL must start with https:// or http://: {public}")
        return msgspec.convert(values, cls, strict=False)

    def public_base(self, request_base: str) -> str:
        """Where links printed for residents start: :attr:`public_url` (ending in ``/``) when
        set, else ``request_base``, the address the request came to."""
        if not self.public_url:
            return request_base
        return self.public_url.rstrip("/") + "/"

    @property
    def scheme(self) -> str:
        """``https`` when the service speaks TLS itself, else ``http``."""
        return "https" if self.tls_cert else "http"

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
        """These settings with a secret key, created and kept in a file if none was given; a
        secret of fewer than :data:`SECRET_LENGTH` characters is a ``ValueError``."""
        if self.secret_key:
            return strong(self)
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
        return strong(msgspec.structs.replace(self, secret_key=key))


SECRET_LENGTH = 32
"""Fewest characters of a server secret. Whoever holds one printed code and the database
could try secrets offline against the code's stored HMAC; a secret made as the service makes
one (``secrets.token_urlsafe(32)``, 43 characters, 256 random bits) is out of reach."""


def strong(settings: Settings) -> Settings:
    """``settings``, if their secret is long enough to be random (:data:`SECRET_LENGTH`)."""
    if len(settings.secret_key) < SECRET_LENGTH:
        raise SettingError(
            f"the server secret (REDBENCH_SECRET or redbench.secret) has "
            f"{len(settings.secret_key)} characters; use at least {SECRET_LENGTH} random ones, "
            "e.g. python3 -c 'import secrets; print(secrets.token_urlsafe(32))'",
            f"服务器密钥（REDBENCH_SECRET 或 redbench.secret）只有 {len(settings.secret_key)} "
            f"个字符，请改用至少 {SECRET_LENGTH} 个随机字符，例如 "
            "python3 -c 'import secrets; print(secrets.token_urlsafe(32))' 生成的密钥",
        )
    return settings
