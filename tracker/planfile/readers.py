"""Read a plan file (JSON, YAML, CSV or XLSX) into located records."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import yaml

from tracker import texts
from tracker.planfile.layout import CSV_TABLE_COLUMN, TABLE_BY_KEY, TABLES, Table
from tracker.planfile.records import FileKind, PlanImportError, Problem, Record
from tracker.spreadsheets import from_csv_text
from tracker.turkish import fold

MAX_FILE_BYTES = 20 * 1024 * 1024


def _say(macro: str, **params: Any) -> str:
    return texts.say("texts/plan_import.j2", macro, **params)


def kind_of(path: Path) -> FileKind | None:
    suffix = path.suffix.casefold()
    kinds: dict[str, FileKind] = {
        ".json": "json",
        ".yaml": "yaml",
        ".yml": "yaml",
        ".csv": "csv",
        ".xlsx": "xlsx",
    }
    return kinds.get(suffix)


def read_records(path: Path, name: str | None = None) -> tuple[FileKind, list[Record]]:
    """All records of the file; raises PlanImportError for a file that cannot be read at all."""
    shown = name or path.name
    kind = kind_of(path)

    def fail(message: str, kind_: FileKind = "json") -> PlanImportError:
        return PlanImportError([Problem(shown, kind or kind_, "", None, None, message)])

    if kind is None:
        raise fail(_say("unsupported_format", suffix=path.suffix or "—"))
    try:
        size = path.stat().st_size
    except FileNotFoundError as exc:
        raise fail(_say("file_missing")) from exc
    if size > MAX_FILE_BYTES:
        raise fail(_say("file_too_large", megabytes=MAX_FILE_BYTES // (1024 * 1024)))
    data = path.read_bytes()
    try:
        if kind == "json":
            return kind, _document_records(json.loads(data.decode("utf-8-sig")), shown, kind)
        if kind == "yaml":
            return kind, _document_records(yaml.safe_load(data.decode("utf-8-sig")), shown, kind)
        if kind == "csv":
            return kind, _csv_records(data.decode("utf-8-sig"), shown)
        return kind, _xlsx_records(data, shown)
    except UnicodeDecodeError as exc:
        raise fail(_say("not_utf8")) from exc
    except json.JSONDecodeError as exc:
        raise fail(_unparsable("json", exc.lineno, exc.colno)) from exc
    except yaml.YAMLError as exc:
        raise fail(_unparsable("yaml", *_yaml_place(exc))) from exc


def _unparsable(kind: FileKind, line: int | None = None, column: int | None = None) -> str:
    return _say("unparsable", kind=kind, line=line, column=column)


def _yaml_place(error: yaml.YAMLError) -> tuple[int | None, int | None]:
    """Line and column (1-based) where the YAML parser stopped, when it says."""
    mark = error.problem_mark if isinstance(error, yaml.MarkedYAMLError) else None
    return (mark.line + 1, mark.column + 1) if mark is not None else (None, None)


def _document_records(doc: Any, file: str, kind: FileKind) -> list[Record]:
    if not isinstance(doc, dict):
        raise PlanImportError([Problem(file, kind, "", None, None, _say("not_a_plan_document"))])
    problems: list[Problem] = []
    records: list[Record] = []
    for key in doc:
        if key not in TABLE_BY_KEY:
            problems.append(Problem(file, kind, str(key), None, None, _say("unknown_table")))
    for table in TABLES:
        raw = doc.get(table.key)
        if raw is None:
            continue
        items = [raw] if table.single else raw
        if table.single and not isinstance(raw, dict) or not isinstance(items, list):
            problems.append(Problem(file, kind, table.key, None, None, _say("wrong_shape")))
            continue
        for index, item in enumerate(items, start=1):
            row = None if table.single else index
            if not isinstance(item, dict):
                problems.append(Problem(file, kind, table.key, row, None, _say("wrong_shape")))
                continue
            known = {c.key for c in table.columns}
            for extra in item.keys() - known:
                problems.append(
                    Problem(file, kind, table.key, row, str(extra), _say("unknown_column"))
                )
            records.append(Record(table.key, row or 1, {k: item.get(k) for k in known}))
    if problems:
        raise PlanImportError(problems)
    return records


def _split_cell(table: Table, key: str, value: Any) -> Any:
    column = table.column(key)
    if isinstance(value, str):
        value = value.strip()
        if value == "":
            return None
        if column.is_list:
            parts = value.replace(",", ";").split(";") if key == "quarters" else value.split(";")
            return [p.strip() for p in parts if p.strip()]
    return value


def _csv_records(text: str, file: str) -> list[Record]:
    # Export quoted text that a spreadsheet would take for a formula; take that quote away.
    # newline="": the csv module finds the line ends itself, so a file saved with "\r" alone
    # (old Mac spreadsheets) reads as well as one with "\r\n" or "\n".
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        rows = [[from_csv_text(cell) for cell in row] for row in reader]
    except csv.Error as exc:  # with newline="", only a cell past the module's limit is left
        limit = csv.field_size_limit()
        raise PlanImportError(
            [Problem(file, "csv", "", reader.line_num, None, _say("cell_too_long", limit=limit))]
        ) from exc
    if not rows:
        raise PlanImportError([Problem(file, "csv", "", None, None, _say("empty_file"))])
    header = [h.strip() for h in rows[0]]
    if not header or header[0] != CSV_TABLE_COLUMN:
        raise PlanImportError(
            [Problem(file, "csv", "", 1, None, _say("csv_header", column=CSV_TABLE_COLUMN))]
        )
    problems: list[Problem] = []
    records: list[Record] = []
    for line_no, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        table = _table_named(row[0].strip())
        if table is None:
            problems.append(
                Problem(file, "csv", row[0].strip(), line_no, None, _say("unknown_table"))
            )
            continue
        labels = {c.label: c.key for c in table.columns}
        values: dict[str, Any] = {c.key: None for c in table.columns}
        for label, cell in zip(header[1:], row[1:], strict=False):
            if not cell.strip():
                continue
            if label not in labels:
                problems.append(
                    Problem(file, "csv", table.key, line_no, label, _say("column_not_in_table"))
                )
                continue
            values[labels[label]] = _split_cell(table, labels[label], cell)
        records.append(Record(table.key, line_no, values))
    if problems:
        raise PlanImportError(problems)
    return records


def _table_named(name: str) -> Table | None:
    wanted = fold(name)
    for table in TABLES:
        if wanted in (fold(table.label), fold(table.key)):
            return table
    return None


def _xlsx_records(data: bytes, file: str) -> list[Record]:
    # openpyxl takes 0.1-0.2 s to import; only an XLSX file needs it (JSON, YAML, CSV do not).
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise PlanImportError(
            [Problem(file, "xlsx", "", None, None, _unparsable("xlsx"))]
        ) from exc
    problems: list[Problem] = []
    records: list[Record] = []
    for sheet in workbook.worksheets:
        table = _table_named(sheet.title)
        if table is None:
            problems.append(Problem(file, "xlsx", sheet.title, None, None, _say("unknown_table")))
            continue
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            continue
        labels = {fold(c.label): c.key for c in table.columns}
        keys: list[str | None] = []
        letters: dict[str, str] = {}
        for index, cell in enumerate(header, start=1):
            label = str(cell).strip() if cell is not None else ""
            key = labels.get(fold(label)) if label else None
            if label and key is None:
                problems.append(
                    Problem(
                        file,
                        "xlsx",
                        table.key,
                        1,
                        label,
                        _say("unknown_column"),
                        letter=get_column_letter(index),
                    )
                )
            keys.append(key)
            if key:
                letters[key] = get_column_letter(index)
        for row_no, row in enumerate(rows, start=2):
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in row):
                continue
            values: dict[str, Any] = {c.key: None for c in table.columns}
            for key, cell in zip(keys, row, strict=False):
                if key is not None:
                    values[key] = _split_cell(table, key, cell)
            records.append(Record(table.key, row_no, values, letters))
    workbook.close()
    if problems:
        raise PlanImportError(problems)
    return records
