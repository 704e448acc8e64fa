"""Log lines nobody can forge from outside (:mod:`service.logs`)."""

from __future__ import annotations

import logging

import pytest

from service.logs import EscapeUnsafe, escaped, logger


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("/static/\x00\nERROR - forged", "/static/\\x00\\nERROR - forged"),
        ("a\r\nb", "a\\r\\nb"),
        ("\x1b[31m红", "\\x1b[31m红"),
        ("行\u2028分隔", "行\\u2028分隔"),
        ("\u202e反转", "\\u202e反转"),
        ("杜集社区 /board?lang=en", "杜集社区 /board?lang=en"),
        (42, "42"),
    ],
)
def test_escaped(value: object, written: str) -> None:
    assert escaped(value) == written


def test_a_record_keeps_numbers_and_escapes_the_rest() -> None:
    record = logging.LogRecord("service.x", logging.ERROR, __file__, 1, "%s %d %r", None, None)
    record.args = ("a\nb", 7, "c\nd")
    assert EscapeUnsafe().filter(record)
    assert record.getMessage() == "a\\nb 7 'c\\\\nd'"


def test_the_filter_is_put_on_once() -> None:
    first = logger("service.tests.once")
    logger("service.tests.once")
    assert sum(isinstance(f, EscapeUnsafe) for f in first.filters) == 1
