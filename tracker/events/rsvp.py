"""A member's answer to an event: yes or no, changeable until it starts.

With a capacity, a yes beyond it joins the waiting list (WAITING, in order of waiting_since);
when someone who said yes says no, the first waiting is promoted and told (an outbox row keyed
by the waiting stint, so a promotion is told once). The event row is locked while answering,
so two answers at once cannot both take the last place. Whatever the button claims, the
presser must be in the audience (or have been told) and the event open; otherwise a refusal
and nothing changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, func, select

from tracker import texts
from tracker.audience import followed_clusters
from tracker.errors import DomainError
from tracker.events.publish import T, get_event, member_buttons, subject
from tracker.events.view import audience_ids, view_of
from tracker.models import (
    Event,
    EventStatus,
    Notification,
    Person,
    Role,
    Rsvp,
    RsvpAnswer,
)
from tracker.notifications.outbox import enqueue, notification_key
from tracker.notifications.rules import EVENT_NOTICE, EVENT_PROMOTED

ANSWER_WORDS = {"evet": True, "hayir": False}


@dataclass(frozen=True)
class RsvpResult:
    event: Event
    answer: RsvpAnswer
    changed: bool  # False: the same answer again
    promoted: Person | None = None  # taken off the waiting list by this answer


def open_event(session: Session, event_id: int, person: Person, now: datetime, *,
               for_update: bool = False) -> Event:
    """The event, if `person` may answer it now; else a refusal naming why."""
    event = get_event(session, event_id, for_update=for_update)
    if event.status == EventStatus.CANCELLED:
        raise DomainError("event_cancelled", title=event.title)
    if event.status != EventStatus.PUBLISHED:
        raise DomainError("event_not_open", title=event.title)
    if event.starts_at <= now:
        raise DomainError("event_past", title=event.title)
    if not in_audience(session, event, person):
        raise DomainError("event_not_for_you", title=event.title)
    return event


def in_audience(session: Session, event: Event, person: Person) -> bool:
    """A member of the event's clusters now, or someone who was told about it."""
    assert event.id is not None and person.id is not None
    told = notification_key(EVENT_NOTICE, subject(event.id), "notice", person.id)
    if session.exec(select(Notification.id).where(col(Notification.key) == told)).first():
        return True
    if person.role != Role.MEMBER or not person.active:
        return False
    return event.all_members or bool(
        set(followed_clusters(session, person.id)) & set(audience_ids(session, event.id)))


def answer(session: Session, event_id: int, person: Person, yes: bool,
           now: datetime) -> RsvpResult:
    event = open_event(session, event_id, person, now, for_update=True)
    assert event.id is not None
    rsvp = session.exec(select(Rsvp).where(col(Rsvp.event_id) == event.id,
                                           col(Rsvp.person_id) == person.id)).first()
    before = rsvp.answer if rsvp is not None else None
    if yes and before in (RsvpAnswer.YES, RsvpAnswer.WAITING):
        return RsvpResult(event, before, changed=False)
    if not yes and before == RsvpAnswer.NO:
        return RsvpResult(event, before, changed=False)
    if rsvp is None:
        rsvp = Rsvp(event_id=event.id, person_id=person.id, answer=RsvpAnswer.NO,
                    created_at=now)
    if yes:
        full = event.capacity is not None and count(session, event.id, RsvpAnswer.YES) >= (
            event.capacity)
        rsvp.answer = RsvpAnswer.WAITING if full else RsvpAnswer.YES
        rsvp.waiting_since = now if full else None
    else:
        rsvp.answer, rsvp.waiting_since = RsvpAnswer.NO, None
    rsvp.updated_at = now
    session.add(rsvp)
    session.flush()
    promoted = promote(session, event, now) if before == RsvpAnswer.YES else None
    return RsvpResult(event, rsvp.answer, changed=True, promoted=promoted)


def count(session: Session, event_id: int, answer: RsvpAnswer) -> int:
    return session.exec(select(func.count()).select_from(Rsvp).where(
        col(Rsvp.event_id) == event_id, col(Rsvp.answer) == answer)).one()


def promote(session: Session, event: Event, now: datetime) -> Person | None:
    """A place came free: the first on the waiting list takes it and is told."""
    assert event.id is not None
    if event.capacity is None or count(session, event.id, RsvpAnswer.YES) >= event.capacity:
        return None
    first = session.exec(
        select(Rsvp).where(col(Rsvp.event_id) == event.id,
                           col(Rsvp.answer) == RsvpAnswer.WAITING,
                           col(Rsvp.person_id).is_not(None))
        .order_by(col(Rsvp.waiting_since), col(Rsvp.id))).first()
    if first is None or first.waiting_since is None:
        return None
    person = session.get(Person, first.person_id)
    stint = f"w{int(first.waiting_since.timestamp())}"
    first.answer, first.waiting_since, first.updated_at = RsvpAnswer.YES, None, now
    session.add(first)
    session.flush()
    if person is not None:
        enqueue(session, kind=EVENT_PROMOTED, subject=subject(event.id), period=stint,
                person=person, text=texts.render(T, name="promoted",
                                                 event=view_of(session, event)),
                buttons=member_buttons(event.id)[1:], not_before=now, now=now)
    return person
