"""Plan files: a whole plan in JSON, YAML, CSV or XLSX, imported and exported losslessly."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session

from tracker.models import Plan
from tracker.planfile.apply import apply_spec, known_names
from tracker.planfile.export import FORMATS, plan_document, render
from tracker.planfile.readers import read_records
from tracker.planfile.records import PlanImportError, Problem
from tracker.planfile.validate import build_spec

__all__ = [
    "FORMATS",
    "PlanImportError",
    "Problem",
    "export_plan",
    "import_plan",
    "plan_document",
]


def import_plan(session: Session, path: Path, shown_name: str | None = None) -> Plan:
    """Validate the whole file, then store it; on any problem nothing is written.

    The caller owns the transaction: it commits on success and rolls back on the error.
    """
    name = shown_name or path.name
    kind, records = read_records(path, name)
    organisations, clusters = known_names(session)
    spec = build_spec(records, name, kind, organisations, clusters)
    return apply_spec(session, spec, name, kind)


def export_plan(session: Session, plan: Plan, fmt: str) -> bytes:
    return render(plan_document(session, plan), fmt)
