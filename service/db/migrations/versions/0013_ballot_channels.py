"""voter codes: the channel a used code's ballot came by

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 08:10:00

A used code says whether its ballot was keyed from paper or cast on a phone (``channel``;
empty for a tablet, so the codes used before this revision count as tablet ballots). The
ballot itself keeps no channel. A paper ballot found spoiled or blank uses up its code with
the status ``spoiled`` or ``blank`` (no schema change: the status is free text).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("voter_codes", sa.Column("channel", sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("voter_codes", schema=None) as batch_op:
        batch_op.drop_column("channel")
