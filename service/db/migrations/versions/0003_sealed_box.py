"""sealed box: ballots are sealed envelopes while voting; idempotency records keyed

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04 17:00:00

The idempotency records of casting are recreated empty, keyed with the server secret and
without row ids: a tablet retrying a cast made before the upgrade is told its code was used
(the ballot it cast is in the box). Ballots cast before the upgrade in a round that is still
voting stay where they are and are counted with the envelopes at the close.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "envelopes",
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("nonce", sa.LargeBinary(length=12), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"], ["rounds.id"], name=op.f("fk_envelopes_round_id_rounds")
        ),
        sa.PrimaryKeyConstraint("round_id", "nonce", name=op.f("pk_envelopes")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("cast_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cast_keys_round_id"))
    op.drop_table("cast_keys")
    op.create_table(
        "cast_keys",
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("request_digest", sa.String(length=64), nullable=False),
        sa.Column("sealed_tracker", sa.LargeBinary(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"], ["rounds.id"], name=op.f("fk_cast_keys_round_id_rounds")
        ),
        sa.PrimaryKeyConstraint("key_hash", name=op.f("pk_cast_keys")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("cast_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cast_keys_round_id"), ["round_id"], unique=False)


def downgrade() -> None:
    if op.get_bind().execute(sa.text("SELECT 1 FROM envelopes LIMIT 1")).first():
        raise RuntimeError(
            "a round still voting holds sealed ballots that the older schema cannot keep: "
            "close it before downgrading"
        )
    with op.batch_alter_table("cast_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cast_keys_round_id"))
    op.drop_table("cast_keys")
    op.create_table(
        "cast_keys",
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("request_digest", sa.String(length=64), nullable=False),
        sa.Column("tracker", sa.String(length=16), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"], ["rounds.id"], name=op.f("fk_cast_keys_round_id_rounds")
        ),
        sa.PrimaryKeyConstraint("key_hash", name=op.f("pk_cast_keys")),
    )
    with op.batch_alter_table("cast_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cast_keys_round_id"), ["round_id"], unique=False)
    op.drop_table("envelopes")
