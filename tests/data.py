"""Where the tests find the real elections: ``tests/elections/data`` in the repository
(public records with their sources and official outcomes in its README)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ELECTIONS = ROOT / "tests" / "elections" / "data"
