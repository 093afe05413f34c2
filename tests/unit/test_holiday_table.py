"""Turkey's public holidays come from a table of the `holidays` library's answers
(tracker/calendar.py says why): the table must be the library's answer, and a year outside it
still gets one."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date

from tracker import calendar


def test_the_table_is_what_the_library_says():
    """If this fails after an upgrade of `holidays`: python -m tracker.calendar writes it anew."""
    stored = json.loads(calendar.HOLIDAY_TABLE.read_text(encoding="utf-8"))
    assert stored == calendar.library_holidays(calendar.TABLE_YEARS)


def test_religious_holidays_and_years_outside_the_table_are_known():
    assert calendar.holiday_name(date(2014, 7, 28)) == "Ramazan Bayramı"
    assert not calendar.is_working_day(date(2014, 10, 6))  # Kurban Bayramı, a Monday
    assert calendar.is_working_day(date(2014, 10, 8))
    assert date(2060, 1, 1).year not in calendar.TABLE_YEARS
    assert calendar.holiday_name(date(2060, 1, 1)) == "Yılbaşı"  # asked of the library


def test_the_calendar_does_not_load_the_library_for_a_year_in_the_table():
    code = ("import sys; from datetime import date; from tracker import calendar; "
            "calendar.holiday_name(date(2014, 1, 1)); print('holidays' in sys.modules)")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stdout.strip()
    assert loaded == "False"
