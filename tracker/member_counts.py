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

from sqlalchemy import func
from sqlmodel import Session, col, or_, select

from tracker.models import Cluster, ClusterFollow


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


def following_at(session: Session, moment: datetime) -> dict[int, int]:
    """Cluster id -> members following it at `moment`."""
    rows = session.exec(
        select(ClusterFollow.cluster_id, func.count())
        .where(col(ClusterFollow.started_at) < moment,
               or_(col(ClusterFollow.ended_at).is_(None), col(ClusterFollow.ended_at) >= moment))
        .group_by(col(ClusterFollow.cluster_id))
    ).all()
    return {cluster_id: n for cluster_id, n in rows}


def _moved(session: Session, column: Any, start: datetime, end: datetime) -> dict[int, int]:
    rows = session.exec(
        select(ClusterFollow.cluster_id, func.count())
        .where(column >= start, column < end)
        .group_by(col(ClusterFollow.cluster_id))
    ).all()
    return {cluster_id: n for cluster_id, n in rows}


def member_counts(
    session: Session,
    start: datetime,
    end: datetime,
    cluster_ids: Collection[int] | None = None,
) -> list[MemberCount]:
    """One row per cluster (every cluster, or `cluster_ids`) for the period [start, end)."""
    before, after = following_at(session, start), following_at(session, end)
    joined = _moved(session, col(ClusterFollow.started_at), start, end)
    left = _moved(session, col(ClusterFollow.ended_at), start, end)
    query = select(Cluster).order_by(col(Cluster.position), col(Cluster.id))
    if cluster_ids is not None:
        query = query.where(col(Cluster.id).in_(list(cluster_ids)))
    counts = []
    for cluster in session.exec(query):
        assert cluster.id is not None
        counts.append(MemberCount(
            cluster.id, cluster.code, cluster.name, before.get(cluster.id, 0),
            after.get(cluster.id, 0), joined.get(cluster.id, 0), left.get(cluster.id, 0)))
    return counts
