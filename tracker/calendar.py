"""The reporting calendar: when a quarter's window opens, is due, reminds, escalates, locks.

Every scheduled send falls on a working day (no weekends, no Turkish public holidays, the
religious ones included) at the configured send time, which lies outside quiet hours.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache, lru_cache
from pathlib import Path

from tracker.quarters import ISTANBUL, Quarter


@dataclass(frozen=True)
class CalendarSettings:
    # The window opens on the first working day after the quarter ends, at `send_time`.
    due_days: int = 15  # due this many days after the window opens (then the next working day)
    reminder_days: tuple[int, ...] = (-7, -1, 3)  # relative to the due date
    escalate_days: int = 5  # agency hears of the missing answers this many days after due
    lock_days: int = 45  # the quarter locks this many days after it ends
    send_time: time = time(10, 0)
    quiet_start: time = time(20, 0)
    quiet_end: time = time(9, 0)
    grace_days: int = 3  # after downtime, sends missed by more than this are summarised


# Turkey's public holidays as the `holidays` library gives them, kept as a table of its answers
# (tracker/holidays_tr.json; `python -m tracker.calendar` writes it anew): to give one country
# the library imports the modules of all of its ~150, 12 MiB of the bot's ~120, where the table
# is 25 KiB. A year outside the table asks the library itself. tests/unit/test_holiday_table.py
# holds the table equal to the library's answers, so a new release of it cannot be missed.
HOLIDAY_TABLE = Path(__file__).with_name("holidays_tr.json")
TABLE_YEARS = range(2010, 2051)


def library_holidays(years: range) -> dict[str, str]:
    """The library's answer: ISO date → the holiday's Turkish name."""
    import holidays

    found = holidays.country_holidays("TR", years=list(years), language="tr")
    return {day.isoformat(): name for day, name in sorted(found.items())}


@cache
def _table() -> dict[str, str]:
    table: dict[str, str] = json.loads(HOLIDAY_TABLE.read_text(encoding="utf-8"))
    return table


@lru_cache(maxsize=64)
def _holidays(year: int) -> dict[date, str]:
    if year in TABLE_YEARS:
        found = {day: name for day, name in _table().items() if day.startswith(f"{year}-")}
    else:
        found = library_holidays(range(year, year + 1))
    return {date.fromisoformat(day): name for day, name in found.items()}


def holiday_name(day: date) -> str | None:
    return _holidays(day.year).get(day)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and holiday_name(day) is None


def next_working_day(day: date) -> date:
    """`day` itself if it is a working day, else the first one after it."""
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def at_send_time(day: date, settings: CalendarSettings) -> datetime:
    return datetime.combine(next_working_day(day), settings.send_time, tzinfo=ISTANBUL)


def in_quiet_hours(moment: datetime, settings: CalendarSettings) -> bool:
    local = moment.astimezone(ISTANBUL).time()
    if settings.quiet_start > settings.quiet_end:  # spans midnight
        return local >= settings.quiet_start or local < settings.quiet_end
    return settings.quiet_start <= local < settings.quiet_end


def may_send_at(moment: datetime, settings: CalendarSettings) -> bool:
    """Scheduled messages go out on working days outside quiet hours."""
    local = moment.astimezone(ISTANBUL)
    return is_working_day(local.date()) and not in_quiet_hours(local, settings)


def next_send_window(moment: datetime, settings: CalendarSettings) -> datetime:
    """The first instant at or after `moment` when a scheduled message may go out."""
    local = moment.astimezone(ISTANBUL)
    if may_send_at(local, settings):
        return local
    day = local.date()
    if is_working_day(day) and local.time() < settings.quiet_end:
        return datetime.combine(day, settings.quiet_end, tzinfo=ISTANBUL)
    return datetime.combine(next_working_day(day + timedelta(days=1)), settings.quiet_end,
                            tzinfo=ISTANBUL)


@dataclass(frozen=True)
class QuarterSchedule:
    quarter: Quarter
    opens: datetime
    due: date
    reminders: tuple[datetime, ...]
    escalation: datetime
    locks: datetime


def schedule(quarter: Quarter, settings: CalendarSettings) -> QuarterSchedule:
    opens = at_send_time(quarter.end.date(), settings)
    due = next_working_day(opens.date() + timedelta(days=settings.due_days))
    reminders = tuple(at_send_time(due + timedelta(days=offset), settings)
                      for offset in settings.reminder_days)
    return QuarterSchedule(
        quarter=quarter,
        opens=opens,
        due=due,
        reminders=reminders,
        escalation=at_send_time(due + timedelta(days=settings.escalate_days), settings),
        locks=lock_instant(quarter, settings),
    )


def lock_instant(quarter: Quarter, settings: CalendarSettings) -> datetime:
    return quarter.end + timedelta(days=settings.lock_days)


def reporting_quarter(now: datetime, settings: CalendarSettings) -> Quarter | None:
    """The last ended quarter while its reporting window is open, else None."""
    last_ended = Quarter.of(now).previous()
    return last_ended if now < lock_instant(last_ended, settings) else None


def is_locked(quarter: Quarter, now: datetime, settings: CalendarSettings) -> bool:
    return now >= lock_instant(quarter, settings)


def write_holiday_table() -> None:
    """Write tracker/holidays_tr.json from the installed `holidays` library."""
    table = library_holidays(TABLE_YEARS)
    HOLIDAY_TABLE.write_text(json.dumps(table, ensure_ascii=False, indent=0) + "\n",
                             encoding="utf-8")
    print(f"{HOLIDAY_TABLE}: {len(table)} holidays, {TABLE_YEARS.start}–{TABLE_YEARS.stop - 1}",
          file=sys.stderr)


if __name__ == "__main__":
    write_holiday_table()
