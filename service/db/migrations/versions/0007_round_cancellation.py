"""round cancellation: when a round was cancelled before its voting opened, and why

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import service.db.base

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


# Columns are added and dropped in place (SQLite's ALTER TABLE … ADD/DROP COLUMN, 3.35 and
# later), never by copying the table: every other table refers to rounds, and copying it
# would mean dropping a table other rows point at.


def upgrade() -> None:
    with op.batch_alter_table("rounds", schema=None, recreate="never") as batch_op:
        batch_op.add_column(
            sa.Column("cancelled_at", service.db.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("cancel_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    # a cancelled round has no phase the older schema knows: it goes back as scheduled, and
    # its reason stays in the audit log (``round.cancelled``)
    op.execute("UPDATE rounds SET phase = 'scheduled' WHERE phase = 'cancelled'")
    with op.batch_alter_table("rounds", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("cancel_reason")
        batch_op.drop_column("cancelled_at")
