"""The calendar file of an event (.ics, RFC 5545) made with the `icalendar` library, which
escapes the text (commas, semicolons, new lines) and folds long lines.

The UID is the event's own, so a calendar that imports the file again after a change updates
the entry (SEQUENCE grows with every change) instead of adding a second one.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from tracker.models import Event, EventStatus

if TYPE_CHECKING:
    from icalendar import Calendar
    from icalendar import Event as CalendarEvent

DEFAULT_LENGTH = timedelta(hours=2)  # the dialog does not ask for an end: most meetings


def uid(event: Event) -> str:
    return f"kume-event-{event.id}@kume"


def file_name(event: Event) -> str:
    return f"etkinlik-{event.id}.ics"


def entry(event: Event, now: datetime) -> CalendarEvent:
    """The event as a VEVENT, for its own file or for the portal's calendar feed."""
    # Loaded when a file is made: the idle bot stays lighter.
    from icalendar import Event as CalendarEvent

    entry = CalendarEvent()
    entry.add("uid", uid(event))
    # In UTC ("...Z"): a TZID would need a VTIMEZONE component that some calendars ignore.
    start = event.starts_at.astimezone(UTC)
    entry.add("dtstamp", now.astimezone(UTC))
    entry.add("dtstart", start)
    entry.add("dtend", (event.ends_at or event.starts_at + DEFAULT_LENGTH).astimezone(UTC))
    entry.add("summary", event.title)
    entry.add("sequence", event.revision - 1)
    if event.description:
        entry.add("description", event.description)
    if event.place or event.online_url:
        entry.add("location", event.place or event.online_url)
    if event.online_url:
        entry.add("url", event.online_url)
    entry.add("status", "CANCELLED" if event.status == EventStatus.CANCELLED else "CONFIRMED")
    return entry


def _calendar() -> Calendar:
    from icalendar import Calendar

    calendar = Calendar()
    calendar.add("prodid", "-//kume//events//TR")
    calendar.add("version", "2.0")
    return calendar


def calendar_file(event: Event, now: datetime) -> bytes:
    calendar = _calendar()
    calendar.add("method", "PUBLISH")
    calendar.add_component(entry(event, now))
    return calendar.to_ical()


def calendar_feed(events: list[Event], now: datetime, name: str) -> bytes:
    """Many events in one calendar a person subscribes to (the portal's feed): the calendar
    application fetches it again now and then, and follows the changes by each event's UID."""
    calendar = _calendar()
    calendar.add("x-wr-calname", name)
    for event in events:
        calendar.add_component(entry(event, now))
    return calendar.to_ical()
