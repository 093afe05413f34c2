"""Shared fixtures: a fresh, migrated database on SQLite and, when configured, PostgreSQL.

Set KUME_TEST_DATABASE_URL (e.g. postgresql://postgres@127.0.0.1/postgres) to run every database
test on PostgreSQL as well; each test session works in a database of its own there.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import NullPool

from tracker.db import create_db_engine, normalise_url
from tracker.schema import upgrade_schema
from tracker.setup import prepare_database

PG_URL = os.environ.get("KUME_TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str | None]:
    """A throw-away PostgreSQL database for this test session, or None."""
    if not PG_URL:
        yield None
        return
    admin = sa.create_engine(normalise_url(PG_URL), isolation_level="AUTOCOMMIT")
    name = f"kume_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = make_url(normalise_url(PG_URL)).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"
                ),
                {"n": name},
            )
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def _reset_pg(url: str) -> None:
    """An empty database under the same name (quicker than dropping every table)."""
    name = make_url(url).database
    admin = _pg_admin(url)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path, pg_database: str | None) -> str:
    """The URL of an empty database on each backend."""
    if request.param == "postgresql":
        assert pg_database is not None
        _reset_pg(pg_database)
        return pg_database
    return f"sqlite:///{tmp_path / 'kume.sqlite3'}"


@pytest.fixture
def empty_engine(db_url: str) -> Iterator[Engine]:
    engine = create_db_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def schema_engine(empty_engine: Engine) -> Engine:
    """Migrated, no data."""
    upgrade_schema(empty_engine)
    return empty_engine


@pytest.fixture(scope="session")
def _bundled_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrating and loading the plan once per session; tests get a copy of the file."""
    path = tmp_path_factory.mktemp("template") / "kume.sqlite3"
    engine = create_db_engine(f"sqlite:///{path}")
    prepare_database(engine)
    engine.dispose()
    return path


@pytest.fixture
def engine(
    request: pytest.FixtureRequest, db_url: str, _bundled_sqlite_template: Path
) -> Iterator[Engine]:
    """Migrated, with the bundled İZKA plan loaded."""
    if db_url.startswith("sqlite"):
        shutil.copy(_bundled_sqlite_template, make_url(db_url).database)
    else:
        _clone_pg(request.getfixturevalue("_bundled_pg_template"), db_url)
    engine = create_db_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def _bundled_pg_template(pg_database: str | None) -> Iterator[str]:
    """A PostgreSQL database migrated and loaded once; each test gets a copy of it."""
    assert pg_database is not None
    name = f"{make_url(pg_database).database}_tpl"
    admin = _pg_admin(pg_database)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = make_url(pg_database).set(database=name).render_as_string(hide_password=False)
    engine = create_db_engine(url)
    prepare_database(engine)
    engine.dispose()
    try:
        yield name
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _pg_admin(url: str) -> Engine:
    """An unpooled connection to the maintenance database: dropping the test databases
    (WITH FORCE) must never cut a connection this engine still holds."""
    return sa.create_engine(
        make_url(url).set(database="postgres").render_as_string(hide_password=False),
        isolation_level="AUTOCOMMIT",
        poolclass=NullPool,
    )


def _clone_pg(template: str, db_url: str) -> None:
    """Replace the test database by a copy of the template (much faster than migrating)."""
    name = make_url(db_url).database
    admin = _pg_admin(db_url)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    admin.dispose()


@pytest.fixture
def schema_engine_2(tmp_path: Path, pg_database: str | None, db_url: str) -> Iterator[Engine]:
    """A second empty, migrated database on the same backend (for copies between databases)."""
    if db_url.startswith("sqlite"):
        engine = create_db_engine(f"sqlite:///{tmp_path / 'second.sqlite3'}")
        upgrade_schema(engine)
        yield engine
        engine.dispose()
        return
    admin = sa.create_engine(db_url, isolation_level="AUTOCOMMIT")
    name = f"{make_url(db_url).database}_2"
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine = create_db_engine(make_url(db_url).set(database=name).render_as_string(False))
    upgrade_schema(engine)
    yield engine
    engine.dispose()
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()
