"""slips: reprints counted per batch, and used codes without their slip number

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 06:00:00

A batch counts the slips printed again after its printing window (``reprints``), so that
the round page and the turnout show that reprints happened. A used code keeps no slip number
and no batch (the cast clears them, see service/voting/statements.py): codes used before
this revision lose theirs here, as a slip number on the row a cast wrote could tie the
ballot to whoever got that slip.

Downgrading drops the count; the used codes' numbers do not come back (a used slip is never
printed or voided again, so nothing needs them).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # ALTER TABLE in place, not a batch copy: voter_codes' foreign key points at it
    op.add_column(
        "slip_batches",
        sa.Column("reprints", sa.Integer(), server_default="0", nullable=False),
    )
    op.execute(
        "UPDATE voter_codes SET number = NULL, batch_id = NULL WHERE status = 'used'"
    )


def downgrade() -> None:
    with op.batch_alter_table("slip_batches", schema=None) as batch_op:
        batch_op.drop_column("reprints")
