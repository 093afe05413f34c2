"""Making an event and telling its audience.

An event is stored when the secretary presses "Gönder". With `[events] approval = true` it
waits (PENDING_APPROVAL) and every agency person gets its preview with "Onayla" / "Reddet";
the first decision counts and the secretary hears it. A published event goes to every member
of its audience as one broadcast (tracker.notifications.broadcast), keyed
event_notice|event:<id>|notice|<person>, so nobody is told twice however often it is written.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from tracker import texts
from tracker.announcements import post_to_chats
from tracker.audience import members_of
from tracker.cluster_chats import chats_of
from tracker.errors import DomainError, Forbidden, NotFound
from tracker.events.view import EventView, audience_ids, view_of
from tracker.models import (
    Broadcast,
    ClusterChat,
    Event,
    EventAudience,
    EventStatus,
    Notification,
    NotificationStatus,
    Person,
    Role,
)
from tracker.notifications.broadcast import start_broadcast
from tracker.notifications.outbox import enqueue
from tracker.notifications.rules import BROADCAST, EVENT_APPROVAL, EVENT_DECISION, EVENT_NOTICE

T = "messages/event.j2"
B = "texts/buttons.j2"
MANAGERS = (Role.ADMIN, Role.AGENCY)  # besides the event's creator


@dataclass(frozen=True)
class NewEvent:
    title: str
    starts_at: datetime
    description: str
    place: str | None = None
    online_url: str | None = None
    cluster_ids: list[int] = field(default_factory=list)
    all_members: bool = False
    action_id: int | None = None
    capacity: int | None = None


def subject(event_id: int) -> str:
    """The outbox subject of everything about one event."""
    return f"event:{event_id}"


def approval_needed(settings: Any) -> bool:
    """`[events] approval` from the bot's settings (engines see them as a protocol that need
    not carry it: a test's settings without it mean no approval)."""
    return bool(getattr(settings, "event_approval", False))


def get_event(session: Session, event_id: int, *, for_update: bool = False) -> Event:
    query = select(Event).where(col(Event.id) == event_id)
    event = session.exec(query.with_for_update() if for_update else query).first()
    if event is None:
        raise NotFound("event_not_found")
    return event


def may_manage(person: Person, event: Event) -> bool:
    return person.role in MANAGERS or event.created_by_id == person.id


def require_manager(person: Person, event: Event) -> None:
    if not may_manage(person, event):
        raise Forbidden("event_not_yours")


def create_event(session: Session, new: NewEvent, creator: Person, now: datetime, *,
                 approval: bool) -> Event:
    """Store the event; publish it at once, or ask an agency person first."""
    event = Event(
        title=new.title, starts_at=new.starts_at, place=new.place, online_url=new.online_url,
        description=new.description, action_id=new.action_id, capacity=new.capacity,
        all_members=new.all_members,
        status=EventStatus.PENDING_APPROVAL if approval else EventStatus.PUBLISHED,
        created_by_id=creator.id, checkin_token=secrets.token_urlsafe(16),
        created_at=now, updated_at=now)
    session.add(event)
    session.flush()
    assert event.id is not None
    if not new.all_members:
        session.add_all(EventAudience(event_id=event.id, cluster_id=c)
                        for c in sorted(set(new.cluster_ids)))
        session.flush()
    if approval:
        _ask_approval(session, event, now)
    else:
        announce(session, event, now, started_by=creator)
    return event


NOTICE = "notice"  # the period of the notice's rows: a member's and a chat's


def notice_text(view: EventView, *, in_chat: bool = False) -> str:
    """The notice as a member gets it, or as a group or channel does (no buttons there)."""
    return texts.render(T, name="notice", event=view, in_chat=in_chat)


def member_buttons(event_id: int) -> list[list[tuple[str, str]]]:
    """Under the notice: answer, and get the calendar file (commands, see bot/callbacks)."""
    return [[(texts.say(B, "rsvp_yes"), f"/katilim {event_id} evet"),
             (texts.say(B, "rsvp_no"), f"/katilim {event_id} hayir")],
            [(texts.say(B, "add_to_calendar"), f"/takvim {event_id}")]]


def audience(session: Session, event: Event) -> list[Person]:
    assert event.id is not None
    return members_of(session, None if event.all_members else audience_ids(session, event.id))


def announce(session: Session, event: Event, now: datetime,
             started_by: Person | None) -> Broadcast:
    """Every member of the audience gets the notice (the starter sees its progress)."""
    assert event.id is not None
    recipients = audience(session, event)
    view = view_of(session, event)
    text = notice_text(view)
    broadcast = start_broadcast(
        session, text=text, recipients=recipients,
        subject=subject(event.id), period=NOTICE, now=now,
        # Nobody to tell: no "0 / 0" progress message (the secretary's reply says so).
        started_by=started_by if recipients else None,
        kind=EVENT_NOTICE, buttons=member_buttons(event.id))
    # The audience's groups and channels (/bagla) get the notice too, once each, without
    # the answer buttons (those are a member's own). Kind "broadcast", not EVENT_NOTICE: a
    # chat is not a person told, so counts and change notices leave it out.
    post_to_chats(session, chats_of(session, None if event.all_members
                                    else audience_ids(session, event.id)),
                  notice_text(view, in_chat=True), subject=subject(event.id), period=NOTICE,
                  now=now, author=started_by)
    return broadcast


