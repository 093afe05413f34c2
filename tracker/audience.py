"""Who follows which cluster, and so who hears a cluster's notices.

The one place that answers "which members are in this audience": events, broadcasts and
bulletins all ask here, so a member who stopped (`/dur`), declined consent or was deleted is
left out the same way everywhere.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlmodel import Session, col, select

from tracker.models import ClusterFollow, Person, Role


def follow(session: Session, person_id: int, cluster_id: int, now: datetime) -> bool:
    """Start following; False if the person already follows the cluster."""
    if _current(session, person_id, cluster_id) is not None:
        return False
    session.add(ClusterFollow(person_id=person_id, cluster_id=cluster_id, started_at=now))
    session.flush()
    return True


def unfollow(session: Session, person_id: int, cluster_id: int, now: datetime) -> bool:
    """End the current stint; False if the person did not follow the cluster."""
    stint = _current(session, person_id, cluster_id)
    if stint is None:
        return False
    stint.ended_at = now
    session.add(stint)
    session.flush()
    return True


def followed_clusters(session: Session, person_id: int) -> list[int]:
    return list(session.exec(
        select(ClusterFollow.cluster_id).where(
            col(ClusterFollow.person_id) == person_id, col(ClusterFollow.ended_at).is_(None))
        .order_by(col(ClusterFollow.cluster_id))))


def members_of(session: Session, cluster_ids: Collection[int] | None) -> list[Person]:
    """The members who hear a notice for `cluster_ids` (None: every member), each once.

    A member is reachable when active, consented, not stopped, and known to Telegram; for
    given clusters, following at least one of them now.
    """
    query = select(Person).where(
        col(Person.role) == Role.MEMBER, col(Person.active).is_(True),
        col(Person.consent_at).is_not(None), col(Person.stopped_at).is_(None),
        col(Person.telegram_user_id).is_not(None))
    if cluster_ids is not None:
        following = select(ClusterFollow.person_id).where(
            col(ClusterFollow.cluster_id).in_(list(cluster_ids)),
            col(ClusterFollow.ended_at).is_(None))
        query = query.where(col(Person.id).in_(following))
    return list(session.exec(query.order_by(col(Person.id))))


def _current(session: Session, person_id: int, cluster_id: int) -> ClusterFollow | None:
    return session.exec(select(ClusterFollow).where(
        col(ClusterFollow.person_id) == person_id, col(ClusterFollow.cluster_id) == cluster_id,
        col(ClusterFollow.ended_at).is_(None))).first()
