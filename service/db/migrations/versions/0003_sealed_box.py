"""sealed box: ballots are sealed envelopes while voting, counted boxes stored in parts;
idempotency records keyed

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04 17:00:00

The ballots already stored (one row each, with their canonical JSON) move into the counted
box's parts, in tracker order: their marks say everything the JSON said. Ballots cast before
the upgrade in a round that is still voting move too and are counted with the envelopes at
the close. The idempotency records of casting are recreated empty, keyed with the server
secret and without row ids: a tablet retrying a cast made before the upgrade is told its code
was used (the ballot it cast is in the box).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import service.db.base

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


PART = 4096
"""Ballots per stored part (as :data:`service.results.ballot_box.PART`)."""


def _parts(rows: list[tuple[int, str, bytes]]) -> list[dict[str, object]]:
    """Box parts of ballot rows (round, tracker, marks) sorted by round and tracker."""
    out: list[dict[str, object]] = []
    by_round: dict[int, list[tuple[str, bytes]]] = {}
    for round_id, tracker, marks in rows:
        by_round.setdefault(round_id, []).append((tracker, bytes(marks)))
    for round_id, ballots in by_round.items():
        for start in range(0, len(ballots), PART):
            chunk = ballots[start : start + PART]
            out.append(
                {
                    "round_id": round_id,
                    "first_tracker": chunk[0][0],
                    "count": len(chunk),
                    "trackers": b"".join(t.encode("ascii") for t, _ in chunk),
                    "marks": b"".join(m for _, m in chunk),
                }
            )
    return out


def upgrade() -> None:
    op.create_table(
        "box_parts",
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("first_tracker", sa.String(length=16), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("trackers", sa.LargeBinary(), nullable=False),
        sa.Column("marks", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"], ["rounds.id"], name=op.f("fk_box_parts_round_id_rounds")
        ),
        sa.PrimaryKeyConstraint("round_id", "first_tracker", name=op.f("pk_box_parts")),
        sqlite_with_rowid=False,
    )
    bind = op.get_bind()
    order = 'tracker COLLATE "C"' if bind.dialect.name == "postgresql" else "tracker"
    rows = bind.execute(
        sa.text(f"SELECT round_id, tracker, marks FROM ballots ORDER BY round_id, {order}")
    ).all()
    parts = _parts([(r[0], r[1], r[2]) for r in rows])
    if parts:
        bind.execute(sa.table("box_parts", *(sa.column(k) for k in parts[0])).insert(), parts)
    op.drop_table("ballots")
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
        sa.Column("envelope_nonce", sa.LargeBinary(length=12), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"], ["rounds.id"], name=op.f("fk_cast_keys_round_id_rounds")
        ),
        sa.PrimaryKeyConstraint("key_hash", name=op.f("pk_cast_keys")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("cast_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cast_keys_round_id"), ["round_id"], unique=False)
    with op.batch_alter_table("round_results", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("purged_at", service.db.base.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    if op.get_bind().execute(sa.text("SELECT 1 FROM envelopes LIMIT 1")).first():
        raise RuntimeError(
            "a round still voting holds sealed ballots that the older schema cannot keep: "
            "close it before downgrading"
        )
    with op.batch_alter_table("round_results", schema=None) as batch_op:
        batch_op.drop_column("purged_at")
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
    op.create_table(
        "ballots",
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("tracker", sa.String(length=16), nullable=False),
        sa.Column("marks", sa.LargeBinary(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"], ["rounds.id"], name=op.f("fk_ballots_round_id_rounds")
        ),
        sa.PrimaryKeyConstraint("round_id", "tracker", name=op.f("pk_ballots")),
        sqlite_with_rowid=False,
    )
    _unpack_parts()
    op.drop_table("box_parts")


def _unpack_parts() -> None:
    """One ``ballots`` row per counted ballot again, its canonical JSON derived from its
    marks and the round's frozen slate."""
    import json

    from ballots.digest import canonical_ballot
    from ballots.marks import ballot_of

    bind = op.get_bind()
    rounds = {
        rid: (
            kind,
            [o["name"] for o in (json.loads(slate) if isinstance(slate, str) else slate or [])],
        )
        for rid, kind, slate in bind.execute(sa.text("SELECT id, ballot_kind, slate FROM rounds"))
    }
    ballots = sa.table(
        "ballots", *(sa.column(k) for k in ("round_id", "tracker", "marks", "content"))
    )
    for round_id, count, trackers, marks in bind.execute(
        sa.text("SELECT round_id, count, trackers, marks FROM box_parts")
    ).all():
        kind, names = rounds[round_id]
        width = len(marks) // count
        rows = []
        for i in range(count):
            mark = bytes(marks[i * width : (i + 1) * width])
            content = canonical_ballot(ballot_of(mark, kind, names)).decode()
            rows.append(
                {
                    "round_id": round_id,
                    "tracker": bytes(trackers[i * 16 : (i + 1) * 16]).decode("ascii"),
                    "marks": mark,
                    "content": content,
                }
            )
        bind.execute(ballots.insert(), rows)
