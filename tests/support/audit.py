"""Reading the audit log behind the API: the events of one action, the actions on one
entity."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from service.db.models import AuditEvent


async def audit(db: AsyncSession, action: str) -> list[AuditEvent]:
    """Every audit event of ``action``, oldest first."""
    rows = (
        await db.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
    ).all()
    await db.commit()  # end the read so later reads see the API's writes
    return list(rows)


async def audit_actions(db: AsyncSession, entity: str, entity_id: int) -> list[str]:
    """The actions recorded on one entity, oldest first."""
    await db.rollback()  # end the snapshot: see what the API committed
    rows = await db.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.entity == entity, AuditEvent.entity_id == entity_id)
        .order_by(AuditEvent.id)
    )
    return list(rows.all())
