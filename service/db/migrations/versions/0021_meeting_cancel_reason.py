"""meetings: why a meeting was cancelled, and when

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-05 12:00:00

``meetings.cancel_reason`` is what the facilitator said when calling the meeting off (rain,
the hall taken …), ``meetings.cancelled_at`` when; both empty unless the meeting is
``cancelled``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import service.db.base

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("meetings", sa.Column("cancel_reason", sa.Text(), nullable=True))
    op.add_column(
        "meetings",
        sa.Column("cancelled_at", service.db.base.UTCDateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    # in place, not a batch copy: other tables' foreign keys point at meetings
    op.execute("ALTER TABLE meetings DROP COLUMN cancelled_at")
    op.execute("ALTER TABLE meetings DROP COLUMN cancel_reason")
