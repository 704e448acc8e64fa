"""accounts: tokens' idle timer, and failed sign-ins counted for the throttle

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 09:00:00

Tokens issued before this revision get their issue time as their last use, so those older
than the idle lifetime lapse at once (they never had a lifetime before).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import service.db.base

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "failed_sign_ins",
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failed_at", service.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("locked_until", service.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("kind", "name", name=op.f("pk_failed_sign_ins")),
    )
    with op.batch_alter_table("failed_sign_ins", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_failed_sign_ins_last_failed_at"), ["last_failed_at"], unique=False
        )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "last_used_at", service.db.base.UTCDateTime(timezone=True), nullable=True
            )
        )
    op.execute("UPDATE api_tokens SET last_used_at = created_at")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.alter_column(
            "last_used_at",
            existing_type=service.db.base.UTCDateTime(timezone=True),
            nullable=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_column("last_used_at")
    with op.batch_alter_table("failed_sign_ins", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_failed_sign_ins_last_failed_at"))
    op.drop_table("failed_sign_ins")
