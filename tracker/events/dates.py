"""An event's date and time as a secretary types it, in Turkish, read in Europe/Istanbul.

A small parser rather than `dateparser`: the forms are few and fixed ("12 Mayıs 14:00",
"12 mayıs 2014 14:00", "12.05.2014 14:00", "yarın 10:00", "bugün 16:30"), and a wrong form
must be refused with a precise reason, never guessed into a different day.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from tracker.errors import DomainError
from tracker.quarters import ISTANBUL
from tracker.turkish import fold

MONTHS = {
    "ocak": 1, "subat": 2, "mart": 3, "nisan": 4, "mayis": 5, "haziran": 6, "temmuz": 7,
    "agustos": 8, "eylul": 9, "ekim": 10, "kasim": 11, "aralik": 12,
}
RELATIVE = {"bugun": 0, "yarin": 1}
FARTHEST = timedelta(days=2 * 366)  # further ahead is a typing slip ("2041" for "2014")

_TIME = r"(?P<hour>\d{1,2})[:.](?P<minute>\d{2})"
_NAMED = re.compile(rf"^(?P<day>\d{{1,2}}) (?P<month>[a-z]+)(?: (?P<year>\d{{4}}))? {_TIME}$")
_NUMERIC = re.compile(
    rf"^(?P<day>\d{{1,2}})[./](?P<month>\d{{1,2}})[./](?P<year>\d{{4}}) {_TIME}$")
_RELATIVE = re.compile(rf"^(?P<word>[a-z]+) (?:saat )?{_TIME}$")
# A month name typed with a suffix ("Mayıs'ta"): the apostrophe and what follows go.
_SUFFIX = re.compile(r"['’]\w*")


class EventDateError(DomainError):
    """A date the parser does not take; worded by templates/texts/errors.j2 (code)."""


def parse_event_time(text: str, now: datetime) -> datetime:
    """The moment `text` names, aware in Europe/Istanbul; EventDateError says why not.

    Without a year the date is this year's, or next year's if its day has gone by ("12 Ocak"
    written in December). A moment not after `now` is refused: events are announced ahead.
    """
    local_now = now.astimezone(ISTANBUL)
    words = _SUFFIX.sub("", fold(text)).replace(",", " ")
    words = " ".join(words.split())
    moment = _read(words, local_now.date())
    if moment <= local_now:
        raise EventDateError("event_date_past", moment=moment, now=local_now)
    if moment > local_now + FARTHEST:
        raise EventDateError("event_date_far", moment=moment)
    return moment


def _read(words: str, today: date) -> datetime:
    if not words:
        raise EventDateError("event_date_empty")
    if match := _NUMERIC.match(words):
        day = _date(int(match["year"]), int(match["month"]), int(match["day"]))
        return _at(day, match)
    if match := _NAMED.match(words):
        month = MONTHS.get(match["month"])
        if month is None:
            raise EventDateError("event_date_month", word=match["month"])
        year = int(match["year"]) if match["year"] else None
        day = _date(year or today.year, month, int(match["day"]))
        if year is None and day < today:
            day = _date(today.year + 1, month, int(match["day"]))
        return _at(day, match)
    if (match := _RELATIVE.match(words)) and match["word"] in RELATIVE:
        return _at(today + timedelta(days=RELATIVE[match["word"]]), match)
    if not re.search(r"\d{1,2}[:.]\d{2}$", words):
        raise EventDateError("event_date_no_time")
    raise EventDateError("event_date_form")


def _date(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise EventDateError("event_date_invalid_day", day=day, month=month, year=year) from None


def _at(day: date, match: re.Match[str]) -> datetime:
    hour, minute = int(match["hour"]), int(match["minute"])
    if hour > 23 or minute > 59:
        raise EventDateError("event_date_invalid_time", hour=hour, minute=minute)
    return datetime.combine(day, time(hour, minute), tzinfo=ISTANBUL)
