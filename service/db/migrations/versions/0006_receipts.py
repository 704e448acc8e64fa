"""receipts: a round's receipts are sealed (a lookup confirms the ballot was counted and
shows nothing of it) unless the round opens them; a count with sealed receipts keeps the
digests of its two published lists

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 09:00:00

Rounds counted before this revision published each ballot beside its tracker, and their
ballot-box digests hash those pairs: they become rounds with open receipts, so their lists,
lookups and digests stay as they were published. Every other round gets sealed receipts.

Downgrading drops the columns. A round counted with sealed receipts keeps a digest the older
version cannot recompute (it knows only the paired digest), and its stored trackers and
marks are not pairs: do not downgrade past this revision once such a round has closed.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain ALTER TABLE, not a batch: SQLite would otherwise copy the rounds table, which
    # every other table refers to
    op.add_column(
        "rounds",
        sa.Column("open_receipts", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column("round_results", sa.Column("trackers_digest", sa.String(64), nullable=True))
    op.add_column("round_results", sa.Column("contents_digest", sa.String(64), nullable=True))
    op.execute(
        "UPDATE rounds SET open_receipts = true WHERE id IN (SELECT round_id FROM round_results)"
    )


def downgrade() -> None:
    op.drop_column("round_results", "contents_digest")
    op.drop_column("round_results", "trackers_digest")
    op.drop_column("rounds", "open_receipts")
