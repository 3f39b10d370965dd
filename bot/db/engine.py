"""Engine, unit of work and migrations: the one place that knows how to reach the database."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def normalize_url(url: str) -> str:
    """Accept the common postgres:// spellings and use the psycopg 3 driver for them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str) -> Engine:
    url = normalize_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")  # readers do not block the writer
            cursor.execute("PRAGMA synchronous=NORMAL")
            # Deleted and overwritten rows are zeroed in the file, not just marked free: after /delete a
            # family's words must not be readable from the database file with a hex editor.
            cursor.execute("PRAGMA secure_delete=ON")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def migrate(engine: Engine) -> bool:
    """Bring the schema to the newest migration; returns True when the database was empty before."""
    was_empty = not inspect(engine).has_table("alembic_version")
    command.upgrade(alembic_config(engine), "head")
    return was_empty


class UnitOfWork:
    """Hands out sessions; `with uow() as session:` commits on success and rolls back on error."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        # PostgreSQL: a family's data was deleted since the privacy job last rewrote the tables (privacy.py)
        self.erased_since_vacuum = False

    @contextmanager
    def __call__(self) -> Iterator[Session]:
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def scrub(self) -> None:
        """After a deletion: SQLite's WAL still holds the old pages (with the deleted words) until they are
        checkpointed; TRUNCATE copies them into the (secure_delete) file and empties the WAL. Best effort: a
        long reader elsewhere can keep frames in the WAL until the next checkpoint. On PostgreSQL the
        deleted rows stay in the table's pages until they are rewritten: the privacy job does that within the
        hour (privacy.vacuum_erased), so here it is only noted."""
        if self.engine.dialect.name != "sqlite":
            self.erased_since_vacuum = True
            return
        with self.engine.connect() as connection:
            busy, _frames, _done = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
            if busy:
                log.info("WAL checkpoint after a deletion was blocked by a reader; the next one completes it")
