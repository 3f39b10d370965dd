"""Persistence: the SQLAlchemy schema, engine and unit of work, and the Alembic migrations."""
