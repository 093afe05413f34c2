"""The one writer of kume's spreadsheets (XLSX) and CSV files; what a person typed stays text.

A narrative, a name or a plan title can look like a formula (`=HYPERLINK(...)`, `+90 232 …`,
`@SUM(1)`), and the agency opens kume's files in Excel, which would run it. So:

- XLSX: every `str` becomes an explicit string cell (openpyxl data type "s", written as an
  inline string). openpyxl would otherwise guess: "=…" becomes a formula, "#N/A" an error value.
  Numbers and times become number and date cells; nothing reaches a sheet untyped.
- CSV: a text that begins with a formula character gets a single quote in front (OWASP's
  advice for CSV injection); numbers are written as numbers and left alone, so -5 stays -5.
  `from_csv_text` undoes it exactly (the plan import reads kume's own CSV).

Every sheet looks the same: a bold header row frozen above the data, an auto filter over the
first table, columns as wide as their longest line (capped; longer text wraps), times as
"dd.mm.yyyy hh:mm". The same content gives the same bytes (fixed document and zip times).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from copy import copy
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

# OWASP's formula characters: a cell starting with one of them is a formula to a spreadsheet.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"
# The rule is a bijection, so kume's CSV reads back as it was written: export puts one quote
# before a text that starts with a formula character *or with a quote*; import takes one quote
# away only where a formula character or a quote follows it. A quote a person typed before
# anything else ("'abc") is left as it is both ways; "'abc" itself is written "''abc".
_QUOTED = (*FORMULA_STARTS, QUOTE)

DATETIME_FORMAT = "dd.mm.yyyy hh:mm"
WIDTH_CAP = 60  # characters; a longer column wraps its text
_MIN_WIDTH = 6
_DATETIME_WIDTH = len("00.00.0000 00:00")
_MAX_TEXT = 32767  # characters Excel holds in a cell (openpyxl cuts there too)
# Fixed metadata times make an export of the same data the same file, byte for byte.
FIXED_TIME = datetime(2000, 1, 1)


def number(value: Decimal | None) -> int | float | None:
    """A stored decimal as a spreadsheet number: whole numbers as int."""
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


# ------------------------------------------------------------------------------------- CSV


def csv_text(text: str) -> str:
    """A text as a CSV field that no spreadsheet reads as a formula."""
    return QUOTE + text if text.startswith(_QUOTED) else text


def from_csv_text(field: str) -> str:
    """The text `csv_text` was given: exactly one quote less where it added one."""
    return field[1:] if field.startswith(QUOTE) and field[1:].startswith(_QUOTED) else field


def csv_field(value: Any) -> Any:
    """A value as a CSV field: text neutralised, numbers as numbers, None empty."""
    if value is None:
        return ""
    if isinstance(value, str):
        return csv_text(value)
    if isinstance(value, bool):
        raise TypeError("write yes/no as words, not as a bool")
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")  # exact, without exponent or trailing zeros
    if isinstance(value, int | float):
        return value
    raise TypeError(f"no CSV field for {type(value).__name__}")


def csv_bytes(rows: Iterable[Sequence[Any]]) -> bytes:
    """UTF-8 CSV, "\\n" line ends; every field through `csv_field`.

    Every text field is in double quotes: Excel set to Turkish splits a CSV at ";" (the
    Turkish list separator), so an unquoted "x;=1+2" would become a formula cell "=1+2"
    behind the leading-quote guard. Quoted, it stays one text field.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC)
    for row in rows:
        writer.writerow([csv_field(v) for v in row])
    return out.getvalue().encode("utf-8")


# ------------------------------------------------------------------------------------ XLSX


@dataclass
class Sheet:
    """A sheet's rows, collected first: widths and the filter must be set before writing.

    `number_formats` maps a column index (from 0) to the format of its numbers in data rows.
    The auto filter covers the first header and the rows under it up to the first blank row.
    """

    title: str
    width_cap: int = WIDTH_CAP
    number_formats: Mapping[int, str] = field(default_factory=dict)
    rows: list[tuple[str, list[Any]]] = field(default_factory=list)  # (kind, values)

    def header(self, labels: Sequence[str]) -> None:
        self.rows.append(("header", list(labels)))

    def row(self, values: Sequence[Any]) -> None:
        self.rows.append(("data", [_value(v) for v in values]))

    def key_row(self, values: Sequence[Any]) -> None:
        """A label in bold and its value (a fact under a table)."""
        self.rows.append(("key", [_value(v) for v in values]))

    def blank(self) -> None:
        self.rows.append(("blank", []))

    def widths(self) -> list[int]:
        """Characters each column needs (its longest line), before the cap."""
        needed: list[int] = []
        for _kind, values in self.rows:
            for i, value in enumerate(values):
                if i == len(needed):
                    needed.append(0)
                needed[i] = max(needed[i], _display_width(value))
        return needed

    def filter_ref(self) -> str | None:
        # openpyxl (0.1-0.2 s to import) loads only when a workbook is written: the CSV
        # writers here, and the modules that import them for CSV, do not pay for it.
        from openpyxl.utils import get_column_letter

        first = next((i for i, (kind, _v) in enumerate(self.rows) if kind == "header"), None)
        if first is None:
            return None
        last = first
        while last + 1 < len(self.rows) and self.rows[last + 1][0] == "data":
            last += 1
        return f"A{first + 1}:{get_column_letter(len(self.rows[first][1]))}{last + 1}"


