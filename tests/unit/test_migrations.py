"""The migrations build exactly the schema the models describe, on every backend."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import tracker.models  # noqa: F401
from tracker.schema import schema_revision, upgrade_schema
from tracker.setup import prepare_database


def test_models_match_migrations(schema_engine):
    with schema_engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []


def test_upgrade_is_idempotent_and_loads_the_plan_once(empty_engine):
    assert schema_revision(empty_engine) is None
    first = prepare_database(empty_engine)
    assert first.revision_before is None and first.revision_after is not None
    assert first.loaded_plan == "IZKA-KUME-2013-2018"
    second = prepare_database(empty_engine)
    assert second.revision_before == second.revision_after == first.revision_after
    assert second.loaded_plan is None
    upgrade_schema(empty_engine)
    assert schema_revision(empty_engine) == first.revision_after
