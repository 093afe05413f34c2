"""What a message about an event shows: one shape for a draft and a stored event, so the
secretary's preview is the very text members get."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from tracker.models import Action, Cluster, Event, EventAudience


@dataclass(frozen=True)
class EventView:
    title: str
    starts_at: datetime
    place: str | None
    online_url: str | None
    description: str
    audience: list[str]  # the clusters' names; empty: every member
    action_code: str | None
    capacity: int | None
    id: int | None = None
    status: str | None = None


def cluster_names(session: Session, cluster_ids: Sequence[int]) -> list[str]:
    if not cluster_ids:
        return []
    return list(session.exec(select(Cluster.name).where(col(Cluster.id).in_(list(cluster_ids)))
                             .order_by(col(Cluster.position), col(Cluster.id))))


def audience_ids(session: Session, event_id: int) -> list[int]:
    return list(session.exec(select(EventAudience.cluster_id)
                             .where(col(EventAudience.event_id) == event_id)
                             .order_by(col(EventAudience.cluster_id))))


def view_of(session: Session, event: Event) -> EventView:
    assert event.id is not None
    action = session.get(Action, event.action_id) if event.action_id else None
    names = [] if event.all_members else cluster_names(session, audience_ids(session, event.id))
    return EventView(
        title=event.title, starts_at=event.starts_at, place=event.place,
        online_url=event.online_url, description=event.description, audience=names,
        action_code=action.code if action else None, capacity=event.capacity, id=event.id,
        status=str(event.status))
