"""photos: exactly one owner

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 12:00:00

A photo belongs to exactly one meeting, site survey or request; the ``photos`` table now
says so with a CHECK (``ck_photos_one_owner``). On SQLite the table is copied with the
constraint (nothing references ``photos``).
"""

from __future__ import annotations

from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

ONE_OWNER = (
    "(CASE WHEN meeting_id IS NULL THEN 0 ELSE 1 END)"
    " + (CASE WHEN survey_id IS NULL THEN 0 ELSE 1 END)"
    " + (CASE WHEN request_id IS NULL THEN 0 ELSE 1 END) = 1"
)
"""As :data:`service.db.street.ONE_OWNER` was when this revision was written."""


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def upgrade() -> None:
    if _sqlite():
        with op.batch_alter_table("photos", recreate="always") as batch_op:
            batch_op.create_check_constraint(op.f("ck_photos_one_owner"), ONE_OWNER)
    else:
        op.create_check_constraint(op.f("ck_photos_one_owner"), "photos", ONE_OWNER)


def downgrade() -> None:
    if _sqlite():
        with op.batch_alter_table("photos", recreate="always") as batch_op:
            batch_op.drop_constraint(op.f("ck_photos_one_owner"), type_="check")
    else:
        op.drop_constraint(op.f("ck_photos_one_owner"), "photos", type_="check")
