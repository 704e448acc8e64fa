"""The pages read the database only through the features' repositories, as the API does:
no module of ``service/web`` builds a query or calls the session itself."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import service.web

WEB = Path(service.web.__file__).parent
SESSION_CALLS = frozenset({"execute", "get", "scalar", "scalars", "stream", "stream_scalars"})
"""What a session is asked directly when a page builds its own read."""
ALLOWED_SQLALCHEMY = ("sqlalchemy.ext.asyncio", "sqlalchemy.exc")
"""The session's type (for annotations) and its exceptions (to render a refusal)."""


def queries(source: str) -> list[str]:
    """Each place in ``source`` that builds SQL or calls the session ``db`` itself."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
            if not node.module.startswith(ALLOWED_SQLALCHEMY):
                found.append(f"line {node.lineno}: from {node.module} import …")
        elif isinstance(node, ast.Import):
            found += [
                f"line {node.lineno}: import {alias.name}"
                for alias in node.names
                if alias.name.startswith("sqlalchemy")
                and not alias.name.startswith(ALLOWED_SQLALCHEMY)
            ]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in SESSION_CALLS
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id in ("db", "session")
        ):
            found.append(f"line {node.lineno}: {node.func.value.id}.{node.func.attr}(…)")
    return found


@pytest.mark.parametrize("module", sorted(p.name for p in WEB.glob("*.py")))
def test_page_module_reads_through_repositories(module):
    assert queries((WEB / module).read_text(encoding="utf-8")) == []


def test_the_scan_finds_a_page_query():
    source = (
        "from sqlalchemy import select\n"
        "async def home(db):\n"
        "    return await db.scalars(select(Community))\n"
    )
    assert queries(source) == [
        "line 1: from sqlalchemy import …",
        "line 3: db.scalars(…)",
    ]
