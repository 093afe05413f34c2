"""What the attendance modules share (tracker.events.checkin, .satisfaction)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlmodel import Session, col, select

from tracker.errors import DomainError
from tracker.models import Cluster, EventAudience
from tracker.quarters import ISTANBUL


class AttendanceError(DomainError):
    """Refusals of check-in, /yoklama and the satisfaction buttons, worded in their own
    template."""

    template = "texts/attendance.j2"


def end_of_day(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=ISTANBUL)


def clusters_of(session: Session, event_ids: list[int]) -> dict[int, list[Cluster]]:
    """Each event's audience clusters, in cluster order (none for an all-members event)."""
    found: dict[int, list[Cluster]] = {i: [] for i in event_ids}
    if not event_ids:
        return found
    rows = session.exec(
        select(EventAudience.event_id, Cluster)
        .join(Cluster, col(Cluster.id) == EventAudience.cluster_id)
        .where(col(EventAudience.event_id).in_(event_ids))
        .order_by(col(Cluster.position), col(Cluster.id)))
    for event_id, cluster in rows:
        found[event_id].append(cluster)
    return found
