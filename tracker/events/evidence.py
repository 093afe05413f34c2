"""Events as evidence for /durum: what a plan action's events did in a quarter, offered to the
responsible body with one tap ("Bu çeyrekte E3.1.4 kapsamında 3 etkinlik, 210 katılımcı")."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from tracker import texts
from tracker.models import Action, Event, EventStatus, Rsvp
from tracker.quarters import Quarter

T = "texts/attendance.j2"


@dataclass(frozen=True)
class EventEvidence:
    code: str  # the action's
    quarter: Quarter
    events: int
    attended: int  # checked in by the link plus the head counts entered by hand

    def note(self) -> str:
        """The sentence stored as the update's evidence note."""
        return texts.say(T, "events_evidence", code=self.code, quarter=self.quarter.label,
                         events=self.events, attended=self.attended)


# Built once: /durum asks at every evidence question, and building the statement cost more
# than running it (most actions have no events).
_EVENTS_OF_ACTION = select(Event).where(
    col(Event.action_id) == sa.bindparam("action_id"),
    col(Event.status) == EventStatus.PUBLISHED,
    col(Event.starts_at) >= sa.bindparam("start"),
    col(Event.starts_at) < sa.bindparam("end"))


def events_served(session: Session, action_id: int, quarter: Quarter) -> EventEvidence | None:
    """The published events of `action_id` held in `quarter`; None if there were none."""
    action = session.get(Action, action_id)
    events = session.exec(_EVENTS_OF_ACTION, params={
        "action_id": action_id, "start": quarter.start, "end": quarter.end}).all()
    if action is None or not events:
        return None
    ids = [e.id for e in events]
    scanned = session.exec(select(func.count()).select_from(Rsvp).where(
        col(Rsvp.event_id).in_(ids), col(Rsvp.attended_at).is_not(None))).one()
    manual = sum(e.manual_attendance or 0 for e in events)
    return EventEvidence(action.code, quarter, len(events), int(scanned) + manual)
