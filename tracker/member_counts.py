"""How many members each cluster has: following at a moment, joined and left in a period.

Counted from the follow stints alone (tracker.models.ClusterFollow): a stint starts when a
member follows a cluster and ends when they unfollow, stop (/dur) or delete themselves (/sil,
which keeps the stint without a name). So the figures of any past period stay right.
Following again after leaving is a new stint: it counts as joining again.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func
from sqlmodel import Session, col, or_, select

from tracker.models import Cluster, ClusterFollow
from tracker.rows import select_columns


@dataclass(frozen=True)
class MemberCount:
    cluster_id: int
    cluster_code: str
    cluster_name: str
    active_before: int  # following at the period's start
    active: int  # following at the period's end
    joined: int  # stints started in the period
    left: int  # stints ended in the period

    @property
    def change(self) -> int:
        return self.active - self.active_before


def movements(
    session: Session, start: datetime, end: datetime
) -> dict[int, tuple[int, int, int, int]]:
    """Cluster id -> (following at `start`, following at `end`, joined, left in between):
    one statement, whatever the numbers of members and clusters."""

    def following(moment: datetime) -> Any:
        return case((and_(started < moment, or_(ended.is_(None), ended >= moment)), 1), else_=0)

    def between(column: Any) -> Any:
        return case((and_(column >= start, column < end), 1), else_=0)

    started, ended = col(ClusterFollow.started_at), col(ClusterFollow.ended_at)
    rows = session.exec(
        select_columns(col(ClusterFollow.cluster_id), func.sum(following(start)),
                       func.sum(following(end)), func.sum(between(started)),
                       func.sum(between(ended)))
        .group_by(col(ClusterFollow.cluster_id))
    ).all()
    return {row[0]: (int(row[1] or 0), int(row[2] or 0), int(row[3] or 0), int(row[4] or 0))
            for row in rows}


def member_counts(
    session: Session,
    start: datetime,
    end: datetime,
    cluster_ids: Collection[int] | None = None,
) -> list[MemberCount]:
    """One row per cluster (every cluster, or `cluster_ids`) for the period [start, end)."""
    moved = movements(session, start, end)
    query = select(Cluster).order_by(col(Cluster.position), col(Cluster.id))
    if cluster_ids is not None:
        query = query.where(col(Cluster.id).in_(list(cluster_ids)))
    counts = []
    for cluster in session.exec(query):
        assert cluster.id is not None
        counts.append(MemberCount(cluster.id, cluster.code, cluster.name,
                                  *moved.get(cluster.id, (0, 0, 0, 0))))
    return counts
