"""rounds: the community roll's size when voting opened; proxies: when the photo was deleted

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05 09:00:00

``rounds.roll_size`` is the number of households on the community's roll (active) when the
round's voting opened, the base of a households quorum (empty: no roll, or opened before this
revision; the base is then the round's own households). ``proxies.photo_deleted_at`` says when
an authorisation's photo was deleted (the round published): that there was a photo is kept,
the photo is not.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import service.db.base

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("rounds", sa.Column("roll_size", sa.Integer(), nullable=True))
    op.add_column(
        "proxies",
        sa.Column("photo_deleted_at", service.db.base.UTCDateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    # in place, not a batch copy: other tables' foreign keys point at rounds
    op.execute("ALTER TABLE proxies DROP COLUMN photo_deleted_at")
    op.execute("ALTER TABLE rounds DROP COLUMN roll_size")
