"""Regenerate the initial migration from the models (before the first release only: once a
database is in use, add a new revision with ``alembic revision --autogenerate`` instead).

    .venv/bin/python tools/make_migration.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from alembic import command

from service.db.migrate import MIGRATIONS, alembic_config

VERSIONS = MIGRATIONS / "versions"


def main() -> None:
    for old in VERSIONS.glob("0001_*.py"):
        old.unlink()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'empty.sqlite3'}"
        command.revision(
            alembic_config(url), message="initial schema", autogenerate=True, rev_id="0001"
        )
    print(f"wrote {next(VERSIONS.glob('0001_*.py'))}")


if __name__ == "__main__":
    main()
