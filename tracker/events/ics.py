"""The calendar file of an event (.ics, RFC 5545) made with the `icalendar` library, which
escapes the text (commas, semicolons, new lines) and folds long lines.

The UID is the event's own, so a calendar that imports the file again after a change updates
the entry (SEQUENCE grows with every change) instead of adding a second one.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tracker.models import Event, EventStatus

DEFAULT_LENGTH = timedelta(hours=2)  # the dialog does not ask for an end: most meetings


def uid(event: Event) -> str:
    return f"kume-event-{event.id}@kume"


def file_name(event: Event) -> str:
    return f"etkinlik-{event.id}.ics"


def calendar_file(event: Event, now: datetime) -> bytes:
    # Loaded when a file is made: the idle bot stays lighter.
    from icalendar import Calendar
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
    calendar = Calendar()
    calendar.add("prodid", "-//kume//events//TR")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    calendar.add_component(entry)
    return calendar.to_ical()
