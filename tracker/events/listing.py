"""/etkinlikler: upcoming and past events with their figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from tracker.events.figures import EventFigures, event_figures
from tracker.events.publish import may_manage
from tracker.events.view import EventView, view_of
from tracker.models import Event, Person

PAST_SHOWN = 5  # one message, with a button each
UPCOMING_SHOWN = 10


@dataclass(frozen=True)
class ListedEvent:
    event: EventView
    figures: EventFigures
    manageable: bool  # the person may change or cancel it


def listed(session: Session, person: Person, events: list[Event]) -> list[ListedEvent]:
    figures = event_figures(session, [e.id for e in events if e.id is not None])
    return [ListedEvent(view_of(session, e), figures[e.id], may_manage(person, e))
            for e in events if e.id is not None]


def upcoming_and_past(session: Session, person: Person,
                      now: datetime) -> tuple[list[ListedEvent], list[ListedEvent]]:
    upcoming = list(session.exec(select(Event).where(col(Event.starts_at) > now)
                                 .order_by(col(Event.starts_at), col(Event.id))
                                 .limit(UPCOMING_SHOWN)))
    past = list(session.exec(select(Event).where(col(Event.starts_at) <= now)
                             .order_by(col(Event.starts_at).desc(), col(Event.id).desc())
                             .limit(PAST_SHOWN)))
    return listed(session, person, upcoming), listed(session, person, past)
