"""``redbench serve`` and ``redbench demo`` (``--street``: with the street demo too): run
the web service."""

from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path
from typing import Any, TextIO

import msgspec

from service.commands.errors import CommandError
from service.i18n import text
from service.settings import Settings, trusted_proxy

DEMO_DATABASE = "sqlite+aiosqlite:///redbench-demo.sqlite3"


def quiet() -> None:
    """Keep the terminal for what the facilitator needs: no per-request client chatter."""
    for name in ("httpx", "alembic", "alembic.runtime.migration"):
        logging.getLogger(name).setLevel(logging.WARNING)


def arguments(name: str, cmd: argparse.ArgumentParser) -> None:
    """The options of ``serve`` or ``demo``."""
    cmd.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    cmd.add_argument("--port", type=int, help="port (default 8000)")
    cmd.add_argument("--database", help="database URL (default: a SQLite file here)")
    cmd.add_argument("--workers", type=int, default=1, help="app worker processes")
    cmd.add_argument(
        "--events",
        choices=["memory", "redis"],
        help="live events between workers (default memory)",
    )
    cmd.add_argument(
        "--trusted-proxy",
        action="append",
        type=_proxy,
        metavar="ADDR",
        help="a reverse proxy (address or network) whose X-Forwarded-For names the "
        "client; repeatable (default none: the header is ignored)",
    )
    cmd.add_argument(
        "--tls-cert",
        metavar="FILE",
        help="serve HTTPS with this certificate (PEM; with --tls-key)",
    )
    cmd.add_argument("--tls-key", metavar="FILE", help="the certificate's private key (PEM)")
    if name == "demo":
        cmd.add_argument(
            "--street",
            action="store_true",
            help="also load the street demo: 矿山集街道, six communities, a year of meetings "
            "and requests (refused on a database that already holds a street)",
        )
    cmd.set_defaults(handler=serve if name == "serve" else demo)


def _proxy(value: str) -> str:
    try:
        return trusted_proxy(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _settings(args: argparse.Namespace, default_db: str | None = None) -> Settings:
    try:
        settings = Settings.from_env(
            database_url=args.database
            or (default_db if not os.environ.get("REDBENCH_DATABASE_URL") else None),
            host=args.host,
            port=args.port,
            events=args.events,
            trusted_proxies=tuple(args.trusted_proxy) if args.trusted_proxy else None,
            tls_cert=args.tls_cert,
            tls_key=args.tls_key,
        ).with_secret()
    except ValueError as exc:  # REDBENCH_TRUSTED_PROXIES, a short secret
        raise CommandError(str(exc), getattr(exc, "zh", None), status=2) from None
    check_tls(settings)
    if args.workers > 1 and settings.events == "memory":
        settings = msgspec.structs.replace(settings, events="redis")
    return settings


def check_tls(settings: Settings) -> None:
    """Refuse a certificate without its key (or the other way round) or a file not there,
    before anything starts."""
    if bool(settings.tls_cert) != bool(settings.tls_key):
        raise CommandError(
            "give both --tls-cert and --tls-key, or neither",
            "请同时给出证书和私钥（--tls-cert 和 --tls-key），或者都不给",
            status=2,
        )
    for path in (settings.tls_cert, settings.tls_key):
        if path and not Path(path).is_file():
            raise CommandError(f"no such file: {path}", f"找不到文件 {path}", status=2)


def tls_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's options for speaking HTTPS (none without a certificate)."""
    if not settings.tls_cert:
        return {}
    return {"ssl_certfile": settings.tls_cert, "ssl_keyfile": settings.tls_key}


def pages_line(settings: Settings, lang: str) -> str:
    """Where the pages are: the facilitator's console, enrolling a ballot tablet, the board."""
    base = f"{settings.scheme}://{settings.host}:{settings.port}"
    return text(
        lang,
        "cli.pages",
        console=f"{base}/console",
        enrol=f"{base}/kiosk/enrol",
        board=f"{base}/board",
    )


def _run(settings: Settings, workers: int, out: TextIO, lang: str) -> int:
    import uvicorn

    from service.db.migrate import upgrade

    quiet()
    upgrade(settings.database_url)
    # worker processes read their settings from the environment
    os.environ.update(
        {
            "REDBENCH_DATABASE_URL": settings.database_url,
            "REDBENCH_SECRET": settings.secret_key,
            "REDBENCH_EVENTS": settings.events,
            "REDBENCH_REDIS_URL": settings.redis_url,
            "REDBENCH_TRUSTED_PROXIES": ",".join(settings.trusted_proxies),
            "REDBENCH_TLS_CERT": settings.tls_cert,
            "REDBENCH_TLS_KEY": settings.tls_key,
        }
    )
    url = f"{settings.scheme}://{settings.host}:{settings.port}/api/v1/schema"
    started = {
        "zh": f"红板凳议事会已启动，接口文档：{url}（按 Ctrl+C 停止）",
        "en": f"Red Bench is running; API documents at {url} (Ctrl+C to stop)",
    }
    out.write(started.get(lang, started["zh"]) + "\n")
    out.write(pages_line(settings, lang) + "\n")
    out.flush()
    uvicorn.run(
        "service.app:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=workers,
        log_level="warning",
        **proxy_options(settings),
        **tls_options(settings),
    )
    return 0


def proxy_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's options for ``X-Forwarded-For``: honoured only from the trusted proxies,
    and with none, not read at all (uvicorn's own default trusts it from 127.0.0.1)."""
    if not settings.trusted_proxies:
        return {"proxy_headers": False}
    return {"proxy_headers": True, "forwarded_allow_ips": list(settings.trusted_proxies)}


def serve(args: argparse.Namespace, lang: str, out: TextIO) -> int:
    return _run(_settings(args), args.workers, out, lang)


def demo(args: argparse.Namespace, lang: str, out: TextIO) -> int:
    from service.demo.loader import load_demo

    quiet()
    settings = _settings(args, DEMO_DATABASE)
    from service.db.migrate import upgrade

    upgrade(settings.database_url)
    lines = load_demo(settings)
    if args.street:
        lines += street_lines(settings)
    for line in lines:
        out.write(line + "\n")
    return _run(settings, args.workers, out, lang)


def street_lines(settings: Settings) -> list[str]:
    """Load the street demo onto the pocket park; what was loaded (a refusal if the
    database already holds a street)."""
    from service.demo.street import StreetError, load_street, summary

    try:
        return summary(load_street(settings))
    except StreetError as exc:
        raise CommandError(str(exc), exc.zh) from None
