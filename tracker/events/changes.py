"""Changing an event's time or place, and cancelling it: everyone who was told hears it once.

A change bumps Event.revision and writes one notice per person told (and per group or channel
the notice was posted in, still linked), keyed
event_change|event:<id>|r<revision>|<person>, showing old -> new; a cancellation is keyed
event_cancel|event:<id>|cancel|<person>. Notices not yet sent carry the new text instead (or
are dropped when the event is cancelled), so nobody gets a stale notice followed by its fix.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col

from tracker import texts
from tracker.announcements import post_to_chats
from tracker.errors import DomainError
from tracker.events.publish import (
    NOTICE,
    T,
    get_event,
    member_buttons,
    notice_text,
    require_manager,
    subject,
    told_chats,
    told_people,
)
from tracker.events.view import EventView, view_of
from tracker.models import Event, EventStatus, Notification, NotificationStatus, Person
from tracker.notifications.broadcast import start_broadcast
from tracker.notifications.rules import BROADCAST, EVENT_CANCEL, EVENT_CHANGE, EVENT_NOTICE


@dataclass(frozen=True)
class Change:
    """What the secretary changes; None: unchanged. A place and a link replace each other."""

    starts_at: datetime | None = None
    place: str | None = None
    online_url: str | None = None


@dataclass(frozen=True)
class Told:
    """Who hears of a change or a cancellation: people told, and groups or channels."""

    people: int = 0
    chats: int = 0


@dataclass(frozen=True)
class Was:
    starts_at: datetime
    place: str | None
    online_url: str | None


def changeable(session: Session, event_id: int, person: Person, now: datetime, *,
               for_update: bool = False) -> Event:
    """The event, if `person` may change or cancel it now."""
    event = get_event(session, event_id, for_update=for_update)
    require_manager(person, event)
    if event.status in (EventStatus.CANCELLED, EventStatus.REJECTED):
        raise DomainError("event_cancelled", title=event.title)
    if event.starts_at <= now:
        raise DomainError("event_past", title=event.title)
    return event


def change_event(session: Session, event_id: int, person: Person, change: Change,
                 now: datetime, *, revision: int) -> tuple[Event, Told]:
    """Apply `change` (asked about `revision`: a change made meanwhile is not overwritten
    unseen) and tell everyone told."""
    event = changeable(session, event_id, person, now, for_update=True)
    assert event.id is not None
    if event.revision != revision:
        raise DomainError("event_changed_meanwhile", title=event.title)
    was = Was(event.starts_at, event.place, event.online_url)
    if change.starts_at is not None:
        if change.starts_at <= now:
            raise DomainError("event_past", title=event.title)
        event.starts_at = change.starts_at
    if change.place is not None or change.online_url is not None:
        event.place, event.online_url = change.place, change.online_url
    if (event.starts_at, event.place, event.online_url) == (
            was.starts_at, was.place, was.online_url):
        raise DomainError("event_nothing_changed")
    event.revision += 1
    event.updated_at = now
    session.add(event)
    session.flush()
    view = view_of(session, event)
    _restate_unsent(session, event, view)
    people = told_people(session, event.id)
    if event.status != EventStatus.PUBLISHED:
        return event, Told()
    period = f"r{event.revision}"
    if people:
        text = texts.render(T, name="changed", event=view, was=was)
        start_broadcast(session, text=text, recipients=people, subject=subject(event.id),
                        period=period, now=now, kind=EVENT_CHANGE,
                        buttons=member_buttons(event.id)[1:])
    chats = post_to_chats(session, told_chats(session, event.id),
                          texts.render(T, name="changed", event=view, was=was, in_chat=True),
                          subject=subject(event.id), period=period, now=now, author=person)
    return event, Told(len(people), chats)


def cancel_event(session: Session, event_id: int, person: Person,
                 now: datetime) -> tuple[Event, Told]:
    event = changeable(session, event_id, person, now, for_update=True)
    assert event.id is not None
    was_published = event.status == EventStatus.PUBLISHED
    event.status = EventStatus.CANCELLED
    event.updated_at = now
    session.add(event)
    session.flush()
    _drop_unsent(session, event)
    if not was_published:
        return event, Told()
    people = told_people(session, event.id)
    text = texts.render(T, name="cancelled", event=view_of(session, event))
    if people:
        start_broadcast(session, text=text, recipients=people, subject=subject(event.id),
                        period="cancel", now=now, kind=EVENT_CANCEL)
    chats = post_to_chats(session, told_chats(session, event.id), text,
                          subject=subject(event.id), period="cancel", now=now, author=person)
    return event, Told(len(people), chats)


def _unsent(event: Event, kind: str) -> sa.ColumnElement[bool]:
    """The notice's rows of `kind` still waiting: EVENT_NOTICE a member's, BROADCAST a
    group's or channel's."""
    return sa.and_(col(Notification.kind) == kind,
                   col(Notification.subject) == subject(event.id or 0),
                   col(Notification.period) == NOTICE,
                   col(Notification.status) == NotificationStatus.PENDING)


def _restate_unsent(session: Session, event: Event, view: EventView) -> None:
    for kind, in_chat in ((EVENT_NOTICE, False), (BROADCAST, True)):
        session.execute(sa.update(Notification).where(_unsent(event, kind)).values(
            text=notice_text(view, in_chat=in_chat)))


def _drop_unsent(session: Session, event: Event) -> None:
    for kind in (EVENT_NOTICE, BROADCAST):
        session.execute(sa.update(Notification).where(_unsent(event, kind)).values(
            status=NotificationStatus.SKIPPED, last_error="event cancelled"))
