"""the bench meeting and the street: streets, grid party branches, the team, meetings,
site surveys, photos, and a request's way from the field to its close

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05 11:45:00

A street (``streets``) sits above its communities (``communities.street_id``); a community's
grids may belong to a grid party branch (``grid_branches``, ``grids.branch_id``). Accounts
may be scoped to one community or, for the new ``street`` role, to one street
(``users.community_id``, ``users.street_id``; empty for every existing account, which keeps
seeing every community). Meetings (``meetings`` with their agenda, attendance counts, names
and photos), site surveys before a meeting (``site_surveys``), the red-bench team
(``team_members``) and the steps of a request (``request_events``) are new; a request gains
where and what it is, who raised it, its stage, the street's answer and its close
(``requests``: existing requests are ``open`` and keep their status).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

import service.db.base


revision = "0020"
down_revision = "0019"

REQUEST_COLUMNS: tuple[sa.Column[Any], ...] = (
    sa.Column("place", sa.String(length=200), server_default="", nullable=False),
    sa.Column("category", sa.String(length=20), server_default="other", nullable=False),
    sa.Column("raised_by", sa.String(length=120), server_default="", nullable=False),
    sa.Column("stage", sa.String(length=12), server_default="open", nullable=False),
    sa.Column("meeting_id", sa.Integer(), nullable=True),
    sa.Column("escalated_at", service.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column("street_state", sa.String(length=12), nullable=True),
    sa.Column("street_assignee", sa.String(length=120), server_default="", nullable=False),
    sa.Column("street_answer", sa.Text(), server_default="", nullable=False),
    sa.Column("returned_at", service.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column("closed_at", service.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column("close_note", sa.Text(), server_default="", nullable=False),
    sa.Column("satisfaction", sa.String(length=20), nullable=True),
)
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "streets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column(
            "time_zone", sa.String(length=64), server_default="Asia/Shanghai", nullable=False
        ),
        sa.Column("created_at", service.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_streets")),
        sa.UniqueConstraint("name", name=op.f("uq_streets_name")),
    )
    op.create_table(
        "grid_branches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_grid_branches_community_id_communities"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grid_branches")),
        sa.UniqueConstraint("community_id", "name", name=op.f("uq_grid_branches_community_id")),
    )
    with op.batch_alter_table("grid_branches", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_grid_branches_community_id"), ["community_id"], unique=False
        )

    op.create_table(
        "site_surveys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("process_id", sa.Integer(), nullable=False),
        sa.Column("surveyed_on", sa.Date(), nullable=False),
        sa.Column("surveyor", sa.String(length=200), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("measurements", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", service.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_site_surveys_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["process_id"], ["processes.id"], name=op.f("fk_site_surveys_process_id_processes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site_surveys")),
    )
    with op.batch_alter_table("site_surveys", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_site_surveys_process_id"), ["process_id"], unique=False
        )

    op.create_table(
        "meetings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=True),
        sa.Column("starts_at", service.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", service.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("facilitator_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("topic", sa.Text(), nullable=False),
        sa.Column("reached", sa.Integer(), nullable=False),
        sa.Column("minutes", sa.Text(), nullable=False),
        sa.Column("held_at", service.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", service.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"], ["communities.id"], name=op.f("fk_meetings_community_id_communities")
        ),
        sa.ForeignKeyConstraint(
            ["facilitator_id"], ["users.id"], name=op.f("fk_meetings_facilitator_id_users")
        ),
        sa.ForeignKeyConstraint(["grid_id"], ["grids.id"], name=op.f("fk_meetings_grid_id_grids")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meetings")),
    )
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_meetings_community_id"), ["community_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_meetings_starts_at"), ["starts_at"], unique=False)

    op.create_table(
        "team_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("phone_public", sa.Boolean(), nullable=False),
        sa.Column("consent_on", sa.Date(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", service.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_team_members_community_id_communities"),
        ),
        sa.ForeignKeyConstraint(
            ["grid_id"], ["grids.id"], name=op.f("fk_team_members_grid_id_grids")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team_members")),
    )
    with op.batch_alter_table("team_members", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_team_members_community_id"), ["community_id"], unique=False
        )

    op.create_table(
        "meeting_attendance",
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meetings.id"], name=op.f("fk_meeting_attendance_meeting_id_meetings")
        ),
        sa.PrimaryKeyConstraint("meeting_id", "category", name=op.f("pk_meeting_attendance")),
    )
    op.create_table(
        "meeting_attendees",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meetings.id"], name=op.f("fk_meeting_attendees_meeting_id_meetings")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_attendees")),
    )
    with op.batch_alter_table("meeting_attendees", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_meeting_attendees_meeting_id"), ["meeting_id"], unique=False
        )

    op.create_table(
        "meeting_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("process_id", sa.Integer(), nullable=True),
        sa.Column("round_id", sa.Integer(), nullable=True),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("decision", sa.Text(), nullable=False),
        sa.Column("follow_up", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meetings.id"], name=op.f("fk_meeting_items_meeting_id_meetings")
        ),
        sa.ForeignKeyConstraint(
            ["process_id"], ["processes.id"], name=op.f("fk_meeting_items_process_id_processes")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"], ["requests.id"], name=op.f("fk_meeting_items_request_id_requests")
        ),
        sa.ForeignKeyConstraint(
            ["round_id"], ["rounds.id"], name=op.f("fk_meeting_items_round_id_rounds")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_items")),
    )
    with op.batch_alter_table("meeting_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_meeting_items_meeting_id"), ["meeting_id"], unique=False
        )

    op.create_table(
        "photos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.Column("survey_id", sa.Integer(), nullable=True),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("caption", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", service.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_photos_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meetings.id"], name=op.f("fk_photos_meeting_id_meetings")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"], ["requests.id"], name=op.f("fk_photos_request_id_requests")
        ),
        sa.ForeignKeyConstraint(
            ["survey_id"], ["site_surveys.id"], name=op.f("fk_photos_survey_id_site_surveys")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_photos")),
    )
    with op.batch_alter_table("photos", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_photos_meeting_id"), ["meeting_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_photos_request_id"), ["request_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_photos_survey_id"), ["survey_id"], unique=False)

    op.create_table(
        "request_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("at", service.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_request_events_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"], ["requests.id"], name=op.f("fk_request_events_request_id_requests")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_events")),
    )
    with op.batch_alter_table("request_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_request_events_request_id"), ["request_id"], unique=False
        )

    # in place, not batch copies: other tables' foreign keys point at these; the references
    # added to them carry no foreign key (SQLite could not drop such a column again)
    op.add_column("communities", sa.Column("street_id", sa.Integer(), nullable=True))
    op.create_index(op.f("ix_communities_street_id"), "communities", ["street_id"])
    op.add_column("grids", sa.Column("branch_id", sa.Integer(), nullable=True))
    op.add_column("users", sa.Column("community_id", sa.Integer(), nullable=True))
    op.add_column("users", sa.Column("street_id", sa.Integer(), nullable=True))
    for column in REQUEST_COLUMNS:
        op.add_column("requests", column)
    op.create_index(op.f("ix_requests_closed_at"), "requests", ["closed_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_requests_closed_at"), table_name="requests")
    for column in reversed(REQUEST_COLUMNS):
        op.execute(f"ALTER TABLE requests DROP COLUMN {column.name}")
    op.execute("ALTER TABLE users DROP COLUMN street_id")
    op.execute("ALTER TABLE users DROP COLUMN community_id")
    op.execute("ALTER TABLE grids DROP COLUMN branch_id")
    op.drop_index(op.f("ix_communities_street_id"), table_name="communities")
    op.execute("ALTER TABLE communities DROP COLUMN street_id")
    for table in (
        "request_events",
        "photos",
        "meeting_items",
        "meeting_attendees",
        "meeting_attendance",
        "team_members",
        "meetings",
        "site_surveys",
        "grid_branches",
        "streets",
    ):
        op.drop_table(table)
