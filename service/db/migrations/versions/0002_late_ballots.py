"""late ballots: queued tablet ballots refused at delivery, reported to the facilitator

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 07:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import service.db.base

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "late_ballots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("tablet", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column(
            "reported_at", service.db.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["round_id"], ["rounds.id"], name=op.f("fk_late_ballots_round_id_rounds")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_late_ballots")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_late_ballots_key_hash")),
    )
    with op.batch_alter_table("late_ballots", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_late_ballots_round_id"), ["round_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("late_ballots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_late_ballots_round_id"))
    op.drop_table("late_ballots")
