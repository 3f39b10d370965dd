"""Alembic environment: runs migrations on the engine handed over by bot.db.engine.migrate()."""

from alembic import context
from sqlalchemy import engine_from_config, pool

from bot.db.orm import Base

config = context.config
engine = config.attributes.get("engine")
if engine is None:  # plain `alembic` CLI: URL from alembic.ini or DATABASE_URL
    import os

    from bot.db.engine import normalize_url

    url = normalize_url(os.environ.get("DATABASE_URL") or config.get_main_option("sqlalchemy.url") or "")
    engine = engine_from_config({"sqlalchemy.url": url}, prefix="sqlalchemy.", poolclass=pool.NullPool)

with engine.connect() as connection:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # Rebuilding a table (batch mode) drops the old one, and with foreign keys on that DROP deletes every
        # row that refers to it (ON DELETE CASCADE). The pragma only takes effect outside a transaction, so it
        # is set before anything else runs on this connection, and set back after the commit.
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=sqlite,  # SQLite needs batch mode for ALTER
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
    if sqlite:
        connection.exec_driver_sql("PRAGMA foreign_keys=ON")  # pooled: the next user expects the engine's pragmas
