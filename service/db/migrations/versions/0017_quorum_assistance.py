"""rounds: the validity rule (quorum, winner's share); assisted votes counted per round

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 08:20:00

A round may carry the community's rule for a valid decision (``validity``, JSON; empty: no
rule), set before voting opens. ``assistance_counts`` holds, per round and kind of helper
(``chosen`` or ``staff``), how many residents voted with help: a count, with no time, no
helper and nothing about any ballot.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("rounds", sa.Column("validity", sa.JSON(), nullable=True))
    op.create_table(
        "assistance_counts",
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"], ["rounds.id"], name=op.f("fk_assistance_counts_round_id_rounds")
        ),
        sa.PrimaryKeyConstraint("round_id", "kind", name=op.f("pk_assistance_counts")),
    )


def downgrade() -> None:
    op.drop_table("assistance_counts")
    # in place, not a batch copy: other tables' foreign keys point at rounds
    op.execute("ALTER TABLE rounds DROP COLUMN validity")
