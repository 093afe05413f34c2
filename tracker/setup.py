"""Preparing a database: schema migrations, then the bundled plan if it is not there yet."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import select

from tracker.db import session_scope
from tracker.models import Plan
from tracker.planfile import import_plan
from tracker.schema import head_revision, schema_revision, upgrade_schema

logger = logging.getLogger(__name__)

BUNDLED_PLAN = Path(__file__).resolve().parent / "plans" / "izka-kumelenme-2013-2018.yaml"
BUNDLED_PLAN_CODE = "IZKA-KUME-2013-2018"


@dataclass
class UpgradeResult:
    revision_before: str | None
    revision_after: str | None
    loaded_plan: str | None  # code of the plan loaded now, None if it was already there


def prepare_database(engine: Engine) -> UpgradeResult:
    """Create or upgrade the schema; an empty database gets the bundled plan. Idempotent."""
    before = schema_revision(engine)
    if before is None or before != head_revision():  # Alembic loads only when there is work
        upgrade_schema(engine)
    loaded = None
    with session_scope(engine) as session:
        present = session.exec(select(Plan)).first()
        if present is None:
            import_plan(session, BUNDLED_PLAN)
            loaded = BUNDLED_PLAN_CODE
            logger.info("bundled plan %s loaded", BUNDLED_PLAN_CODE)
    return UpgradeResult(before, schema_revision(engine), loaded)
