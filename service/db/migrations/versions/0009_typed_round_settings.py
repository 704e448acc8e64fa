"""rounds: options, ballot rules and slate written whole, as their typed settings read them

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 23:00:00

A round's settings are read as :mod:`service.rounds.settings` Structs, which refuse keys
they do not name and ``null`` where a number belongs. Every round is rewritten to that
shape, with each default written out:

- ``options``: ``seats`` (1), ``tie_policy`` (``lot``) and ``budget`` (``null``) by name,
  the method's own options moved under ``own``;
- ``rules``: ``allow_ties`` (false), ``allow_truncation`` (true), ``max_approvals``
  (``null``) and ``max_score`` (5; it was ``null`` for every round but score rounds). Keys
  the service never wrote are dropped;
- ``slate``: every option gets its ``cost_cents`` (``null`` where it had none).

Downgrading writes the flat options back (the budget only when one is set), and
``max_score`` back to ``null`` for rounds that are not score rounds; slates stay as they
are, which the older version reads alike.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

ROUNDS = sa.table(
    "rounds",
    sa.column("id", sa.Integer),
    sa.column("ballot_kind", sa.String),
    sa.column("options", sa.JSON(none_as_null=True)),
    sa.column("rules", sa.JSON(none_as_null=True)),
    sa.column("slate", sa.JSON(none_as_null=True)),
)
COMMON = ("seats", "tie_policy", "budget")
"""The options every round has; the rest are the method's own."""


def typed(
    kind: str, options: dict[str, Any], rules: dict[str, Any], slate: list[Any] | None
) -> dict[str, Any]:
    """A round's settings in the typed shape, defaults written out."""
    return {
        "options": {
            "seats": options.get("seats", 1),
            "tie_policy": options.get("tie_policy", "lot"),
            "budget": options.get("budget"),
            "own": {k: v for k, v in options.items() if k not in COMMON},
        },
        "rules": {
            "allow_ties": bool(rules.get("allow_ties", False)),
            "allow_truncation": bool(rules.get("allow_truncation", True)),
            "max_approvals": rules.get("max_approvals"),
            "max_score": rules.get("max_score") or 5,
        },
        "slate": None if slate is None else [{"cost_cents": None, **o} for o in slate],
    }


def flat(
    kind: str, options: dict[str, Any], rules: dict[str, Any], slate: list[Any] | None
) -> dict[str, Any]:
    """A round's settings in the older flat shape."""
    budget = options.get("budget")
    return {
        "options": {
            "seats": options.get("seats", 1),
            "tie_policy": options.get("tie_policy", "lot"),
            **({} if budget is None else {"budget": budget}),
            **options.get("own", {}),
        },
        "rules": {**rules, "max_score": rules.get("max_score") if kind == "score" else None},
        "slate": slate,
    }


def _rewrite(shape: Any) -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(ROUNDS.c.id, ROUNDS.c.ballot_kind, ROUNDS.c.options, ROUNDS.c.rules, ROUNDS.c.slate)
    ).all()
    for round_id, kind, options, rules, slate in rows:
        connection.execute(
            ROUNDS.update()
            .where(ROUNDS.c.id == round_id)
            .values(**shape(kind, options or {}, rules or {}, slate))
        )


def upgrade() -> None:
    _rewrite(typed)


def downgrade() -> None:
    _rewrite(flat)
