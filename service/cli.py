"""The ``redbench`` command line.

    redbench tally FILE --method M ...   count a ballot file
    redbench compare FILE                every applicable method, side by side
    redbench serve                       the web service (migrates the database first)
    redbench demo                        the service with the pocket-park example loaded
    redbench db upgrade                  bring the database schema up to date
    redbench user add NAME --role R      create a staff account
    redbench verify BUNDLE               check a decision bundle and count it again
    redbench export ID --format F -o OUT a round's (or process's) decision record
    redbench seal FILE --method M -o OUT count a ballot file into a verifiable bundle

Every failure is one line on stderr and a non-zero exit: 1 for a bad file, a count that
cannot be done or a refused action, 2 for bad options.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ballots.errors import BallotError, FormatError
from engine.errors import EngineError, OptionError
from service.commands import admin, count, records, server
from service.commands.admin import CommandError
from service.i18n import default_language, text
from service.refusals import domain_zh


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="redbench", description="Red Bench 红板凳议事会 — deliberation and voting engine"
    )
    sub = top.add_subparsers(dest="command", required=True)
    count.register(sub)
    server.register(sub)
    admin.register(sub)
    records.register(sub)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``redbench`` console script."""
    args = parser().parse_args(argv)
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


def _said(exc: Exception, lang: str) -> str:
    """An engine or ballot error in ``lang``: in Chinese its kind in words, and for a file
    that cannot be read what the reader says (in English: it names the line at fault)."""
    key = "cli.said.unreadable" if isinstance(exc, FormatError) else "cli.said"
    return text(lang, key, kind=domain_zh(exc), said=exc)


if __name__ == "__main__":
    raise SystemExit(main())
