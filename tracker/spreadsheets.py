"""The one writer of kume's spreadsheets (XLSX) and CSV files; what a person typed stays text.

A narrative, a name or a plan title can look like a formula (`=HYPERLINK(...)`, `+90 232 …`,
`@SUM(1)`), and the agency opens kume's files in Excel, which would run it. So:

- XLSX: every `str` becomes an explicit string cell (XlsxWriter's write_string, its guessing
  switched off): "=…" never becomes a formula, "#N/A" never an error value, "http…" never a
  link. Numbers and times become number and date cells; nothing reaches a sheet untyped.
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
from collections.abc import Iterable, Mapping, Sequence
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
_MAX_TEXT = 32767  # characters Excel holds in a cell
# The control characters XML 1.0 cannot hold (openpyxl's ILLEGAL_CHARACTERS_RE).
_ILLEGAL_CHARACTERS = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")
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
        # XlsxWriter loads only when a workbook is written: the CSV writers here, and the
        # modules that import them for CSV, do not pay for it.
        from xlsxwriter.utility import xl_col_to_name

        first = next((i for i, (kind, _v) in enumerate(self.rows) if kind == "header"), None)
        if first is None:
            return None
        last = first
        while last + 1 < len(self.rows) and self.rows[last + 1][0] == "data":
            last += 1
        return f"A{first + 1}:{xl_col_to_name(len(self.rows[first][1]) - 1)}{last + 1}"


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
    """The sheets as one .xlsx file.

    Written by XlsxWriter rather than openpyxl (which kume still uses to read spreadsheets):
    openpyxl's write-only mode took 2.3 times as long for the same cells, most of /rapor's
    time at 10× the data (bench/run.py). XlsxWriter's guesses are all switched off, so a
    text is a text cell whatever it looks like: "=…" is no formula, "http…" no link, "12" no
    number."""
    import xlsxwriter  # deferred: loads only when a workbook is written

    raw = io.BytesIO()
    workbook = xlsxwriter.Workbook(raw, {
        "in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
        "strings_to_numbers": False,
    })
    workbook.set_properties({"author": "kume", "created": FIXED_TIME})
    formats = _Formats(workbook)
    for sheet in sheets:
        _write_sheet(workbook, sheet, formats)
    workbook.close()
    # In memory, XlsxWriter dates every entry 1980-01-01, and the document's times are
    # FIXED_TIME: the same content gives the same bytes.
    return raw.getvalue()


class _Formats:
    """A workbook's cell formats by name, each made once and shared by every sheet."""

    def __init__(self, workbook: Any) -> None:
        self._workbook = workbook
        self._made: dict[str, Any] = {
            "bold": workbook.add_format({"bold": True}),
            "time": workbook.add_format({"num_format": DATETIME_FORMAT}),
            "wrap": workbook.add_format({"text_wrap": True, "valign": "top"}),
        }

    def __getitem__(self, name: str | None) -> Any:
        if name is None:
            return None
        if name not in self._made:  # a number format of a column
            self._made[name] = self._workbook.add_format({"num_format": name})
        return self._made[name]


def _write_sheet(workbook: Any, spec: Sheet, formats: _Formats) -> None:
    sheet = workbook.add_worksheet(spec.title)
    wrap: set[int] = set()
    for i, needed in enumerate(spec.widths()):
        width = needed + 2
        sheet.set_column(i, i, max(min(width, spec.width_cap), _MIN_WIDTH))
        if width > spec.width_cap:
            wrap.add(i)
    sheet.freeze_panes("A2")
    ref = spec.filter_ref()
    if ref:
        sheet.autofilter(ref)
    for r, (kind, values) in enumerate(spec.rows):
        for c, value in enumerate(values):
            if value is None:
                continue
            style: str | None = None
            if kind == "header" or (kind == "key" and c == 0):
                style = "bold"
            elif isinstance(value, datetime):
                style = "time"
            elif kind == "data" and isinstance(value, int | float) and c in spec.number_formats:
                style = spec.number_formats[c]
            elif kind == "data" and isinstance(value, str) and c in wrap:
                style = "wrap"
            if isinstance(value, str):
                # XML 1.0 cannot hold most control characters; they show nothing, so they are
                # left out rather than escaped.
                text = _ILLEGAL_CHARACTERS.sub("", value)[:_MAX_TEXT]
                sheet.write_string(r, c, text, formats[style])
            elif isinstance(value, datetime):
                sheet.write_datetime(r, c, value, formats[style])
            else:
                sheet.write_number(r, c, value, formats[style])
