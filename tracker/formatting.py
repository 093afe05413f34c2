"""Dates and numbers shown the Turkish way (Babel, tr_TR, Europe/Istanbul)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal, format_percent

from tracker.quarters import ISTANBUL, Quarter, quarter_runs
from tracker.turkish import shorten

LOCALE = "tr_TR"


def number(value: Decimal | int | float | None, decimals: int | None = None) -> str:
    if value is None:
        return "—"
    if decimals is not None:
        pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
        return format_decimal(value, format=pattern, locale=LOCALE)
    return format_decimal(value, locale=LOCALE)


def percent(value: Decimal | int | float | None) -> str:
    """`percent(12.5)` -> "%12,5" (the value is already in percent)."""
    if value is None:
        return "—"
    return format_percent(Decimal(str(value)) / 100, format="%#,##0.#", locale=LOCALE)


def day(value: date | datetime | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        value = value.astimezone(ISTANBUL).date()
    return format_date(value, format="d MMMM y", locale=LOCALE)


def moment(value: datetime | None) -> str:
    if value is None:
        return "—"
    return format_datetime(value.astimezone(ISTANBUL), format="d MMMM y HH:mm", locale=LOCALE)


def quarter_label(value: object) -> str:
    return (value if isinstance(value, Quarter) else Quarter.parse(str(value))).label


def add_suffix(value: object, suffix: str) -> str:
    return f"{value}{suffix}"


JINJA_FILTERS = {
    "shorten": shorten,
    "number": number,
    "percent": percent,
    "day": day,
    "moment": moment,
    "quarter_label": quarter_label,
    "quarter_runs": quarter_runs,
    "add_suffix": add_suffix,
}