def _value(value: Any) -> Any:
    if value is None or isinstance(value, str | datetime):
        return value
    if isinstance(value, bool):
        raise TypeError("write yes/no as words, not as a bool")
    if isinstance(value, Decimal):
        return number(value)
    if isinstance(value, float) and value != value:  # NaN: an empty cell of a DataFrame
        return None
    if isinstance(value, int | float):
        return value
    raise TypeError(f"no spreadsheet cell for {type(value).__name__}")


def _display_width(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, datetime):
        return _DATETIME_WIDTH
    if isinstance(value, str):
        return max(map(len, value.splitlines()), default=0)
    return len(str(value))


def workbook_bytes(sheets: Iterable[Sheet]) -> bytes:
    """The sheets as one .xlsx file (openpyxl, write-only mode)."""
    from openpyxl import Workbook  # deferred: see Sheet.filter_ref

    workbook = Workbook(write_only=True)
    for sheet in sheets:
        _write_sheet(workbook, sheet)
    workbook.properties.creator = "kume"
    workbook.properties.created = FIXED_TIME
    workbook.properties.modified = FIXED_TIME
    raw = io.BytesIO()
    workbook.save(raw)
    return _normalise_zip(raw.getvalue())


def _write_sheet(workbook: Any, spec: Sheet) -> None:
    # Deferred like every openpyxl import here: see Sheet.filter_ref.
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    sheet = workbook.create_sheet(spec.title)
    wrap: set[int] = set()
    for i, needed in enumerate(spec.widths()):
        width = needed + 2
        sheet.column_dimensions[get_column_letter(i + 1)].width = max(
            min(width, spec.width_cap), _MIN_WIDTH
        )
        if width > spec.width_cap:
            wrap.add(i)
    sheet.freeze_panes = "A2"
    ref = spec.filter_ref()
    if ref:
        sheet.auto_filter.ref = ref

    # Styled cells copy the style of one prototype cell per kind: setting fonts and formats
    # cell by cell costs more than writing the cell. `_style` and `_value` are openpyxl's own
    # slots, which its stubs do not declare (hence the three ignores below).
    def prototype(**style: Any) -> Any:
        cell = WriteOnlyCell(sheet)
        for name, value in style.items():
            setattr(cell, name, value)
        return cell._style  # type: ignore[attr-defined]

    styles = {
        "bold": prototype(font=Font(bold=True)),
        "time": prototype(number_format=DATETIME_FORMAT),
        "wrap": prototype(alignment=Alignment(wrap_text=True, vertical="top")),
    }
    for fmt in set(spec.number_formats.values()):
        styles[fmt] = prototype(number_format=fmt)

    def cell(value: Any, style: str | None) -> Any:
        if isinstance(value, str):
            made = WriteOnlyCell(sheet)
            # Set as text, not through `value`, which guesses ("=…" a formula, "#N/A" an
            # error) and checks the string again. XML 1.0 cannot hold most control characters
            # (openpyxl would refuse the file); they show nothing, so they are left out.
            made._value = ILLEGAL_CHARACTERS_RE.sub("", value)[:_MAX_TEXT]  # type: ignore[attr-defined]
            made.data_type = "s"
        elif style is None:
            return value
        else:
            made = WriteOnlyCell(sheet, value=value)
        if style is not None:
            made._style = copy(styles[style])  # type: ignore[attr-defined]
        return made

    for kind, values in spec.rows:
        out: list[Any] = []
        for i, value in enumerate(values):
            style: str | None = None
            if kind == "header" or (kind == "key" and i == 0):
                style = "bold"
            elif isinstance(value, datetime):
                style = "time"
            elif kind == "data" and isinstance(value, int | float) and i in spec.number_formats:
                style = spec.number_formats[i]
            elif kind == "data" and isinstance(value, str) and i in wrap:
                style = "wrap"
            out.append(None if value is None else cell(value, style))
        sheet.append(out)


def _normalise_zip(data: bytes) -> bytes:
    """Rewrite the archive with fixed entry times (openpyxl stamps the current time)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            payload = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                payload = _fixed_core_times(payload)
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            target.writestr(fixed, payload)
    return out.getvalue()


def _fixed_core_times(xml: bytes) -> bytes:
    return re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(<)", rb"\g<1>2000-01-01T00:00:00Z\g<2>", xml)
