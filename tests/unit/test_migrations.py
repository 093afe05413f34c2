"""The migrations build exactly the schema the models describe, on every backend."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import tracker.models  # noqa: F401
from tracker.schema import alembic_config, head_revision, schema_revision, upgrade_schema
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


def test_the_light_schema_check_reads_what_alembic_reads(empty_engine):
    """tracker.schema reads the head and the database's revision without Alembic (the bot and
    the portal keep its memory otherwise): both must say what Alembic itself says."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config(None))
    assert head_revision() == script.get_current_head() is not None

    def alembic_reading() -> str | None:
        with empty_engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    assert schema_revision(empty_engine) is None and alembic_reading() is None
    prepare_database(empty_engine)
    assert schema_revision(empty_engine) == alembic_reading() == head_revision()
    upgrade_schema(empty_engine)  # nothing to do: still at the head
    older = script.get_revision(head_revision()).down_revision
    from alembic import command

    command.downgrade(alembic_config(empty_engine), str(older))
    assert schema_revision(empty_engine) == alembic_reading() == older


def test_an_up_to_date_database_is_prepared_without_loading_alembic(tmp_path):
    """`kume run` prepares its database at every start; when there is nothing to upgrade the
    bot must not carry Alembic's memory for the rest of its life."""
    import subprocess
    import sys

    from tracker.db import create_db_engine

    url = f"sqlite:///{tmp_path / 'kume.sqlite3'}"
    engine = create_db_engine(url)
    prepare_database(engine)
    engine.dispose()
    probe = ("import sys; from tracker.db import create_db_engine; "
             "from tracker.setup import prepare_database; "
             f"prepare_database(create_db_engine({url!r})); print('alembic' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=120, check=True)
    assert done.stdout.strip() == "False"
