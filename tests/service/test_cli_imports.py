"""A count or a verification on the command line starts without the web service: run in a
fresh interpreter with ``-X importtime``, ``redbench tally``, ``compare`` and ``verify``
never import litestar, SQLAlchemy, reportlab or openpyxl, nor the service modules that
bring them (the application, its error tree, the database, the record documents)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.support.paths import DEMO, ROOT

BUNDLE = ROOT / "tests" / "service" / "golden" / "pocket-park-round1.json"

HEAVY = ("litestar", "sqlalchemy", "reportlab", "openpyxl")
"""Libraries of the web service and its documents."""
WEB = ("service.app", "service.errors", "service.db", "service.records.exports")
"""The service's own modules that import them."""


def imported(*argv: str) -> tuple[int, set[str]]:
    """The exit code of ``redbench *argv`` in a fresh interpreter and every module it
    imported (``-X importtime`` names each on stderr)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "service.cli", *argv],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "LC_ALL": "zh_CN.UTF-8"},
    )
    lines = done.stderr.splitlines()
    return done.returncode, {
        line.rsplit("|", 1)[1].strip() for line in lines if line.startswith("import time:")
    }


def heavy(modules: set[str]) -> list[str]:
    """The modules of the web stack among ``modules``."""
    return sorted(
        name
        for name in modules
        if name.split(".")[0] in HEAVY
        or any(name == web or name.startswith(f"{web}.") for web in WEB)
    )


@pytest.mark.parametrize(
    ("argv", "code"),
    [
        (("tally", str(DEMO), "--method", "irv"), 0),
        (("tally", str(DEMO), "--method", "schulze", "--json"), 0),
        (("compare", str(DEMO)), 0),
        (("verify", str(BUNDLE)), 0),
        (("verify", str(BUNDLE), "--expect", "0" * 64), 1),
        (("tally", str(DEMO), "--method", "irv", "--seats", "0"), 2),
    ],
    ids=["tally", "tally-json", "compare", "verify", "verify-failed", "tally-refused"],
)
def test_counting_commands_do_not_import_the_web_service(argv, code):
    done, modules = imported(*argv)
    assert done == code
    assert {"engine.registry", "service.commands.errors"} <= modules  # the probe sees imports
    assert heavy(modules) == []


def test_an_unreadable_file_is_refused_without_the_web_service(tmp_path):
    path = tmp_path / "broken.soi"
    path.write_text("# DATA TYPE: soi\nnot a ballot\n", encoding="utf-8")
    done, modules = imported("tally", str(path), "--method", "irv")
    assert done == 1
    assert heavy(modules) == []


def test_the_probe_sees_the_web_service_where_a_command_needs_it():
    _, modules = imported("export", "--help")
    assert {"litestar", "openpyxl", "reportlab", "service.records.exports"} <= modules
