"""Log lines nobody can forge from outside: what a request controls (its path, a value the
database refused, an exception's message) is written with control characters, line
breaks and bidirectional overrides escaped (``\\n``, ``\\x00``, ``\\u202e``), and the lines
of a traceback are indented, so no line of a record can pass for the start of another."""

from __future__ import annotations

import logging
import re
from typing import Final

UNSAFE: Final = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
"""Characters that break or reorder a line in a terminal or a log viewer."""

TRACEBACK_INDENT: Final = "  "


def escaped(value: object) -> str:
    """``value`` as text on one line, its unsafe characters written as escapes."""
    return UNSAFE.sub(
        lambda found: found.group().encode("unicode_escape").decode("ascii"), str(value)
    )


def _indented(text: str) -> str:
    return "\n".join(TRACEBACK_INDENT + escaped(line) for line in text.split("\n"))


class EscapeUnsafe(logging.Filter):
    """Escapes a record's arguments (numbers stay numbers) and indents its traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                a if isinstance(a, int | float) else escaped(a) for a in record.args
            )
        elif isinstance(record.args, dict):
            record.args = {
                k: a if isinstance(a, int | float) else escaped(a) for k, a in record.args.items()
            }
        if not isinstance(record.msg, str):
            record.msg = escaped(record.msg)
        if record.exc_info and not record.exc_text:
            record.exc_text = _indented(logging.Formatter().formatException(record.exc_info))
        return True


def logger(name: str) -> logging.Logger:
    """The logger ``name`` with :class:`EscapeUnsafe` on it (once)."""
    log = logging.getLogger(name)
    if not any(isinstance(f, EscapeUnsafe) for f in log.filters):
        log.addFilter(EscapeUnsafe())
    return log
