"""Export the stored status updates and indicator values, every version, as JSON, CSV or XLSX.

Rows are read with one joined query per kind (two in all, whatever the number of rows), then
ordered by period, subject and version. Each row is a flat dict whose keys are the JSON keys;
the Turkish column, sheet and status names come from templates/texts/updates_export.j2 and
templates/texts/status.j2.

- JSON: ``{"plan": code, "status_updates": [...], "indicator_values": [...]}``; figures are
  numbers, ``created_at`` is ISO 8601 in Europe/Istanbul with its offset.
- CSV: one file, like the plan export: the first column ("kayıt") says whether a row is a status
  update ("durum") or an indicator value ("gösterge"); the header is the union of both kinds'
  Turkish column names (shared ones, such as "dönem" or "kuruluş", appear once) and a row leaves
  the other kind's columns empty. Figures are exact decimals with a dot, times are Istanbul
  local time ("2014-05-02 13:30:00"); text that starts like a formula gets a leading quote.
- XLSX: sheets "Durum Güncellemeleri" and "Gösterge Değerleri"; times are date cells (naive
  Istanbul local time), figures, progress, versions and Telegram ids are number cells, text is
  always a text cell.

Both spreadsheet formats are written by tracker.spreadsheets.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from operator import itemgetter
from typing import Any

from sqlmodel import Session, col, select

from tracker import texts
from tracker.errors import DomainError
from tracker.models import (
    Action,
    Cluster,
    Indicator,
    IndicatorValue,
    Organisation,
    Person,
    Plan,
    Status,
    StatusUpdate,
)
from tracker.quarters import ISTANBUL, Quarter, QuarterError
from tracker.spreadsheets import Sheet, csv_bytes, number, workbook_bytes

FORMATS = ("json", "csv", "xlsx")
TEMPLATE = "texts/updates_export.j2"

STATUS_KEYS: tuple[str, ...] = (
    "quarter",
    "quarter_label",
    "action_code",
    "action_title",
    "organisation_short",
    "organisation_name",
    "status",
    "status_label",
    "progress",
    "narrative",
    "blockers",
    "evidence_link",
    "evidence_file_name",
    "evidence_note",
    "person_name",
    "person_telegram_id",
    "version",
    "current",
    "created_at",
)
INDICATOR_KEYS: tuple[str, ...] = (
    "period",
    "period_label",
    "indicator_code",
    "indicator_title",
    "cluster_code",
    "cluster_name",
    "organisation_short",
    "organisation_name",
    "value",
    "unit",
    "note",
    "person_name",
    "person_telegram_id",
    "version",
    "current",
    "created_at",
)
KINDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("status_updates", STATUS_KEYS),
    ("indicator_values", INDICATOR_KEYS),
)
# The CSV header order; keys with the same Turkish label (quarter/period) share one column.
CSV_KEYS: tuple[str, ...] = (
    "quarter",
    "period",
    "quarter_label",
    "period_label",
    "action_code",
    "action_title",
    "indicator_code",
    "indicator_title",
    "cluster_code",
    "cluster_name",
    "organisation_short",
    "organisation_name",
    "status_label",
    "status",
    "progress",
    "narrative",
    "blockers",
    "evidence_link",
    "evidence_file_name",
    "evidence_note",
    "value",
    "unit",
    "note",
    "person_name",
    "person_telegram_id",
    "version",
    "current",
    "created_at",
)


class UpdatesExportError(DomainError):
    template = TEMPLATE


@dataclass
class UpdatesExport:
    """What the export holds; rows are dicts keyed like the JSON, with Python values."""

    plan: str
    status_updates: list[dict[str, Any]] = field(default_factory=list)
    indicator_values: list[dict[str, Any]] = field(default_factory=list)


def _period_label(text: str) -> str:
    try:
        return Quarter.parse(text).label
    except QuarterError:
        return text


def _mark_current(rows: list[dict[str, Any]]) -> None:
    """`current` is true on the latest version of each group; drops the sorting helpers.

    The quarter filters keep or drop whole groups (the quarter is part of the group), so the
    rows at hand always hold every version of their group.
    """
    latest: dict[Any, int] = {}
    for row in rows:
        latest[row["_group"]] = max(latest.get(row["_group"], 0), row["version"])
    for row in rows:
        row["current"] = row["version"] == latest[row.pop("_group")]
        del row["_sort"]


def status_labels() -> dict[str, str]:
    return {str(s): texts.say("texts/status.j2", "label", status=str(s)) for s in Status}


def collect_updates(
    session: Session,
    plan: Plan,
    since: Quarter | None = None,
    until: Quarter | None = None,
) -> UpdatesExport:
    """Every version of every status update and indicator value of `plan` (two queries)."""
    if since is not None and until is not None and since > until:
        raise UpdatesExportError("since_after_until", since=str(since), until=str(until))
    labels = status_labels()

    updates = (
        select(
            StatusUpdate.action_id,
            StatusUpdate.organisation_id,
            StatusUpdate.quarter,
            StatusUpdate.status,
            StatusUpdate.progress,
            StatusUpdate.narrative,
            StatusUpdate.blockers,
            StatusUpdate.evidence_link,
            StatusUpdate.evidence_file_name,
            StatusUpdate.evidence_note,
            StatusUpdate.version,
            StatusUpdate.created_at,
            Action.code.label("action_code"),
            Action.title.label("action_title"),
            Action.position.label("action_position"),
            Organisation.short.label("organisation_short"),
            Organisation.name.label("organisation_name"),
            Organisation.position.label("organisation_position"),
            Person.display_name.label("person_name"),
            Person.telegram_user_id.label("person_telegram_id"),
        )
        .join(Action, col(Action.id) == StatusUpdate.action_id)
        .join(Organisation, col(Organisation.id) == StatusUpdate.organisation_id)
        .outerjoin(Person, col(Person.id) == StatusUpdate.person_id)
        .where(Action.plan_id == plan.id)
    )
    # Canonical quarters ("2014Q2", four-digit years) sort and compare correctly as text.
    if since is not None:
        updates = updates.where(col(StatusUpdate.quarter) >= str(since))
    if until is not None:
        updates = updates.where(col(StatusUpdate.quarter) <= str(until))
    status_rows: list[dict[str, Any]] = []
    for r in session.exec(updates).mappings():
        status_rows.append(
            {
                "_sort": (
                    r["quarter"],
                    r["action_position"],
                    r["action_code"],
                    r["organisation_position"],
                    r["organisation_short"],
                    r["version"],
                ),
                "_group": (r["action_id"], r["organisation_id"], r["quarter"]),
                "quarter": r["quarter"],
                "quarter_label": _period_label(r["quarter"]),
                "action_code": r["action_code"],
                "action_title": r["action_title"],
                "organisation_short": r["organisation_short"],
                "organisation_name": r["organisation_name"],
                "status": str(r["status"]),
                "status_label": labels.get(str(r["status"]), str(r["status"])),
                "progress": r["progress"],
                "narrative": r["narrative"],
                "blockers": r["blockers"],
                "evidence_link": r["evidence_link"],
                "evidence_file_name": r["evidence_file_name"],
                "evidence_note": r["evidence_note"],
                "person_name": r["person_name"],
                "person_telegram_id": r["person_telegram_id"],
                "version": r["version"],
                "current": False,
                "created_at": r["created_at"],
            }
        )

    values = (
        select(
            IndicatorValue.indicator_id,
            IndicatorValue.subject_key,
            IndicatorValue.period,
            IndicatorValue.value,
            IndicatorValue.note,
            IndicatorValue.version,
            IndicatorValue.created_at,
            Indicator.code.label("indicator_code"),
            Indicator.title.label("indicator_title"),
            Indicator.position.label("indicator_position"),
            Indicator.unit.label("unit"),
            Cluster.code.label("cluster_code"),
            Cluster.name.label("cluster_name"),
            Cluster.position.label("cluster_position"),
            Organisation.short.label("organisation_short"),
            Organisation.name.label("organisation_name"),
            Organisation.position.label("organisation_position"),
            Person.display_name.label("person_name"),
            Person.telegram_user_id.label("person_telegram_id"),
        )
        .join(Indicator, col(Indicator.id) == IndicatorValue.indicator_id)
        .join(Organisation, col(Organisation.id) == IndicatorValue.organisation_id)
        .outerjoin(Cluster, col(Cluster.id) == IndicatorValue.cluster_id)
        .outerjoin(Person, col(Person.id) == IndicatorValue.person_id)
        .where(Indicator.plan_id == plan.id)
    )
    if since is not None:
        values = values.where(col(IndicatorValue.period) >= str(since))
    if until is not None:
        values = values.where(col(IndicatorValue.period) <= str(until))
    value_rows: list[dict[str, Any]] = []
    for r in session.exec(values).mappings():
        value_rows.append(
            {
                # A figure about a cluster comes before figures about single organisations.
                "_sort": (
                    r["period"],
                    r["indicator_position"],
                    r["indicator_code"],
                    r["cluster_code"] is None,
                    r["cluster_position"] or 0,
                    r["cluster_code"] or "",
                    r["organisation_position"],
                    r["organisation_short"],
                    r["version"],
                ),
                "_group": (r["indicator_id"], r["subject_key"], r["period"]),
                "period": r["period"],
                "period_label": _period_label(r["period"]),
                "indicator_code": r["indicator_code"],
                "indicator_title": r["indicator_title"],
                "cluster_code": r["cluster_code"],
                "cluster_name": r["cluster_name"],
                "organisation_short": r["organisation_short"],
                "organisation_name": r["organisation_name"],
                "value": r["value"],
                "unit": r["unit"],
                "note": r["note"],
                "person_name": r["person_name"],
                "person_telegram_id": r["person_telegram_id"],
                "version": r["version"],
                "current": False,
                "created_at": r["created_at"],
            }
        )

    for rows in (status_rows, value_rows):
        rows.sort(key=itemgetter("_sort"))
        _mark_current(rows)
    return UpdatesExport(plan.code, status_rows, value_rows)


# ---------------------------------------------------------------------------------- values


def _local(moment: datetime) -> datetime:
    return moment.astimezone(ISTANBUL)


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return number(value)
    if isinstance(value, datetime):
        return _local(value).isoformat(timespec="seconds")
    return value


class _Words:
    """The Turkish words of the export, rendered once per export (not per row)."""

    def __init__(self) -> None:
        keys = {*STATUS_KEYS, *INDICATOR_KEYS}
        self.columns = {k: texts.say(TEMPLATE, "column", key=k) for k in keys}
        self.record_column = texts.say(TEMPLATE, "record_column")
        self.records = {kind: texts.say(TEMPLATE, "record", kind=kind) for kind, _ in KINDS}
        self.sheets = {kind: texts.say(TEMPLATE, "sheet", kind=kind) for kind, _ in KINDS}
        self.yes = texts.say(TEMPLATE, "yes_no", value=True)
        self.no = texts.say(TEMPLATE, "yes_no", value=False)


def _text_value(value: Any, words: _Words) -> Any:
    """A CSV field before `csv_field`: yes/no as words, times as Istanbul local text."""
    if isinstance(value, bool):
        return words.yes if value else words.no
    if isinstance(value, datetime):
        return _local(value).strftime("%Y-%m-%d %H:%M:%S")
    return value


def _sheet_value(value: Any, words: _Words) -> Any:
    """A cell for XLSX: numbers as numbers, times as naive Istanbul datetimes."""
    if isinstance(value, bool):
        return words.yes if value else words.no
    if isinstance(value, datetime):
        return _local(value).replace(tzinfo=None)
    return value


# --------------------------------------------------------------------------------- formats


def to_json(export: UpdatesExport) -> bytes:
    document = {
        "plan": export.plan,
        "status_updates": [
            {k: _json_value(row[k]) for k in STATUS_KEYS} for row in export.status_updates
        ],
        "indicator_values": [
            {k: _json_value(row[k]) for k in INDICATOR_KEYS} for row in export.indicator_values
        ],
    }
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _unique(labels: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(labels))


def to_csv(export: UpdatesExport) -> bytes:
    words = _Words()
    header = [words.record_column, *_unique(words.columns[k] for k in CSV_KEYS)]
    position = {label: i for i, label in enumerate(header)}
    rows: list[list[Any]] = [header]
    for kind, keys in KINDS:
        for row in getattr(export, kind):
            line: list[Any] = [None] * len(header)
            line[0] = words.records[kind]
            for key in keys:
                line[position[words.columns[key]]] = _text_value(row[key], words)
            rows.append(line)
    return csv_bytes(rows)


def to_xlsx(export: UpdatesExport) -> bytes:
    words = _Words()
    sheets = []
    for kind, keys in KINDS:
        # Telegram ids in full, never as 1.23E+09.
        sheet = Sheet(words.sheets[kind], number_formats={keys.index("person_telegram_id"): "0"})
        sheet.header([words.columns[k] for k in keys])
        for row in getattr(export, kind):
            sheet.row([_sheet_value(row[k], words) for k in keys])
        sheets.append(sheet)
    return workbook_bytes(sheets)


def render(export: UpdatesExport, fmt: str) -> bytes:
    if fmt == "json":
        return to_json(export)
    if fmt == "csv":
        return to_csv(export)
    if fmt == "xlsx":
        return to_xlsx(export)
    raise ValueError(fmt)
