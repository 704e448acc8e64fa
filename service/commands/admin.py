"""``redbench db upgrade`` and ``redbench user add``: looking after a deployment."""

from __future__ import annotations

import argparse
import asyncio
import getpass
from pathlib import Path
from typing import TextIO

from service.errors import ServiceError
from service.i18n import text
from service.settings import Settings


class CommandError(Exception):
    """A command was refused; the message says why (one line), ``zh`` in Chinese. The exit
    status is 1, or 2 for options that do not fit (as the option parser's)."""

    def __init__(self, message: str, zh: str | None = None, *, status: int = 1) -> None:
        super().__init__(message)
        self.zh = zh
        self.status = status

    @classmethod
    def of(cls, exc: ServiceError) -> CommandError:
        """A service refusal as a command's, in both languages."""
        return cls(str(exc), exc.zh)

    def said(self, lang: str) -> str:
        return self.zh if lang == "zh" and self.zh else str(self)


def existing(path: Path) -> Path:
    """``path`` if there is a file there, else the command's refusal naming it."""
    if not path.is_file():
        raise CommandError(f"{path}: no such file", f"找不到文件 {path}")
    return path


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    db = sub.add_parser("db", help="database schema")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    up = db_sub.add_parser("upgrade", help="migrate the database to the newest schema")
    up.add_argument(
        "--database",
        help="database URL (default: REDBENCH_DATABASE_URL or a SQLite file redbench.sqlite3 here)",
    )
    up.set_defaults(handler=db_upgrade)

    user = sub.add_parser("user", help="staff accounts")
    user_sub = user.add_subparsers(dest="user_command", required=True)
    add = user_sub.add_parser("add", help="create a staff account")
    add.add_argument("username")
    add.add_argument(
        "--role", required=True, choices=["admin", "facilitator", "secretary", "grid_worker"]
    )
    add.add_argument("--name", help="display name (default: the username)")
    add.add_argument("--password", help="password (default: asked for, not echoed)")
    add.add_argument("--database", help="database URL")
    add.set_defaults(handler=user_add)


def db_upgrade(args: argparse.Namespace, lang: str, out: TextIO) -> int:
    from service.db.migrate import upgrade

    settings = Settings.from_env(database_url=args.database)
    upgrade(settings.database_url)
    out.write(text(lang, "cli.db_upgraded", url=settings.database_url) + "\n")
    return 0


def user_add(args: argparse.Namespace, lang: str, out: TextIO) -> int:
    from service.accounts.repository import create_user
    from service.accounts.schemas import UserCreate
    from service.auth.hashing import PasswordHasher
    from service.db.migrate import upgrade
    from service.db.session import create_engine, sessionmaker

    settings = Settings.from_env(database_url=args.database)
    password = args.password or getpass.getpass("password: ")
    if len(password) < 8:
        raise CommandError("the password must have at least 8 characters", "密码至少要有 8 个字符")
    try:
        data = UserCreate(
            username=args.username,
            display_name=args.name or args.username,
            role=args.role,
            password=password,
        )
    except ServiceError as exc:  # a display name with nothing visible, or a control character
        raise CommandError.of(exc) from exc
    upgrade(settings.database_url)

    async def create() -> None:
        engine = create_engine(settings.database_url)
        try:
            async with sessionmaker(engine)() as session, session.begin():
                await create_user(session, data, PasswordHasher())
        except ServiceError as exc:
            raise CommandError.of(exc) from exc
        finally:
            await engine.dispose()

    asyncio.run(create())
    role = text(lang, f"role.{args.role}")
    out.write(
        text(lang, "cli.user_added", username=args.username, role=role, code=args.role) + "\n"
    )
    return 0
