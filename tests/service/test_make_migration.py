"""tools/make_migration.py adds the next numbered revision and leaves the others alone."""

from __future__ import annotations

import importlib.util
import tempfile
from pathlib import Path

from service.db.migrate import upgrade

TOOL = Path(__file__).resolve().parents[2] / "tools" / "make_migration.py"


def load_tool():
    spec = importlib.util.spec_from_file_location("make_migration", TOOL)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_next_revision_follows_the_newest():
    tool = load_tool()
    numbers = sorted(p.name[:4] for p in tool.VERSIONS.glob("[0-9]*_*.py"))
    assert tool.next_number() == f"{int(numbers[-1]) + 1:04d}"
    assert tool.next_number() not in numbers


def test_the_migrations_build_the_models_schema():
    tool = load_tool()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "head.sqlite3"
        upgrade(f"sqlite+aiosqlite:///{path}")
        assert tool.changes(path) == []
