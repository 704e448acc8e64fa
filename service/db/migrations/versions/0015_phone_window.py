"""rounds: the window for voting from home by phone

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 08:20:00

``phone_until`` is when a round stops taking ballots from residents' phones (UTC; empty: the
round takes none). Phone ballots are taken only while the round is voting and before it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import service.db.base

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


# Added and dropped in place, never by copying the table (see 0007): other tables refer to
# rounds.


def upgrade() -> None:
    with op.batch_alter_table("rounds", schema=None, recreate="never") as batch_op:
        batch_op.add_column(
            sa.Column("phone_until", service.db.base.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("rounds", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("phone_until")
