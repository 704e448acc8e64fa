"""Where the tests find their files: the repository, the real elections in
``tests/elections/data`` (public records with their sources and official outcomes in its
README) and the pocket-park demo's ballots."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ELECTIONS = ROOT / "tests" / "elections" / "data"
DEMO = ROOT / "service" / "demo" / "pocket_park.json"
"""The demo's 72 ranked ballots over the six pocket-park options (round 1)."""
