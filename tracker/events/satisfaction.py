"""The day after: one question to everyone who attended, "how satisfied were you?" (1-5).

The question is an outbox row, keyed once per event (tracker.notifications.event_due); the
answer is the presser's own, about an event they attended, and may be changed by pressing
another number. The averages per event and
per cluster are the source offered for the indicator "Kümelenmeyle ilgili memnuniyet düzeyi".
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from tracker.events.common import AttendanceError, clusters_of
from tracker.models import Cluster, ClusterFollow, Event, EventStatus, Person, Rsvp
from tracker.notifications.event_due import SCORES
from tracker.quarters import Quarter


@dataclass(frozen=True)
class Answered:
    event: Event
    score: int
    changed: bool  # an earlier answer was replaced


def record_satisfaction(session: Session, person: Person, argument: str | None,
                        now: datetime) -> Answered:
    """Store the presser's answer ("<event id> <score>", as the button carries it).

    Nothing in the data is trusted: the event must exist, the person must have attended it,
    the score must be 1-5. Anything else is refused and changes nothing."""
    parts = (argument or "").split()
    if len(parts) != 2 or not all(p.isdigit() for p in parts) or int(parts[1]) not in SCORES:
        raise AttendanceError("satisfaction_invalid")
    event = session.get(Event, int(parts[0]))
    rsvp = None if event is None else session.exec(select(Rsvp).where(
        col(Rsvp.event_id) == event.id, col(Rsvp.person_id) == person.id)).first()
    if event is None or rsvp is None or rsvp.attended_at is None:
        raise AttendanceError("satisfaction_not_attended")
    score = int(parts[1])
    changed = rsvp.satisfaction is not None and rsvp.satisfaction != score
    rsvp.satisfaction, rsvp.updated_at = score, now
    session.add(rsvp)
    session.flush()
    return Answered(event, score, changed)


# -- the averages ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Average:
    answers: int
    total: int

    @property
    def mean(self) -> float | None:
        return round(self.total / self.answers, 2) if self.answers else None


def period_bounds(period: Quarter | int) -> tuple[datetime, datetime]:
    """A quarter, or a year given as its number, as [start, end) instants."""
    if isinstance(period, int):
        return Quarter(period, 1).start, Quarter(period, 4).end
    return period.start, period.end


def satisfaction_by_event(session: Session, event_ids: list[int]) -> dict[int, Average]:
    """Each event's average (events without answers are left out)."""
    sums: dict[int, list[int]] = defaultdict(list)
    if event_ids:
        for event_id, score in session.exec(select(Rsvp.event_id, Rsvp.satisfaction).where(
                col(Rsvp.event_id).in_(event_ids), col(Rsvp.satisfaction).is_not(None))):
            sums[event_id].append(int(score or 0))
    return {e: Average(len(s), sum(s)) for e, s in sums.items()}


def satisfaction_by_cluster(session: Session, period: Quarter | int) -> dict[str, Average]:
    """Cluster code -> the average of the answers about its events held in `period`.

    An event for given clusters counts for each of them; an event for all members counts,
    answer by answer, for the clusters the answering member followed when it took place.
    A deleted member's answer stays (anonymous) for the events' own clusters.
    """
    start, end = period_bounds(period)
    events = session.exec(select(Event).where(
        col(Event.status) == EventStatus.PUBLISHED, col(Event.starts_at) >= start,
        col(Event.starts_at) < end)).all()
    by_id = {e.id: e for e in events if e.id is not None}
    audience = clusters_of(session, list(by_id))
    answers = session.exec(select(Rsvp).where(
        col(Rsvp.event_id).in_(list(by_id)), col(Rsvp.satisfaction).is_not(None))).all()
    scores: dict[str, list[int]] = defaultdict(list)
    for rsvp in answers:
        event = by_id[rsvp.event_id]
        clusters = (_followed_at(session, rsvp.person_id, event.starts_at)
                    if event.all_members else audience[rsvp.event_id])
        for cluster in clusters:
            scores[cluster.code].append(int(rsvp.satisfaction or 0))
    return {code: Average(len(s), sum(s)) for code, s in sorted(scores.items())}


def _followed_at(session: Session, person_id: int | None, moment: datetime) -> list[Cluster]:
    if person_id is None:
        return []
    return list(session.exec(
        select(Cluster).join(ClusterFollow, col(ClusterFollow.cluster_id) == Cluster.id)
        .where(col(ClusterFollow.person_id) == person_id,
               col(ClusterFollow.started_at) <= moment,
               (col(ClusterFollow.ended_at).is_(None)) | (col(ClusterFollow.ended_at) > moment))
        .order_by(col(Cluster.id))).all())
