"""Check-in at the door: a deep link (shown as a QR code) marks the member who opens it as
attended; the secretary may also enter a head count of those who came without scanning.

The link carries only the event's secret token (`/start ci_<token>`); the event, the time and
the person are checked here, on every scan.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from tracker.events.common import AttendanceError, end_of_day
from tracker.models import Event, EventStatus, Person, Role, Rsvp, RsvpAnswer
from tracker.notifications.event_due import local_day
from tracker.numbers import NumberFormatError, parse_tr_figure

PREFIX = "ci_"  # the /start argument of a check-in link
EARLY = timedelta(hours=3)  # the door may open this long before the start
MAX_HEAD_COUNT = 100_000
STAFF = (Role.ADMIN, Role.AGENCY)


def checkin_link(bot_username: str, event: Event) -> str:
    return f"https://t.me/{bot_username}?start={PREFIX}{event.checkin_token}"


def qr_png(link: str) -> bytes:
    """The link as a PNG QR code, large enough to scan from a screen at the door."""
    import segno  # loaded when a code is drawn: the idle bot stays lighter

    out = io.BytesIO()
    segno.make(link, error="m").save(out, kind="png", scale=10, border=4)
    return out.getvalue()


def is_checkin(start_argument: str | None) -> bool:
    return bool(start_argument) and str(start_argument).startswith(PREFIX)


@dataclass(frozen=True)
class CheckedIn:
    event: Event
    again: bool  # the person had checked in already


def check_in(session: Session, person: Person | None, argument: str, now: datetime) -> CheckedIn:
    """Mark `person` as attended at the event whose token `argument` carries."""
    token = argument.removeprefix(PREFIX)
    event = session.exec(select(Event).where(col(Event.checkin_token) == token)).first() \
        if token else None
    if event is None or event.status != EventStatus.PUBLISHED:
        raise AttendanceError("checkin_unknown")
    if person is None or not person.active or person.role != Role.MEMBER \
            or person.consent_at is None:
        raise AttendanceError("checkin_not_member", title=event.title)
    last_day = local_day(event.ends_at or event.starts_at)
    if not event.starts_at - EARLY <= now < end_of_day(last_day):
        raise AttendanceError("checkin_not_today", title=event.title, starts_at=event.starts_at)
    rsvp = _answer_of(session, event, person)
    if rsvp is None:
        try:  # two scans at once (a double tap): the unique (event, person) decides, quietly
            with session.begin_nested():
                session.add(Rsvp(event_id=event.id or 0, person_id=person.id,
                                 answer=RsvpAnswer.YES, created_at=now, updated_at=now))
                session.flush()
        except IntegrityError:
            pass
        rsvp = _answer_of(session, event, person)
        assert rsvp is not None
    again = rsvp.attended_at is not None
    if not again:
        rsvp.attended_at, rsvp.updated_at = now, now
    session.add(rsvp)
    session.flush()
    return CheckedIn(event, again)


def _answer_of(session: Session, event: Event, person: Person) -> Rsvp | None:
    return session.exec(select(Rsvp).where(col(Rsvp.event_id) == event.id,
                                           col(Rsvp.person_id) == person.id)).first()


def event_for_attendance(session: Session, person: Person, argument: str | None) -> Event:
    """The event `/yoklama <id>` names, if this person may take its attendance: the agency
    and admins any event's, a secretary the events they created."""
    text = (argument or "").strip()
    if not text.isdigit():
        raise AttendanceError("attendance_usage")
    event = session.get(Event, int(text))
    if event is None:
        raise AttendanceError("event_not_found", id=text)
    if person.role not in STAFF and event.created_by_id != person.id:
        raise AttendanceError("not_your_event", title=event.title)
    if event.status != EventStatus.PUBLISHED:
        raise AttendanceError("event_not_published", title=event.title)
    return event


def set_head_count(session: Session, event: Event, text: str, now: datetime) -> int:
    """Store the head count typed by the secretary ("120", "1.250"); the figure stored."""
    try:
        value = parse_tr_figure(text).value
    except NumberFormatError as error:
        raise AttendanceError("head_count_not_number", value=text) from error
    if value != value.to_integral_value() or not 0 <= value <= MAX_HEAD_COUNT:
        raise AttendanceError("head_count_range", value=text, limit=MAX_HEAD_COUNT)
    event.manual_attendance, event.updated_at = int(value), now
    session.add(event)
    session.flush()
    return int(value)


def scanned(session: Session, event_id: int) -> int:
    """How many checked in by the link (deleted people's anonymous rows included)."""
    return len(session.exec(select(Rsvp.id).where(
        col(Rsvp.event_id) == event_id, col(Rsvp.attended_at).is_not(None))).all())


def attended_by_event(session: Session, event_ids: list[int]) -> dict[int, int]:
    """Each event's attendance: checked in by the link plus the head count entered by hand
    (every id gets an entry; two statements whatever the number of events)."""
    if not event_ids:
        return {}
    counts = dict(session.exec(
        select(Rsvp.event_id, func.count()).where(
            col(Rsvp.event_id).in_(event_ids), col(Rsvp.attended_at).is_not(None))
        .group_by(col(Rsvp.event_id))).all())
    manual = dict(session.exec(select(Event.id, Event.manual_attendance).where(
        col(Event.id).in_(event_ids))).all())
    return {i: int(counts.get(i, 0)) + (manual.get(i) or 0) for i in event_ids}
