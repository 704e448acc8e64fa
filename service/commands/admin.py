"""``redbench db upgrade`` and ``redbench user add``: looking after a deployment."""

from __future__ import annotations

import argparse
import asyncio
import getpass
from typing import TextIO, get_args

from service.accounts.schemas import Role
from service.commands.errors import CommandError
from service.errors import ServiceError
from service.i18n import text
from service.settings import Settings


def arguments(name: str, cmd: argparse.ArgumentParser) -> None:
    """The subcommands of ``db`` or ``user`` and their options."""
    if name == "db":
        db_sub = cmd.add_subparsers(dest="db_command", required=True)
        up = db_sub.add_parser("upgrade", help="migrate the database to the newest schema")
        up.add_argument(
            "--database",
            help="database URL (default: REDBENCH_DATABASE_URL or a SQLite file "
            "redbench.sqlite3 here)",
        )
        up.set_defaults(handler=db_upgrade)
        return
    user_sub = cmd.add_subparsers(dest="user_command", required=True)
    add = user_sub.add_parser("add", help="create a staff account")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=get_args(Role))
    add.add_argument("--community", type=int, help="tie a community role to this community id")
    add.add_argument("--street", type=int, help="the street id a street account works for")
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
            community_id=args.community,
            street_id=args.street,
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
