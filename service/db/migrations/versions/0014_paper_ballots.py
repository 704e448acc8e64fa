"""paper ballots: printings with their serials, each serial's state, and sealed entries

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 08:30:00

Paper ballots are printed with serials that never repeat in a round (``paper_printings``),
keyed by two clerks (``paper_keyings``: each entry sealed under a key derived from the
server secret, deleted once its ballot is settled) and settled by serial
(``paper_serials``: the state only, never the code, the marks or the tracker).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import service.db.base

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "paper_printings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("first", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("size", sa.String(length=4), nullable=False),
        sa.Column("printed_by", sa.Integer(), nullable=True),
        sa.Column("printed_at", service.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["printed_by"], ["users.id"], name=op.f("fk_paper_printings_printed_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["round_id"], ["rounds.id"], name=op.f("fk_paper_printings_round_id_rounds")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_paper_printings")),
        sa.UniqueConstraint("round_id", "first", name=op.f("uq_paper_printings_round_id")),
    )
    op.create_index(
        op.f("ix_paper_printings_round_id"), "paper_printings", ["round_id"], unique=False
    )
    op.create_table(
        "paper_serials",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("serial", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=True),
        sa.Column("adjudicated_by", sa.Integer(), nullable=True),
        sa.Column("updated_at", service.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["adjudicated_by"], ["users.id"], name=op.f("fk_paper_serials_adjudicated_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["round_id"], ["rounds.id"], name=op.f("fk_paper_serials_round_id_rounds")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_paper_serials")),
        sa.UniqueConstraint("round_id", "serial", name=op.f("uq_paper_serials_round_id")),
    )
    op.create_index(op.f("ix_paper_serials_round_id"), "paper_serials", ["round_id"], unique=False)
    op.create_table(
        "paper_keyings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("serial", sa.Integer(), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("clerk_id", sa.Integer(), nullable=True),
        sa.Column("entered_at", service.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("nonce", sa.LargeBinary(length=12), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["clerk_id"], ["users.id"], name=op.f("fk_paper_keyings_clerk_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["round_id"], ["rounds.id"], name=op.f("fk_paper_keyings_round_id_rounds")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_paper_keyings")),
        sa.UniqueConstraint("round_id", "serial", "slot", name=op.f("uq_paper_keyings_round_id")),
    )
    op.create_index(op.f("ix_paper_keyings_round_id"), "paper_keyings", ["round_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_paper_keyings_round_id"), table_name="paper_keyings")
    op.drop_table("paper_keyings")
    op.drop_index(op.f("ix_paper_serials_round_id"), table_name="paper_serials")
    op.drop_table("paper_serials")
    op.drop_index(op.f("ix_paper_printings_round_id"), table_name="paper_printings")
    op.drop_table("paper_printings")
