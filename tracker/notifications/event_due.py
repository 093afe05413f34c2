"""What events make due: the day-before reminder and the day-after satisfaction question.

Here, in notifications, rather than in tracker.events: the scheduler (due.run_due) and the
sender's last check (due.still_needed) call these, and tracker.events already builds on the
outbox, so events -> notifications is the one direction allowed.

Both are written when their moment has come (send_time on the day before, and on the day
after; any day of the week: the working-day rule is for reports, not for events; quiet hours
hold, see rules.py), so an answer changed until then is respected.

- Reminder: to everyone who said yes, keyed by the event's revision: a changed event reminds
  again (for its new date), an unchanged one never twice.
- Satisfaction: to everyone who attended (checked in), once per event, with 1-5 buttons
  ("/memnun <event id> <score>", answered by tracker.events.satisfaction).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta

from sqlmodel import Session, col, select

from tracker import texts
from tracker.calendar import CalendarSettings
from tracker.models import Event, EventStatus, Person, Rsvp, RsvpAnswer
from tracker.notifications.outbox import enqueue
from tracker.notifications.rules import EVENT_REMINDER, EVENT_SATISFACTION
from tracker.quarters import ISTANBUL

TEMPLATE = "messages/attendance.j2"
SATISFACTION_PERIOD = "s"  # once per event, whatever its revisions
SATISFACTION_COMMAND = "memnun"  # the buttons' command: "/memnun <event id> <score>"
SCORES = range(1, 6)
# After downtime the question still goes out for events this many days back, not older.
CATCH_UP_DAYS = 3


def event_subject(event: Event) -> str:
    """The outbox subject of everything about one event (the key adds kind, period, person)."""
    return f"event:{event.id}"


def event_of_subject(session: Session, subject: str) -> Event | None:
    prefix, _, number = subject.partition(":")
    if prefix != "event" or not number.isdigit():
        return None
    return session.get(Event, int(number))


def reminder_period(event: Event) -> str:
    return f"r{event.revision}"


def local_day(moment: datetime) -> date:
    return moment.astimezone(ISTANBUL).date()


def day_start(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=ISTANBUL)


def at_send_time(day: date, settings: CalendarSettings) -> datetime:
    """`send_time` on `day` itself: events go any day, so no working-day shift."""
    return datetime.combine(day, settings.send_time, tzinfo=ISTANBUL)


def reachable(person: Person | None) -> bool:
    """May kume write to this person on its own (not deleted, not stopped, known)?"""
    return (person is not None and person.active and person.stopped_at is None
            and person.telegram_user_id is not None)


def event_work(session: Session, now: datetime, settings: CalendarSettings) -> dict[str, int]:
    """Every event row due at `now`, by kind (idempotent: run again, it writes nothing)."""
    return {EVENT_REMINDER: day_before_reminders(session, now, settings),
            EVENT_SATISFACTION: satisfaction_questions(session, now, settings)}


def day_before_reminders(session: Session, now: datetime, settings: CalendarSettings) -> int:
    """The reminders of tomorrow's events, from send_time today; how many rows were written."""
    today = local_day(now)
    if now < at_send_time(today, settings):
        return 0
    tomorrow = today + timedelta(days=1)
    events = _published(session, day_start(tomorrow), day_start(tomorrow + timedelta(days=1)))

    def to_remind(rsvp: Rsvp) -> bool:
        return rsvp.answer == RsvpAnswer.YES

    return _write(session, [e for e in events if e.starts_at > now], to_remind, now,
                  kind=EVENT_REMINDER, name="reminder", period=reminder_period)


def satisfaction_questions(session: Session, now: datetime, settings: CalendarSettings) -> int:
    """The questions about yesterday's events, from send_time today (and, after downtime,
    about those of the few days before)."""
    today = local_day(now)
    last = today if now >= at_send_time(today, settings) else today - timedelta(days=1)
    events = _published(session, day_start(today - timedelta(days=1 + CATCH_UP_DAYS)),
                        day_start(last))

    def attended(rsvp: Rsvp) -> bool:
        return rsvp.attended_at is not None

    buttons: Callable[[Event], list[list[tuple[str, str]]]] = lambda event: [  # noqa: E731
        [(str(s), f"/{SATISFACTION_COMMAND} {event.id} {s}") for s in SCORES]]
    return _write(session, events, attended, now, kind=EVENT_SATISFACTION, name="satisfaction",
                  period=lambda _: SATISFACTION_PERIOD, buttons=buttons)


def _published(session: Session, start: datetime, end: datetime) -> list[Event]:
    return list(session.exec(select(Event).where(
        col(Event.status) == EventStatus.PUBLISHED, col(Event.starts_at) >= start,
        col(Event.starts_at) < end).order_by(col(Event.starts_at), col(Event.id))).all())


def _write(session: Session, events: Iterable[Event], wanted: Callable[[Rsvp], bool],
           now: datetime, *, kind: str, name: str, period: Callable[[Event], str],
           buttons: Callable[[Event], list[list[tuple[str, str]]]] | None = None) -> int:
    written = 0
    for event in events:
        answers = session.exec(
            select(Rsvp, Person).join(Person, col(Person.id) == Rsvp.person_id)
            .where(col(Rsvp.event_id) == event.id).order_by(col(Rsvp.id))).all()
        for rsvp, person in answers:
            if not wanted(rsvp) or not reachable(person):
                continue
            text = texts.render(TEMPLATE, name=name, event=event, person=person)
            if enqueue(session, kind=kind, subject=event_subject(event), period=period(event),
                       person=person, text=text, buttons=buttons(event) if buttons else (),
                       not_before=now, now=now):
                written += 1
    return written


def event_row_needed(session: Session, kind: str, subject: str, period: str) -> bool:
    """At its send: the event still takes place (and, for a reminder, at the time and place
    the reminder names)."""
    event = event_of_subject(session, subject)
    if event is None or event.status != EventStatus.PUBLISHED:
        return False
    return kind != EVENT_REMINDER or period == reminder_period(event)
