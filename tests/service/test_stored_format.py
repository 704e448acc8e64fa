"""The stored ballot format is read and written by :mod:`ballots.marks` alone: no service
module packs or unpacks marks itself (numpy only draws QR codes there)."""

from __future__ import annotations

import ast
from pathlib import Path

SERVICE = Path(__file__).resolve().parents[2] / "service"
DRAWS_QR_CODES = {"records/qr.py"}


def imported(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    return {name.split(".")[0] for name in names}


def test_no_service_module_packs_marks_itself():
    packing = {
        path.relative_to(SERVICE).as_posix()
        for path in SERVICE.rglob("*.py")
        if imported(path) & {"numpy", "struct"}
    }
    assert packing == DRAWS_QR_CODES
