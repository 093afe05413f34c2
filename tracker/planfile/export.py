"""Write a stored plan as a document (the JSON contract) and as CSV or XLSX."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, select

from tracker.models import (
    Cluster,
    Indicator,
    Organisation,
    OrganisationMember,
    Plan,
    ScorecardAdvice,
    ScorecardEntry,
)
from tracker.planfile.layout import CSV_TABLE_COLUMN, LIST_SEPARATOR, TABLES, Table
from tracker.plans import plan_tree
from tracker.quarters import Quarter, quarter_runs
from tracker.spreadsheets import Sheet, csv_bytes, workbook_bytes

FORMATS = ("json", "xlsx", "csv")


def _number(value: Decimal | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def plan_document(session: Session, plan: Plan) -> dict[str, Any]:
    """The plan as one object, in the key order of the published contract."""
    orgs = {o.id: o for o in session.exec(select(Organisation))}
    clusters = {c.id: c for c in session.exec(select(Cluster))}
    members: dict[int, list[OrganisationMember]] = {}
    for m in session.exec(select(OrganisationMember).order_by(col(OrganisationMember.position))):
        members.setdefault(m.group_id, []).append(m)
    tree = plan_tree(session, plan)

    return {
        "plan": {
            "code": plan.code,
            "title": plan.title,
            "start": plan.start,
            "end": plan.end,
            "source": plan.source,
        },
        "priorities": [{"code": p.code, "title": p.title} for p in tree.priorities],
        "goals": [
            {"code": g.code, "priority": p.code, "title": g.title}
            for p in tree.priorities
            for g in p.goals
        ],
        "actions": [
            {
                "code": a.code,
                "goal": a.goal_code,
                "title": a.title,
                "responsible": [{"short": r.short, "name": r.name} for r in a.responsible],
                "quarters": [str(q) for q in a.quarters],
                "schedule_is_default": a.schedule_is_default,
            }
            for a in tree.actions
        ],
        "indicators": [
            {
                "code": i.code,
                "title": i.title,
                "level": i.level,
                "unit": i.unit,
                "type": str(i.value_type),
                "min": _number(i.min_value),
                "max": _number(i.max_value),
                "measure_is_assumed": i.measure_is_assumed,
                "note": i.note,
            }
            for i in session.exec(
                select(Indicator)
                .where(Indicator.plan_id == plan.id)
                .order_by(col(Indicator.position))
            )
        ],
        "clusters": [
            {"code": c.code, "name": c.name}
            for c in sorted(clusters.values(), key=lambda c: (c.position, c.id))
        ],
        "organisations": [
            {
                "short": o.short,
                "name": o.name,
                "kind": str(o.kind),
                "members": [orgs[m.member_id].short for m in members.get(o.id or 0, [])],
                "cluster": clusters[o.cluster_id].code if o.cluster_id else None,
                "note": o.note,
            }
            for o in sorted(orgs.values(), key=lambda o: (o.position, o.id))
        ],
        "scorecard": [
            {"sector": s.sector, "index": s.index_value, "category": s.category}
            for s in session.exec(
                select(ScorecardEntry)
                .where(ScorecardEntry.plan_id == plan.id)
                .order_by(col(ScorecardEntry.position))
            )
        ],
        "scorecard_advice": [
            {"category": a.category, "text": a.text}
            for a in session.exec(
                select(ScorecardAdvice)
                .where(ScorecardAdvice.plan_id == plan.id)
                .order_by(col(ScorecardAdvice.position))
            )
        ],
    }


def compact_quarters(quarters: list[str]) -> str:
    """"2013Q1 – 2013Q4; 2015Q2": runs of consecutive quarters as ranges, for spreadsheets."""
    return LIST_SEPARATOR.join(
        str(first) if first == last else f"{first} – {last}"
        for first, last in quarter_runs([Quarter.parse(q) for q in quarters])
    )


def _cell(table: Table, key: str, value: Any) -> Any:
    if key == "quarters":
        return compact_quarters(value)
    if key == "responsible":
        return LIST_SEPARATOR.join(r["short"] for r in value)
    if table.column(key).is_list:
        return LIST_SEPARATOR.join(value)
    if isinstance(value, bool):
        return "evet" if value else "hayır"
    return value


def table_rows(document: dict[str, Any], table: Table) -> list[list[Any]]:
    items = [document[table.key]] if table.single else document.get(table.key, [])
    return [[_cell(table, c.key, item.get(c.key)) for c in table.columns] for item in items]


def to_json(document: dict[str, Any]) -> bytes:
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def to_csv(document: dict[str, Any]) -> bytes:
    header: list[str] = [CSV_TABLE_COLUMN]
    for table in TABLES:
        header += [c.label for c in table.columns if c.label not in header]
    rows: list[list[Any]] = [header]
    for table in TABLES:
        for row in table_rows(document, table):
            line: list[Any] = [None] * len(header)
            line[0] = table.label
            for column, value in zip(table.columns, row, strict=True):
                line[header.index(column.label)] = value
            rows.append(line)
    return csv_bytes(rows)


# Plan titles are long: a plan's columns may be wider than a report's before they wrap.
_PLAN_WIDTH_CAP = 80


def to_xlsx(document: dict[str, Any]) -> bytes:
    sheets = []
    for table in TABLES:
        sheet = Sheet(table.label, width_cap=_PLAN_WIDTH_CAP)
        sheet.header([c.label for c in table.columns])
        for row in table_rows(document, table):
            sheet.row(row)
        sheets.append(sheet)
    return workbook_bytes(sheets)


def render(document: dict[str, Any], fmt: str) -> bytes:
    if fmt == "json":
        return to_json(document)
    if fmt == "csv":
        return to_csv(document)
    if fmt == "xlsx":
        return to_xlsx(document)
    raise ValueError(fmt)
