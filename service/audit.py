"""The append-only audit log: one row for every state change, written in the same
transaction as the change itself."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from service.auth.guard import Actor
from service.db.models import AuditEvent


def record(
    session: AsyncSession,
    actor: Actor,
    action: str,
    entity: str,
    entity_id: int | None = None,
    **detail: Any,
) -> None:
    """Add an audit row (committed or rolled back with the change it describes)."""
    session.add(
        AuditEvent(
            actor_id=actor.id,
            actor=actor.name,
            action=action,
            entity=entity,
            entity_id=entity_id,
            detail=detail,
        )
    )
