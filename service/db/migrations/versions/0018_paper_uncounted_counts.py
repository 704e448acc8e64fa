"""paper ballots spoiled or blank: counted per round, their codes used like any paper ballot's

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05 08:50:00

A paper ballot found spoiled or blank used to leave its code with the status ``spoiled`` or
``blank``, still carrying its household, slip number and batch. ``paper_uncounted_counts``
now holds, per round and verdict, how many such ballots used up a code; the codes are
marked ``used`` with channel ``paper`` (as a counted paper ballot's), lose their slip number
and batch, and their households are marked as voted. Downgrading keeps the counts' rows
dropped and the codes ``used``: which code was spoiled or blank is not known any more.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "paper_uncounted_counts",
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("verdict", sa.String(length=8), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"], ["rounds.id"], name=op.f("fk_paper_uncounted_counts_round_id_rounds")
        ),
        sa.PrimaryKeyConstraint("round_id", "verdict", name=op.f("pk_paper_uncounted_counts")),
    )
    op.execute(
        "INSERT INTO paper_uncounted_counts (round_id, verdict, count) "
        "SELECT round_id, status, count(*) FROM voter_codes "
        "WHERE status IN ('spoiled', 'blank') GROUP BY round_id, status"
    )
    op.execute(
        "UPDATE households SET voted = :yes WHERE id IN (SELECT household_id FROM voter_codes "
        "WHERE status IN ('spoiled', 'blank') AND household_id IS NOT NULL)".replace(
            ":yes", "TRUE" if op.get_bind().dialect.name == "postgresql" else "1"
        )
    )
    op.execute(
        "UPDATE voter_codes SET status = 'used', channel = 'paper', number = NULL, "
        "batch_id = NULL WHERE status IN ('spoiled', 'blank')"
    )


def downgrade() -> None:
    op.drop_table("paper_uncounted_counts")
