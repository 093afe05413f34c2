"""A bulletin's period: a quarter ("2014Q1") or a month ("2014-03"), with its bounds."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from tracker.errors import DomainError
from tracker.quarters import ISTANBUL, Quarter, QuarterError

_MONTH = re.compile(r"^(?P<year>\d{4})-(?P<month>\d{1,2})$")


class PeriodError(DomainError):
    """A period that is neither a quarter nor a month (texts/bulletins.j2 words it)."""

    template = "texts/bulletins.j2"


@dataclass(frozen=True)
class Period:
    """A quarter, or one month of a year (month set); `str()` is the canonical key."""

    year: int
    quarter: int
    month: int | None = None

    def __str__(self) -> str:
        if self.month is not None:
            return f"{self.year}-{self.month:02d}"
        return str(Quarter(self.year, self.quarter))

    @property
    def is_month(self) -> bool:
        return self.month is not None

    @property
    def quarter_of(self) -> Quarter:
        """The reporting quarter the period lies in (status updates and figures are kept per
        quarter)."""
        return Quarter(self.year, self.quarter)

    @property
    def start(self) -> datetime:
        if self.month is None:
            return self.quarter_of.start
        return datetime(self.year, self.month, 1, tzinfo=ISTANBUL)

    @property
    def end(self) -> datetime:
        """The start of the next period: an exclusive bound."""
        if self.month is None:
            return self.quarter_of.end
        year, month = (self.year + 1, 1) if self.month == 12 else (self.year, self.month + 1)
        return datetime(year, month, 1, tzinfo=ISTANBUL)


def parse_period(text: str) -> Period:
    """"2014Q1" (or any form tracker.quarters reads) or "2014-03"; PeriodError otherwise."""
    shown = text.strip()
    match = _MONTH.match(shown)
    if match is not None:
        month = int(match["month"])
        if not 1 <= month <= 12:
            raise PeriodError("bulletin_period", text=shown)
        year = int(match["year"])
        return Period(year, (month - 1) // 3 + 1, month)
    try:
        quarter = Quarter.parse(shown)
    except QuarterError:
        raise PeriodError("bulletin_period", text=shown) from None
    return Period(quarter.year, quarter.q)
