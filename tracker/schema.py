"""The database schema: Alembic upgrades, and the check that a database is up to date.

Apart from tracker/db.py so that code needing only sessions (the bot's handlers, the sender)
does not load Alembic.
"""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from tracker.errors import DomainError
from tracker.resources import data_dir

MIGRATIONS_DIR = data_dir("migrations")


def alembic_config(engine: Engine | None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade_schema(engine: Engine) -> None:
    """Create or upgrade the schema to the newest migration."""
    command.upgrade(alembic_config(engine), "head")


def schema_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config(None)).get_current_head()


def require_current_schema(engine: Engine) -> None:
    """Refuse to work on a database that `kume db upgrade` has not prepared."""
    current = schema_revision(engine)
    if current is None:
        raise DomainError("schema_missing")
    if current != head_revision():
        raise DomainError("schema_outdated", current=current, head=head_revision())
