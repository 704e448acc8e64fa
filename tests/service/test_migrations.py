"""The Alembic migrations build exactly the schema the models describe, on every database."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import AsyncSession

from service.db.base import Base


async def test_migrated_schema_matches_the_models(db: AsyncSession):
    def diff(connection):  # type: ignore[no-untyped-def]
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)

    connection = await db.connection()
    differences = await connection.run_sync(diff)
    assert differences == []
