"""The ``redbench`` command line.

    redbench tally FILE --method M ...   count a ballot file
    redbench compare FILE                every applicable method, side by side
    redbench serve                       the web service (migrates the database first)
    redbench demo                        the service with the pocket-park example loaded
    redbench demo --street               ... and the street demo (矿山集街道) on top of it
    redbench db upgrade                  bring the database schema up to date
    redbench user add NAME --role R      create a staff account
    redbench verify BUNDLE               check a decision bundle and count it again
    redbench export ID --format F [-o OUT]  a round's (or process's) decision record (without
                                         -o: under its Chinese name, here)
    redbench seal FILE --method M -o OUT count a ballot file into a verifiable bundle

Every failure is one line on stderr and a non-zero exit: 1 for a bad file, a count that
cannot be done or a refused action, 2 for bad options.

Only the chosen command's module is imported, and it imports what that command uses: a
count or a verification starts without the web service, its database or its documents.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import Final, NamedTuple

from ballots.errors import BallotError, FormatError
from engine.errors import EngineError, OptionError
from service.commands.errors import CommandError
from service.domain import domain_refusal
from service.i18n import default_language, text


class Command(NamedTuple):
    """A command: the module whose ``arguments(name, parser)`` fills in its options and
    handler, and the one line that lists it."""

    module: str
    help: str


COMMANDS: Final = {
    "tally": Command("service.commands.count", "count a ballot file with one method"),
    "compare": Command("service.commands.count", "count with every applicable method"),
    "serve": Command("service.commands.server", "run the web service"),
    "demo": Command("service.commands.server", "run the web service with the pocket-park example"),
    "db": Command("service.commands.admin", "database schema"),
    "user": Command("service.commands.admin", "staff accounts"),
    "verify": Command("service.commands.records", "verify a decision bundle and count it again"),
    "export": Command(
        "service.commands.records", "export a round's (or a process's) decision record"
    ),
    "seal": Command("service.commands.records", "count a ballot file into a verifiable bundle"),
}
"""Every command in the order the help lists them."""


def parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    """The option parser, with the options of the command ``argv`` names filled in (the
    others are listed with their help line only; ``redbench`` takes no options of its own,
    so the first word that is not an option is the command)."""
    top = argparse.ArgumentParser(
        prog="redbench", description="Red Bench 红板凳议事会 — deliberation and voting engine"
    )
    sub = top.add_subparsers(dest="command", required=True)
    chosen = next((word for word in argv if not word.startswith("-")), None)
    for name, command in COMMANDS.items():
        cmd = sub.add_parser(name, help=command.help)
        if name == chosen:
            importlib.import_module(command.module).arguments(name, cmd)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``redbench`` console script."""
    words = sys.argv[1:] if argv is None else list(argv)
    args = parser(words).parse_args(words)
    lang = getattr(args, "lang", None) or default_language()
    try:
        code: int = args.handler(args, lang, sys.stdout)
    except OptionError as exc:
        sys.stderr.write(f"redbench: {text(lang, 'error')}: {_said(exc, lang)}\n")
        return 2
    except (EngineError, BallotError) as exc:
        sys.stderr.write(f"redbench: {text(lang, 'error')}: {_said(exc, lang)}\n")
        return 1
    except CommandError as exc:
        sys.stderr.write(f"redbench: {text(lang, 'error')}: {exc.said(lang)}\n")
        return exc.status
    return code


def _said(exc: EngineError | BallotError, lang: str) -> str:
    """An engine or ballot error in ``lang``: in Chinese its kind in words, and for a file
    that cannot be read what the reader says (in English: it names the line at fault)."""
    key = "cli.said.unreadable" if isinstance(exc, FormatError) else "cli.said"
    return text(lang, key, kind=domain_refusal(exc).message("zh"), said=exc)


if __name__ == "__main__":
    raise SystemExit(main())
