"""The database-outage test needs PostgreSQL's own programs: it runs where PostgreSQL
tests run (``REDBENCH_TEST_DATABASE_URL`` set, as in CI)."""

from __future__ import annotations

import os

collect_ignore = [] if os.environ.get("REDBENCH_TEST_DATABASE_URL") else ["test_outage.py"]
