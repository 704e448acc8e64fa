"""voter-code slips: issued in numbered batches whose codes the server can derive again

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 05:00:00

A new table, ``slip_batches``, holds each batch's number in its round, its first slip
number, how many slips it has, its random salt, who issued it and when. A voter code gets
the batch it was issued in and its slip's number in the round. Codes issued before this
revision have neither: they keep working, and cannot be printed again.

Downgrading drops the two columns and the table; the codes stay valid (their hashes are
unchanged), but their slip numbers are lost.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import service.db.base

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "slip_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("first", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("salt", sa.LargeBinary(length=16), nullable=False),
        sa.Column("issued_by", sa.Integer(), nullable=True),
        sa.Column("issued_at", service.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["issued_by"], ["users.id"], name=op.f("fk_slip_batches_issued_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["round_id"], ["rounds.id"], name=op.f("fk_slip_batches_round_id_rounds")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slip_batches")),
        sa.UniqueConstraint("round_id", "number", name=op.f("uq_slip_batches_round_id")),
    )
    op.create_index(op.f("ix_slip_batches_round_id"), "slip_batches", ["round_id"], unique=False)
    with op.batch_alter_table("voter_codes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("batch_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("number", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_voter_codes_batch_id_slip_batches"), "slip_batches", ["batch_id"], ["id"]
        )
        batch_op.create_index(
            "ix_voter_codes_round_id_number", ["round_id", "number"], unique=True
        )


def downgrade() -> None:
    with op.batch_alter_table("voter_codes", schema=None) as batch_op:
        batch_op.drop_index("ix_voter_codes_round_id_number")
        batch_op.drop_constraint(
            batch_op.f("fk_voter_codes_batch_id_slip_batches"), type_="foreignkey"
        )
        batch_op.drop_column("number")
        batch_op.drop_column("batch_id")
    op.drop_index(op.f("ix_slip_batches_round_id"), table_name="slip_batches")
    op.drop_table("slip_batches")
