"""The database schema: Alembic upgrades, and the check that a database is up to date.

The check reads what it needs without Alembic: the long-running processes (the bot, the
portal) only compare two revision ids at start and in /healthz, and loading Alembic for that
kept 9 MiB in each for good. `tests/unit/test_migrations.py` holds both readings equal to
Alembic's own. Upgrading loads Alembic, when asked.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tracker.errors import DomainError
from tracker.resources import data_dir

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = data_dir("migrations")
VERSION_TABLE = "alembic_version"  # Alembic's default; migrations/env.py keeps it


def alembic_config(engine: Engine | None) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade_schema(engine: Engine) -> None:
    """Create or upgrade the schema to the newest migration."""
    from alembic import command

    command.upgrade(alembic_config(engine), "head")


def schema_revision(engine: Engine) -> str | None:
    """The revision the database is at (Alembic's version table); None before the first."""
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table(VERSION_TABLE):
            return None
        found = conn.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
    if len(found) > 1:
        raise RuntimeError(f"the database is at several revisions: {sorted(found)}")
    return found[0] if found else None


def head_revision() -> str | None:
    """The newest migration's revision: the one no other migration names as its parent, read
    from the files' `revision` and `down_revision` assignments."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in sorted((MIGRATIONS_DIR / "versions").glob("*.py")):
        assigned = _assignments(path.read_text(encoding="utf-8"))
        revisions.add(str(assigned["revision"]))
        down = assigned.get("down_revision")
        if isinstance(down, str):
            parents.add(down)
        elif isinstance(down, tuple | list):  # a merge of branches
            parents.update(str(parent) for parent in down)
    heads = revisions - parents
    if len(heads) > 1:
        raise RuntimeError(f"the migrations have several heads: {sorted(heads)}")
    return next(iter(heads), None)


def _assignments(source: str) -> dict[str, object]:
    """The module-level `revision` and `down_revision` of a migration, as literals."""
    found: dict[str, object] = {}
    for node in ast.parse(source).body:
        target = node.target if isinstance(node, ast.AnnAssign) else (
            node.targets[0] if isinstance(node, ast.Assign) and len(node.targets) == 1 else None)
        value = getattr(node, "value", None)
        if isinstance(target, ast.Name) and value is not None and target.id in (
                "revision", "down_revision"):
            found[target.id] = ast.literal_eval(value)
    return found


def require_current_schema(engine: Engine) -> None:
    """Refuse to work on a database that `kume db upgrade` has not prepared."""
    current = schema_revision(engine)
    if current is None:
        raise DomainError("schema_missing")
    if current != head_revision():
        raise DomainError("schema_outdated", current=current, head=head_revision())
