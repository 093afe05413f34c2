"""When a quarter is reported on: which quarter is open now, and when it locks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tracker.quarters import Quarter


@dataclass(frozen=True)
class CalendarSettings:
    # A quarter is reported on after it ends, until it locks this many days later.
    lock_days: int = 45


def lock_instant(quarter: Quarter, settings: CalendarSettings) -> datetime:
    return quarter.end + timedelta(days=settings.lock_days)


def reporting_quarter(now: datetime, settings: CalendarSettings) -> Quarter | None:
    """The last ended quarter while its reporting window is open, else None."""
    last_ended = Quarter.of(now).previous()
    return last_ended if now < lock_instant(last_ended, settings) else None


def is_locked(quarter: Quarter, now: datetime, settings: CalendarSettings) -> bool:
    return now >= lock_instant(quarter, settings)
