"""An event's figures for /etkinlikler: told, answers, attendance, satisfaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlmodel import Session, col, func, select

from tracker.events.checkin import attended_by_event
from tracker.events.satisfaction import Average, satisfaction_by_event
from tracker.models import Notification, NotificationStatus, Rsvp, RsvpAnswer
from tracker.notifications.rules import EVENT_NOTICE


@dataclass(frozen=True)
class EventFigures:
    told: int = 0  # notices delivered
    yes: int = 0
    no: int = 0
    waiting: int = 0
    # Scanned at the door plus counted by hand (tracker.events.checkin).
    attended: int | None = None
    satisfaction: Decimal | None = None  # the mean of the 1-5 answers
    satisfaction_answers: int | None = None


def event_figures(session: Session, event_ids: Sequence[int]) -> dict[int, EventFigures]:
    """The figures of each event (every id gets an entry), in two queries."""
    ids = list(event_ids)
    if not ids:
        return {}
    answers: dict[int, dict[str, int]] = {i: {} for i in ids}
    for event_id, answer, n in session.exec(
            select(Rsvp.event_id, Rsvp.answer, func.count()).where(col(Rsvp.event_id).in_(ids))
            .group_by(col(Rsvp.event_id), col(Rsvp.answer))).all():
        answers[event_id][str(answer)] = n
    subjects = {f"event:{i}": i for i in ids}
    told = {subjects[s]: n for s, n in session.exec(
        select(Notification.subject, func.count())
        .where(col(Notification.kind) == EVENT_NOTICE,
               col(Notification.subject).in_(list(subjects)),
               col(Notification.status) == NotificationStatus.SENT)
        .group_by(col(Notification.subject))).all()}
    attended = attended_by_event(session, ids)
    scores = satisfaction_by_event(session, ids)
    return {i: EventFigures(told=told.get(i, 0), yes=answers[i].get(RsvpAnswer.YES, 0),
                            no=answers[i].get(RsvpAnswer.NO, 0),
                            waiting=answers[i].get(RsvpAnswer.WAITING, 0),
                            attended=attended[i], satisfaction=_mean(scores.get(i)),
                            satisfaction_answers=_answers(scores.get(i)))
            for i in ids}


def _mean(average: Average | None) -> Decimal | None:
    mean = average.mean if average is not None else None
    return Decimal(str(mean)) if mean is not None else None


def _answers(average: Average | None) -> int | None:
    return average.answers if average is not None and average.answers else None
