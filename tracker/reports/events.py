"""Awareness events in a report: the "Etkinlikler" sheet and the summary's lines.

One statement reads the period's published events with their figures (correlated
subqueries, so the statement count stays fixed however many events and answers there are).
Attendance is those who checked in by the link plus the head count entered by hand.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import col

from tracker.models import (
    Action,
    Cluster,
    Event,
    EventAudience,
    EventStatus,
    Notification,
    NotificationStatus,
    Rsvp,
    RsvpAnswer,
)
from tracker.notifications.rules import EVENT_NOTICE
from tracker.quarters import Quarter
from tracker.rows import select_columns

Run = Callable[[Any], sa.Result[*tuple[Any, ...]]]
# The announcement's outbox kind (tracker.notifications.rules.EVENT_NOTICE): "told" counts
# those rows delivered.
TOLD_KIND = EVENT_NOTICE  # the notices delivered are the people told


@dataclass(frozen=True)
class EventRow:
    id: int
    title: str
    starts_at: datetime
    clusters: tuple[str, ...]  # audience cluster codes; empty: every member
    all_members: bool
    action_id: int | None
    action_code: str | None
    told: int
    yes: int
    scanned: int  # checked in by the link
    manual: int | None  # head count entered by hand
    satisfaction_answers: int
    satisfaction_total: int

    @property
    def attended(self) -> int:
        return self.scanned + (self.manual or 0)

    @property
    def satisfaction(self) -> float | None:
        if not self.satisfaction_answers:
            return None
        return round(self.satisfaction_total / self.satisfaction_answers, 2)


def _count(*where: Any) -> sa.ScalarSelect[Any]:
    return sa.select(sa.func.count()).where(*where).scalar_subquery()


def read_events(run: Run, first: Quarter, last: Quarter) -> list[EventRow]:
    """The published events held in [first, last], in date order, each with its figures."""
    rsvp_of = col(Rsvp.event_id) == Event.id
    clusters = (sa.select(sa.func.aggregate_strings(col(Cluster.code), "\n"))
                .select_from(EventAudience)
                .join(Cluster, col(Cluster.id) == EventAudience.cluster_id)
                .where(col(EventAudience.event_id) == Event.id).scalar_subquery())
    scores = col(Rsvp.satisfaction)
    statement = (
        select_columns(
            col(Event.id), col(Event.title), col(Event.starts_at), col(Event.all_members),
            col(Event.action_id), col(Action.code), col(Event.manual_attendance), clusters,
            _count(col(Notification.kind) == TOLD_KIND,
                   col(Notification.status) == NotificationStatus.SENT.value,
                   col(Notification.subject) == sa.literal("event:")
                   + sa.cast(Event.id, sa.String)),
            _count(rsvp_of, col(Rsvp.answer) == RsvpAnswer.YES.value),
            _count(rsvp_of, col(Rsvp.attended_at).is_not(None)),
            _count(rsvp_of, scores.is_not(None)),
            sa.select(sa.func.coalesce(sa.func.sum(scores), 0)).where(rsvp_of)
            .scalar_subquery())
        .select_from(Event)
        .outerjoin(Action, col(Action.id) == Event.action_id)
        .where(col(Event.status) == EventStatus.PUBLISHED.value,
               col(Event.starts_at) >= first.start, col(Event.starts_at) < last.end)
        .order_by(col(Event.starts_at), col(Event.id)))
    return [
        EventRow(id=r[0], title=r[1], starts_at=r[2], all_members=bool(r[3]),
                 action_id=r[4], action_code=r[5], manual=r[6],
                 clusters=tuple(sorted((r[7] or "").split("\n"))) if r[7] else (),
                 told=r[8], yes=r[9], scanned=r[10], satisfaction_answers=r[11],
                 satisfaction_total=int(r[12] or 0))
        for r in run(statement)]


def in_scope(rows: Iterable[EventRow], action_ids: frozenset[int] | None,
             cluster_code: str | None) -> tuple[EventRow, ...]:
    """The events a report covers: of its actions (None: any), for its cluster (or all)."""
    return tuple(
        r for r in rows
        if (action_ids is None or r.action_id in action_ids)
        and (cluster_code is None or r.all_members or cluster_code in r.clusters))


@dataclass(frozen=True)
class EventTotal:
    """Events, participants (said yes) and attendance of one group of events."""

    key: str
    events: int
    participants: int
    attended: int


@dataclass(frozen=True)
class EventSummary:
    total: EventTotal
    by_cluster: tuple[EventTotal, ...]  # "" for events for every member
    by_action: tuple[EventTotal, ...]  # "" for events with no plan action
    satisfaction: float | None  # over every answer

    @property
    def count(self) -> int:
        return self.total.events


def summarise(rows: Iterable[EventRow]) -> EventSummary:
    events = list(rows)
    clusters: dict[str, list[EventRow]] = defaultdict(list)
    actions: dict[str, list[EventRow]] = defaultdict(list)
    for r in events:
        for code in r.clusters or ("",):
            clusters[code].append(r)
        actions[r.action_code or ""].append(r)
    answers = sum(r.satisfaction_answers for r in events)
    return EventSummary(
        total=_total("", events),
        by_cluster=tuple(_total(k, v) for k, v in sorted(clusters.items())),
        by_action=tuple(_total(k, v) for k, v in sorted(actions.items())),
        satisfaction=round(sum(r.satisfaction_total for r in events) / answers, 2)
        if answers else None)


def _total(key: str, rows: list[EventRow]) -> EventTotal:
    return EventTotal(key, len(rows), sum(r.yes for r in rows), sum(r.attended for r in rows))
