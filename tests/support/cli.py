"""Running the ``redbench`` command line in the test's own process, with its output."""

from __future__ import annotations

import contextlib
import io
import json
from typing import Any

import pytest

from service.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """The exit code, standard output and standard error of ``redbench *argv``."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def json_of(*argv: str) -> dict[str, Any]:
    """The ``--json`` output of ``redbench *argv``, which must succeed."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main([*argv, "--json"])
    assert code == 0
    shown: dict[str, Any] = json.loads(out.getvalue())
    return shown
