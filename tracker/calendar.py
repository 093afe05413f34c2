"""The reporting calendar: when a quarter's window opens, is due, reminds, escalates, locks.

Every scheduled send falls on a working day (no weekends, no Turkish public holidays, the
religious ones included) at the configured send time, which lies outside quiet hours.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache

import holidays

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


@lru_cache(maxsize=64)
def _holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("TR", years=year, language="tr")


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
