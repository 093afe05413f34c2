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
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from operator import itemgetter
from typing import Any

from sqlalchemy import RowMapping
from sqlalchemy.orm import Mapped
from sqlmodel import Session, col
from sqlmodel.sql.expression import Select

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
from tracker.rows import select_columns
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
    return UpdatesExport(
        plan.code,
        status_updates=_read(session, _status_updates(plan), since, until),
        indicator_values=_read(session, _indicator_values(plan), since, until),
    )


@dataclass(frozen=True)
class _Kind:
    """How one kind of stored row is read into export rows.

    `query` labels its columns with the export's keys where they are copied as they are;
    `quarter` is the column the quarter filters apply to; rows sort by `order`; rows with the
    same `versions` are versions of one answer (the highest is `current`); `computed` gives
    the keys that are not plain columns.
    """

    query: Select[*tuple[Any, ...]]
    quarter: Mapped[str]
    order: Callable[[RowMapping], tuple[Any, ...]]
    versions: Callable[[RowMapping], tuple[Any, ...]]
    computed: Callable[[RowMapping], dict[str, Any]]
    keys: tuple[str, ...]


def _read(session: Session, kind: _Kind, since: Quarter | None,
          until: Quarter | None) -> list[dict[str, Any]]:
    query = kind.query
    # Canonical quarters ("2014Q2", four-digit years) sort and compare correctly as text.
    if since is not None:
        query = query.where(kind.quarter >= str(since))
    if until is not None:
        query = query.where(kind.quarter <= str(until))
    # execute, as exec does (same flush, same rows): exec's typed result has no mappings()
    found = sorted(session.execute(query).mappings(), key=kind.order)
    # The quarter filters keep or drop whole groups (the quarter is part of the group), so
    # the rows at hand always hold every version of their group.
    latest: dict[tuple[Any, ...], int] = {}
    for r in found:
        group = kind.versions(r)
        latest[group] = max(latest.get(group, 0), r["version"])
    copied = [k for k in kind.keys if k in kind.query.selected_columns]
    return [{**{k: r[k] for k in copied}, **kind.computed(r),
             "current": r["version"] == latest[kind.versions(r)]}
            for r in found]


def _status_updates(plan: Plan) -> _Kind:
    labels = status_labels()

    def computed(r: RowMapping) -> dict[str, Any]:
        status = str(r["status"])
        return {"quarter_label": _period_label(r["quarter"]), "status": status,
                "status_label": labels.get(status, status)}

    query = (
        select_columns(
            col(StatusUpdate.action_id),
            col(StatusUpdate.organisation_id),
            col(StatusUpdate.quarter),
            col(StatusUpdate.status),
            col(StatusUpdate.progress),
            col(StatusUpdate.narrative),
            col(StatusUpdate.blockers),
            col(StatusUpdate.evidence_link),
            col(StatusUpdate.evidence_file_name),
            col(StatusUpdate.evidence_note),
            col(StatusUpdate.version),
            col(StatusUpdate.created_at),
            col(Action.code).label("action_code"),
            col(Action.title).label("action_title"),
            col(Action.position).label("action_position"),
            col(Organisation.short).label("organisation_short"),
            col(Organisation.name).label("organisation_name"),
            col(Organisation.position).label("organisation_position"),
            col(Person.display_name).label("person_name"),
            col(Person.telegram_user_id).label("person_telegram_id"),
        )
        .join(Action, col(Action.id) == StatusUpdate.action_id)
        .join(Organisation, col(Organisation.id) == StatusUpdate.organisation_id)
        .outerjoin(Person, col(Person.id) == StatusUpdate.person_id)
        .where(col(Action.plan_id) == plan.id)
    )
    return _Kind(
        query=query,
        quarter=col(StatusUpdate.quarter),
        order=itemgetter("quarter", "action_position", "action_code", "organisation_position",
                         "organisation_short", "version"),
        versions=itemgetter("action_id", "organisation_id", "quarter"),
        computed=computed,
        keys=STATUS_KEYS,
    )


def _indicator_values(plan: Plan) -> _Kind:
    def order(r: RowMapping) -> tuple[Any, ...]:
        # A figure about a cluster comes before figures about single organisations.
        return (r["period"], r["indicator_position"], r["indicator_code"],
                r["cluster_code"] is None, r["cluster_position"] or 0, r["cluster_code"] or "",
                r["organisation_position"], r["organisation_short"], r["version"])

    query = (
        select_columns(
            col(IndicatorValue.indicator_id),
            col(IndicatorValue.subject_key),
            col(IndicatorValue.period),
            col(IndicatorValue.value),
            col(IndicatorValue.note),
            col(IndicatorValue.version),
            col(IndicatorValue.created_at),
            col(Indicator.code).label("indicator_code"),
            col(Indicator.title).label("indicator_title"),
            col(Indicator.position).label("indicator_position"),
            col(Indicator.unit).label("unit"),
            col(Cluster.code).label("cluster_code"),
            col(Cluster.name).label("cluster_name"),
            col(Cluster.position).label("cluster_position"),
            col(Organisation.short).label("organisation_short"),
            col(Organisation.name).label("organisation_name"),
            col(Organisation.position).label("organisation_position"),
            col(Person.display_name).label("person_name"),
            col(Person.telegram_user_id).label("person_telegram_id"),
        )
        .join(Indicator, col(Indicator.id) == IndicatorValue.indicator_id)
        .join(Organisation, col(Organisation.id) == IndicatorValue.organisation_id)
        .outerjoin(Cluster, col(Cluster.id) == IndicatorValue.cluster_id)
        .outerjoin(Person, col(Person.id) == IndicatorValue.person_id)
        .where(col(Indicator.plan_id) == plan.id)
    )
    return _Kind(
        query=query,
        quarter=col(IndicatorValue.period),
        order=order,
        versions=itemgetter("indicator_id", "subject_key", "period"),
        computed=lambda r: {"period_label": _period_label(r["period"])},
        keys=INDICATOR_KEYS,
    )


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
