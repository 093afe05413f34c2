"""Notices (duyurular): a plain text from a person to cluster members, and to the clusters'
Telegram groups and channels.

`/duyuru` (tracker.dialogs.announce) and `kume broadcast` share this: who is in an audience,
how the notice reads, and writing it to the outbox. Members are found by tracker.audience (the
one place that leaves out those who stopped or never consented); the members' rows are one
broadcast (tracker.notifications.broadcast: progress message and report for the person who
sent it), the chats' rows plain outbox rows beside it, keyed by chat, one per chat. The
sender spaces them 20 a minute per group (bot.pacing.ChatPacing).

Who may address whom: agency staff and admins address every member at once or chosen
clusters; a committee secretary addresses chosen clusters (any of them, one or more), but
not "every member" in one go: a notice to everyone speaks for the whole strategy, which is
the agency's voice. The bot checks this again when the button is pressed.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from tracker import texts
from tracker.audience import members_of
from tracker.cluster_chats import chats_of
from tracker.errors import DomainError
from tracker.models import (
    Broadcast,
    Cluster,
    ClusterChat,
    Notification,
    NotificationStatus,
    Person,
    Role,
)
from tracker.notifications.broadcast import start_broadcast
from tracker.notifications.rules import BROADCAST
from tracker.quarters import ISTANBUL

# A notice is short news, not a document: well under Telegram's 4,096 with its heading.
MAX_TEXT = 3000
EVERYONE_ROLES = frozenset({Role.ADMIN, Role.AGENCY})
NOTICE = "messages/notice.j2"


class NoticeError(DomainError):
    """A notice that cannot go as asked; worded in templates/texts/announcements.j2."""

    template: ClassVar[str] = "texts/announcements.j2"


def may_address_everyone(person: Person | None) -> bool:
    return person is None or person.role in EVERYONE_ROLES  # None: the command line


def checked_text(text: str | None) -> str:
    """The notice as typed, without surrounding spaces; NoticeError if empty or too long.
    Kept as plain text: the template escapes it for Telegram's HTML."""
    cleaned = (text or "").strip()
    if not cleaned:
        raise NoticeError("notice_empty")
    if len(cleaned) > MAX_TEXT:
        raise NoticeError("notice_too_long", length=len(cleaned), limit=MAX_TEXT)
    return cleaned


@dataclass(frozen=True)
class Audience:
    clusters: list[Cluster]  # empty: every member
    members: list[Person]
    chats: list[ClusterChat]

    @property
    def everyone(self) -> bool:
        return not self.clusters


def audience(session: Session, cluster_ids: Collection[int] | None) -> Audience:
    """Who hears a notice for `cluster_ids` (None: every member, and every cluster's chats)."""
    clusters: list[Cluster] = []
    if cluster_ids is not None:
        found = session.exec(select(Cluster).where(col(Cluster.id).in_(list(cluster_ids)))
                             .order_by(col(Cluster.position), col(Cluster.id))).all()
        clusters = list(found)
        if len(clusters) != len(set(cluster_ids)) or not clusters:
            raise NoticeError("clusters_gone")
    ids = [c.id for c in clusters if c.id is not None] if cluster_ids is not None else None
    return Audience(clusters, members_of(session, ids), chats_of(session, ids))


def notice_text(audience: Audience, text: str, author: Person | None) -> str:
    """The notice exactly as members (and the chats) see it."""
    return texts.render(NOTICE, clusters=audience.clusters, text=text, author=author)


@dataclass(frozen=True)
class Announced:
    broadcast: Broadcast | None  # None: no member to tell (chats only)
    members: int
    chats: int


def announce(session: Session, *, text: str, audience: Audience, subject: str,
             now: datetime, author: Person | None) -> Announced:
    """Write the notice for the audience's members (one broadcast; the author, if any, gets
    its progress and report) and one row per linked chat. `subject` makes it unique: the
    same subject written twice reaches nobody twice."""
    body = notice_text(audience, checked_text(text), author)
    period = now.astimezone(ISTANBUL).date().isoformat()
    broadcast = None
    if audience.members:
        broadcast = start_broadcast(session, text=body, recipients=audience.members,
                                    subject=subject, period=period, now=now,
                                    started_by=author)
    chats = post_to_chats(session, audience.chats, body, subject=subject, period=period,
                          now=now, author=author)
    return Announced(broadcast, broadcast.total if broadcast else 0, chats)


def post_to_chats(session: Session, chats: Collection[ClusterChat], body: str, *,
                  subject: str, period: str, now: datetime, author: Person | None,
                  kind: str = BROADCAST) -> int:
    """One outbox row per chat (events post their notices this way too); how many were
    written (a chat told under the same kind, subject and period already is left alone)."""
    return sum(_chat_row(session, chat, body, kind, subject, period, now, author)
               for chat in chats)


def _chat_row(session: Session, chat: ClusterChat, body: str, kind: str, subject: str,
              period: str, now: datetime, author: Person | None) -> bool:
    """A chat's copy: a row of its own (not one of the broadcast's, whose counts are
    people), on behalf of whoever linked the chat (a row needs a person; a 403 there
    unlinks the chat, never touches them: tracker.notifications.blocked)."""
    owner = chat.linked_by_id or (author.id if author else None)
    if owner is None:
        return False
    key = f"{kind}|{subject}|{period}|chat{chat.chat_id}"
    row = Notification(key=key, kind=kind, subject=subject, period=period,
                       person_id=owner, chat_id=chat.chat_id, text=body,
                       status=NotificationStatus.PENDING, not_before=now, created_at=now)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:  # written already under this subject
        return False
    return True
