"""Running the ``redbench`` command line in the test's own process, with its output."""

from __future__ import annotations

import pytest

from service.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """The exit code, standard output and standard error of ``redbench *argv``."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err
