"""Session-wide checks: the real-election data must be there (a clear stop, not 70 failures)."""

from __future__ import annotations

import pytest

from tests.support.paths import ELECTIONS


def pytest_configure(config: pytest.Config) -> None:
    if not (ELECTIONS / "README.md").is_file():
        raise pytest.UsageError(
            f"the real elections are missing: expected them in {ELECTIONS} "
            "(part of the repository: is the checkout complete?)"
        )
