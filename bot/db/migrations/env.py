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
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite needs batch mode for ALTER
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
