"""feedback: residents' own feedback on the board, moderated, and its throttle

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 05:00:00

A resident gives feedback on the board page (verdict, optional text and household label);
the secretary approves or rejects it; approved verdicts are counted into a satisfaction
check of the board channel marked ``from_residents``. The throttle keeps, per client
address, only a keyed digest and a count for the current window. Existing checks were all
recorded by the secretary (``from_residents`` false).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import service.db.base

revision = "0011"
down_revision = "0009"  # rebased onto 0010 at merge
branch_labels = None
depends_on = None


def upgrade() -> None:
    # ALTER TABLE in place, not a batch copy: resident_feedback's foreign key points at it
    op.add_column(
        "feedback",
        sa.Column("from_residents", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.create_table(
        "resident_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("process_id", sa.Integer(), nullable=False),
        sa.Column("verdict", sa.String(length=20), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("household", sa.String(length=40), nullable=False),
        sa.Column("given_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("moderated_by", sa.Integer(), nullable=True),
        sa.Column("moderated_at", service.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("feedback_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["feedback_id"], ["feedback.id"], name=op.f("fk_resident_feedback_feedback_id_feedback")
        ),
        sa.ForeignKeyConstraint(
            ["moderated_by"], ["users.id"], name=op.f("fk_resident_feedback_moderated_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["process_id"],
            ["processes.id"],
            name=op.f("fk_resident_feedback_process_id_processes"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resident_feedback")),
    )
    op.create_index(
        op.f("ix_resident_feedback_process_id"), "resident_feedback", ["process_id"], unique=False
    )
    op.create_index(
        op.f("ix_resident_feedback_status"), "resident_feedback", ["status"], unique=False
    )
    op.create_table(
        "feedback_throttle",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("given", sa.Integer(), nullable=False),
        sa.Column("window_from", service.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_feedback_throttle")),
    )
    op.create_index(
        op.f("ix_feedback_throttle_window_from"), "feedback_throttle", ["window_from"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_feedback_throttle_window_from"), table_name="feedback_throttle")
    op.drop_table("feedback_throttle")
    op.drop_index(op.f("ix_resident_feedback_status"), table_name="resident_feedback")
    op.drop_index(op.f("ix_resident_feedback_process_id"), table_name="resident_feedback")
    op.drop_table("resident_feedback")
    op.drop_column("feedback", "from_residents")  # SQLite 3.35 or later
