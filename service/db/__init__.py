"""Storage: SQLAlchemy models, the session factory and the Alembic migrations."""
