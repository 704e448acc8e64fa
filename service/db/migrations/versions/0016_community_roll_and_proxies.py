"""community household roll and proxies

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 08:05:00

A community keeps its household roll across rounds (``community_households``: building,
unit, flat, the label rounds use and its key, head of household, grid, active), imported
from the grid workers' CSV or edited in the console. A round records written proxy
authorisations (``proxies``: the grantor household of the round, the holder, the serial
and/or a photo of the authorisation, the date signed, who recorded it, revocation) and
caps how many one holder may hold (``rounds.proxy_limit``, 1 for every existing round).
Nothing here joins a proxy or a roll household to a ballot or an envelope.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import service.db.base

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "community_households",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("building", sa.String(length=40), nullable=False),
        sa.Column("unit", sa.String(length=40), nullable=False),
        sa.Column("flat", sa.String(length=40), nullable=False),
        sa.Column("label", sa.String(length=120), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("head", sa.String(length=120), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", service.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", service.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_community_households_community_id_communities"),
        ),
        sa.ForeignKeyConstraint(
            ["grid_id"], ["grids.id"], name=op.f("fk_community_households_grid_id_grids")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_community_households")),
        sa.UniqueConstraint(
            "community_id", "key", name=op.f("uq_community_households_community_id")
        ),
    )
    op.create_index(
        op.f("ix_community_households_community_id"),
        "community_households",
        ["community_id"],
        unique=False,
    )
    op.create_table(
        "proxies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("grantor_id", sa.Integer(), nullable=False),
        sa.Column("holder_label", sa.String(length=120), nullable=False),
        sa.Column("holder_name", sa.String(length=120), nullable=False),
        sa.Column("holder_key", sa.String(length=120), nullable=False),
        sa.Column("serial", sa.String(length=80), nullable=False),
        sa.Column("photo", sa.LargeBinary(), nullable=True),
        sa.Column("signed_on", sa.Date(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.Column("recorded_at", service.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", service.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoke_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["grantor_id"], ["households.id"], name=op.f("fk_proxies_grantor_id_households")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["users.id"], name=op.f("fk_proxies_recorded_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["round_id"], ["rounds.id"], name=op.f("fk_proxies_round_id_rounds")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proxies")),
    )
    op.create_index(op.f("ix_proxies_grantor_id"), "proxies", ["grantor_id"], unique=False)
    op.create_index(op.f("ix_proxies_holder_key"), "proxies", ["holder_key"], unique=False)
    op.create_index(op.f("ix_proxies_round_id"), "proxies", ["round_id"], unique=False)
    # ALTER TABLE in place, not a batch copy: many foreign keys point at rounds
    op.add_column(
        "rounds", sa.Column("proxy_limit", sa.Integer(), server_default="1", nullable=False)
    )


def downgrade() -> None:
    op.drop_column("rounds", "proxy_limit")  # SQLite 3.35 or later
    op.drop_index(op.f("ix_proxies_round_id"), table_name="proxies")
    op.drop_index(op.f("ix_proxies_holder_key"), table_name="proxies")
    op.drop_index(op.f("ix_proxies_grantor_id"), table_name="proxies")
    op.drop_table("proxies")
    op.drop_index(
        op.f("ix_community_households_community_id"), table_name="community_households"
    )
    op.drop_table("community_households")
