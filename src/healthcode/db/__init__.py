"""Storage: SQLAlchemy models, the async engine and sessions, Alembic migrations."""
