"""Shared fixtures: a fresh database per test, on SQLite and (where reachable) on PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from bot.bootstrap import App, bootstrap
from bot.db.engine import normalize_url
from bot.knowledge import Knowledge, bundled_knowledge
from bot.settings import Settings

DATA = Path(__file__).parent / "data"


def _postgres_url() -> str | None:
    url = os.environ.get("TEST_POSTGRES_URL")
    if not url:
        return None
    try:
        with create_engine(normalize_url(url)).connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:
        if os.environ.get("REQUIRE_POSTGRES"):
            raise RuntimeError(f"TEST_POSTGRES_URL is set but PostgreSQL is not reachable: {exc}") from exc
        return None
    return url


POSTGRES_URL = _postgres_url()
if os.environ.get("REQUIRE_POSTGRES") and not POSTGRES_URL:
    raise RuntimeError("REQUIRE_POSTGRES is set but TEST_POSTGRES_URL is not")


def _reset_postgres(url: str) -> None:
    engine = create_engine(normalize_url(url))
    for attempt in range(5):
        try:
            with engine.begin() as connection:
                # a query still running from the test before (a worker thread that was stopping) must not
                # deadlock the DROP: its connection goes first (only ours: autovacuum's workers belong to the
                # superuser)
                connection.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database()"
                        " AND usename = current_user AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
                    )
                )
                connection.execute(text("DROP SCHEMA public CASCADE"))
                connection.execute(text("CREATE SCHEMA public"))
            break
        except OperationalError as exc:
            # such a thread may connect again between the terminate and the DROP; PostgreSQL then ends the
            # deadlock by failing the DROP, and the next attempt finds the thread gone or done
            if "deadlock" not in str(exc) or attempt == 4:
                raise
    engine.dispose()


# `database_url` on PostgreSQL only: @pytest.mark.parametrize("database_url", [ON_POSTGRES], indirect=True)
ON_POSTGRES = pytest.param(
    "postgres",
    marks=[
        pytest.mark.postgres,
        pytest.mark.skipif(POSTGRES_URL is None, reason="set TEST_POSTGRES_URL to run on PostgreSQL (.ci/run does)"),
    ],
)


@pytest.fixture(params=["sqlite", ON_POSTGRES])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database: a SQLite file, or the PostgreSQL test database wiped clean."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    assert POSTGRES_URL
    _reset_postgres(POSTGRES_URL)
    return POSTGRES_URL


@pytest.fixture
def app(database_url: str) -> Iterator[App]:
    """The app on an empty, migrated database with the bundled knowledge (no offers loaded)."""
    application = bootstrap(Settings(database_url=database_url), load_examples=False)
    yield application
    application.engine.dispose()


@pytest.fixture
def knowledge() -> Knowledge:
    return bundled_knowledge()
