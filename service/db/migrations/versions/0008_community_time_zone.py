"""communities: the time zone their pages and records show times in

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 09:00:00

Existing communities get Asia/Shanghai (China Standard Time), the zone every time was shown
in before.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # ALTER TABLE in place, not a batch copy: other tables' foreign keys point at communities
    op.add_column(
        "communities",
        sa.Column("time_zone", sa.String(length=64), server_default="Asia/Shanghai", nullable=False),
    )


def downgrade() -> None:
    op.drop_column("communities", "time_zone")  # SQLite 3.35 or later
