"""Where the tests find the real elections: ``../shared/data/elections`` beside the
repository, or the folder named by ``REDBENCH_ELECTIONS``."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ELECTIONS = Path(
    os.environ.get("REDBENCH_ELECTIONS") or ROOT.parent / "shared" / "data" / "elections"
)
