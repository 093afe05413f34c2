"""A cluster's Telegram groups and channels: notices for the cluster are posted there too.

An admin links a chat with `/bagla <küme>` (in the group itself, or from a private chat for a
channel) and unlinks it with `/ayir`. A chat belongs to one cluster at most (ClusterChat.chat_id
is unique): linking it again moves it.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import ClassVar

from sqlmodel import Session, col, select

from tracker.errors import NotFound
from tracker.models import Cluster, ClusterChat, Person


class ClusterNotFound(NotFound):
    """An unknown cluster code; the reason names the known ones (texts/announcements.j2)."""

    template: ClassVar[str] = "texts/announcements.j2"


def cluster_by_code(session: Session, code: str) -> Cluster:
    """The cluster with `code` (case-insensitive); NotFound names the known codes."""
    wanted = code.strip().casefold()
    clusters = all_clusters(session)
    for cluster in clusters:
        if cluster.code.casefold() == wanted:
            return cluster
    raise ClusterNotFound("cluster_unknown", code=code.strip()[:64],
                   known=[c.code for c in clusters])


def all_clusters(session: Session) -> list[Cluster]:
    return list(session.exec(select(Cluster).order_by(col(Cluster.position), col(Cluster.id))))


def link(session: Session, cluster: Cluster, chat_id: int, title: str, by: Person,
         now: datetime) -> ClusterChat:
    """Link the chat to `cluster` (moving it if it was another's)."""
    chat = session.exec(select(ClusterChat).where(col(ClusterChat.chat_id) == chat_id)).first()
    if chat is None:
        chat = ClusterChat(cluster_id=cluster.id or 0, chat_id=chat_id)
    chat.cluster_id = cluster.id or 0
    chat.title = title[:255]
    chat.linked_by_id = by.id
    chat.linked_at = now
    session.add(chat)
    session.flush()
    return chat


def unlink(session: Session, chat_id: int) -> Cluster | None:
    """Forget the chat; the cluster it was linked to, None if it was not."""
    chat = session.exec(select(ClusterChat).where(col(ClusterChat.chat_id) == chat_id)).first()
    if chat is None:
        return None
    cluster = session.get(Cluster, chat.cluster_id)
    session.delete(chat)
    session.flush()
    return cluster


def chats_of(session: Session, cluster_ids: Collection[int] | None) -> list[ClusterChat]:
    """The chats that hear a notice for `cluster_ids` (None: every cluster's), each once."""
    query = select(ClusterChat)
    if cluster_ids is not None:
        query = query.where(col(ClusterChat.cluster_id).in_(list(cluster_ids)))
    return list(session.exec(query.order_by(col(ClusterChat.id))))