def queued(session: Session, event_id: int) -> int:
    """How many members the notice was written for."""
    return session.exec(select(func.count()).select_from(Notification).where(
        col(Notification.kind) == EVENT_NOTICE,
        col(Notification.subject) == subject(event_id))).one()


def approvers(session: Session) -> list[Person]:
    """The agency's people; the admins when the agency has nobody on Telegram yet."""
    for role in (Role.AGENCY, Role.ADMIN):
        found = list(session.exec(select(Person).where(
            col(Person.role) == role, col(Person.active).is_(True),
            col(Person.telegram_user_id).is_not(None)).order_by(col(Person.id))))
        if found:
            return found
    return []


def _ask_approval(session: Session, event: Event, now: datetime) -> None:
    assert event.id is not None
    creator = session.get(Person, event.created_by_id) if event.created_by_id else None
    text = texts.render(T, name="approval", event=view_of(session, event), creator=creator)
    buttons = [[(texts.say(B, "approve"), f"/etkinlikonay {event.id}"),
                (texts.say(B, "reject"), f"/etkinlikret {event.id}")]]
    for person in approvers(session):
        enqueue(session, kind=EVENT_APPROVAL, subject=subject(event.id), period="approval",
                person=person, text=text, buttons=buttons, not_before=now, now=now)


def pending_decision(session: Session, event_id: int, person: Person, now: datetime) -> Event:
    """The event an agency person is about to decide on: still waiting, still ahead."""
    if person.role not in MANAGERS:
        raise Forbidden("event_not_yours")
    event = get_event(session, event_id, for_update=True)
    if event.status != EventStatus.PENDING_APPROVAL:
        raise DomainError("event_decided", status=str(event.status))
    if event.starts_at <= now:
        raise DomainError("event_past")
    return event


def approve(session: Session, event_id: int, person: Person, now: datetime) -> Event:
    event = pending_decision(session, event_id, person, now)
    event.status = EventStatus.PUBLISHED
    event.decided_by_id = person.id
    event.updated_at = now
    session.add(event)
    session.flush()
    creator = session.get(Person, event.created_by_id) if event.created_by_id else None
    announce(session, event, now, started_by=creator)
    _tell_creator(session, event, creator, now, "approved")
    return event


def reject(session: Session, event_id: int, person: Person, reason: str,
           now: datetime) -> Event:
    event = pending_decision(session, event_id, person, now)
    event.status = EventStatus.REJECTED
    event.decided_by_id = person.id
    event.rejection_reason = reason
    event.updated_at = now
    session.add(event)
    session.flush()
    creator = session.get(Person, event.created_by_id) if event.created_by_id else None
    _tell_creator(session, event, creator, now, "rejected")
    return event


def _tell_creator(session: Session, event: Event, creator: Person | None, now: datetime,
                  outcome: str) -> None:
    if creator is None or event.id is None:
        return
    text = texts.render(T, name=outcome, event=view_of(session, event),
                        reason=event.rejection_reason)
    enqueue(session, kind=EVENT_DECISION, subject=subject(event.id), period=outcome,
            person=creator, text=text, not_before=now, now=now)


# A notice that reached someone, or may have (in flight, in doubt): its changes must follow.
REACHED = (NotificationStatus.SENT, NotificationStatus.SENDING, NotificationStatus.UNKNOWN)


def _notice_reached(event_id: int) -> sa.ColumnElement[bool]:
    """A member's notice of the event that reached them or may have."""
    return sa.and_(col(Notification.kind) == EVENT_NOTICE,
                   col(Notification.subject) == subject(event_id),
                   col(Notification.status).in_(REACHED))


def told_people(session: Session, event_id: int) -> Sequence[Person]:
    """Everyone the notice reached or may have reached."""
    return list(session.exec(
        select(Person).join(Notification, col(Notification.person_id) == Person.id)
        .where(_notice_reached(event_id)).order_by(col(Person.id))))


def told_count(session: Session, event_id: int) -> int:
    """How many people told_people would give, counted by the database."""
    return session.exec(select(func.count()).select_from(Notification)
                        .where(_notice_reached(event_id))).one()


def told_chats(session: Session, event_id: int) -> list[ClusterChat]:
    """The groups and channels the notice reached or may have reached, if still linked."""
    posted = select(Notification.chat_id).where(
        col(Notification.kind) == BROADCAST, col(Notification.subject) == subject(event_id),
        col(Notification.period) == NOTICE, col(Notification.status).in_(REACHED))
    return list(session.exec(select(ClusterChat).where(col(ClusterChat.chat_id).in_(posted))
                             .order_by(col(ClusterChat.id))))
