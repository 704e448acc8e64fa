"""guessing budgets: each device's spent budget and the unknown codes tried per round,
shared by every app worker

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "guess_budgets",
        sa.Column("device", sa.String(length=32), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("burst_full_at", sa.Double(), nullable=False),
        sa.Column("day_full_at", sa.Double(), nullable=False),
        sa.Column("locked_until", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"], ["rounds.id"], name=op.f("fk_guess_budgets_round_id_rounds")
        ),
        sa.PrimaryKeyConstraint("device", name=op.f("pk_guess_budgets")),
    )
    op.create_index(
        op.f("ix_guess_budgets_locked_until"), "guess_budgets", ["locked_until"], unique=False
    )
    op.create_index(op.f("ix_guess_budgets_round_id"), "guess_budgets", ["round_id"], unique=False)
    op.create_table(
        "code_guesses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("guessed_at", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"], ["rounds.id"], name=op.f("fk_code_guesses_round_id_rounds")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_code_guesses")),
    )
    op.create_index(
        "ix_code_guesses_round_id_guessed_at",
        "code_guesses",
        ["round_id", "guessed_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_code_guesses_round_id_guessed_at", table_name="code_guesses")
    op.drop_table("code_guesses")
    op.drop_index(op.f("ix_guess_budgets_round_id"), table_name="guess_budgets")
    op.drop_index(op.f("ix_guess_budgets_locked_until"), table_name="guess_budgets")
    op.drop_table("guess_budgets")
