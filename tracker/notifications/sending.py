"""The outbox rows' way out: claim the next row just before its send, record what became of
it, and say what still waits and why. The sender (bot/sender.py) calls these, each in one
transaction of its own; they never talk to Telegram.

A row is claimed (`pending` -> `sending`) right before its own request leaves and recorded
right after, so a sender killed at any moment leaves at most its in-flight rows in doubt.
On PostgreSQL several senders share the outbox: the next row is picked with
`FOR UPDATE SKIP LOCKED`, so two senders never wait for, nor take, the same row; on SQLite
the claim is a conditional update that only one writer can win.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, func, select
from sqlmodel.sql.expression import SelectOfScalar

from tracker.calendar import CalendarSettings
from tracker.models import Notification, NotificationStatus
from tracker.notifications.due import still_needed
from tracker.notifications.outbox import ERROR_LENGTH, finish
from tracker.notifications.rules import SendRule, opens_at, rule_for, sendable_now
from tracker.rows import select_columns

PENDING = NotificationStatus.PENDING
SENDING = NotificationStatus.SENDING


@dataclass
class Claim:
    """What `claim_next` found."""

    row: Notification | None = None  # claimed: send it now (detached from the session)
    skipped: bool = False  # claimed and skipped at once: no longer needed
    held_back: bool = False  # nothing to send now, but rows wait for a busy chat
    contended: bool = False  # another sender took the row first: look again at once


def claim_next(session: Session, now: datetime, calendar: CalendarSettings,
               busy_chats: Collection[int] = ()) -> Claim:
    """Claim the oldest due row that may go now, skipping the chats that must wait."""
    row_id = session.exec(_next_row(session, now, calendar, busy_chats)).first()
    if row_id is None:
        held = bool(busy_chats) and session.exec(_next_row(session, now, calendar, ())).first()
        return Claim(held_back=bool(held))
    result = session.exec(
        sa.update(Notification)
        .where(col(Notification.id) == row_id, col(Notification.status) == PENDING)
        .values(status=SENDING, claimed_at=now))
    if result.rowcount != 1:
        return Claim(contended=True)
    row = session.get(Notification, row_id)
    assert row is not None
    if not still_needed(session, row.kind, row.subject, row.period):
        finish(session, row_id, NotificationStatus.SKIPPED, now)
        return Claim(skipped=True)
    session.flush()
    session.expunge(row)
    return Claim(row=row)


def _next_row(session: Session, now: datetime, calendar: CalendarSettings,
              busy_chats: Collection[int]) -> SelectOfScalar[int | None]:
    query = select(col(Notification.id)).where(
        col(Notification.status) == PENDING, col(Notification.not_before) <= now,
        sendable_now(now, calendar))
    if busy_chats:
        query = query.where(col(Notification.chat_id).not_in(list(busy_chats)))
    query = query.order_by(col(Notification.not_before), col(Notification.id)).limit(1)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return query


def release(session: Session, notification_id: int, now: datetime, *, error: str,
            retry_at: datetime | None = None, parts_sent: int | None = None) -> None:
    """Give a claimed row back for another try (at `retry_at`, else as soon as allowed),
    counting the attempt."""
    values: dict = {"status": PENDING, "last_error": error[:ERROR_LENGTH],
                    "attempts": Notification.attempts + 1}
    if retry_at is not None:
        values["not_before"] = retry_at
    if parts_sent is not None:
        values["parts_sent"] = parts_sent
    session.exec(sa.update(Notification).where(col(Notification.id) == notification_id)
                 .values(**values))


def renew_claims(session: Session, notification_ids: Collection[int], now: datetime) -> None:
    """A live sender's rows in flight are not abandoned (see outbox.recover_abandoned)."""
    if notification_ids:
        session.exec(sa.update(Notification)
                     .where(col(Notification.id).in_(list(notification_ids)),
                            col(Notification.status) == SENDING)
                     .values(claimed_at=now))


def next_due_in(session: Session, now: datetime, calendar: CalendarSettings,
                within: timedelta) -> timedelta | None:
    """How long until the next row that may go now falls due, if within `within`."""
    first = session.exec(
        select(func.min(Notification.not_before)).where(
            col(Notification.status) == PENDING, col(Notification.not_before) > now,
            col(Notification.not_before) <= now + within, sendable_now(now, calendar))).first()
    return None if first is None else _aware(first) - now


@dataclass
class Backlog:
    """The outbox rows that wait, and why."""

    closed: dict[SendRule, tuple[int, datetime]] = field(default_factory=dict)  # n, opens at
    retry: int = 0  # failed for now, tried again at `retry_at` (the earliest)
    retry_at: datetime | None = None
    later: int = 0  # their time has not come (the earliest at `later_at`)
    later_at: datetime | None = None
    due: int = 0  # may go now: only when sending stopped (a refused token, no connection)
    sending: int = 0  # claimed by a sender right now

    @property
    def total(self) -> int:
        closed = sum(count for count, _ in self.closed.values())
        return closed + self.retry + self.later + self.due + self.sending


def backlog(session: Session, now: datetime, calendar: CalendarSettings) -> Backlog:
    result = Backlog()
    # Grouped over a subquery: PostgreSQL does not match a GROUP BY expression that holds a
    # parameter with the same expression in the select list.
    waiting = (
        select_columns(col(Notification.kind), col(Notification.status),
                       col(Notification.not_before),
                       (col(Notification.not_before) <= now).label("due"),
                       (col(Notification.attempts) > 0).label("tried"))
        .where(col(Notification.status).in_([PENDING, SENDING])).subquery())
    rows = session.exec(
        select_columns(waiting.c.kind, waiting.c.status, waiting.c.due, waiting.c.tried,
                       func.count(), func.min(waiting.c.not_before))
        .group_by(waiting.c.kind, waiting.c.status, waiting.c.due, waiting.c.tried)).all()
    for kind, status, is_due, was_tried, count, first in rows:
        earliest = _aware(first)
        if status == SENDING:
            result.sending += count
        elif is_due:
            rule = rule_for(kind)
            if rule == SendRule.ANY_TIME or opens_at(rule, now, calendar) <= now:
                result.due += count
            else:
                known, _ = result.closed.get(rule, (0, now))
                result.closed[rule] = (known + count, opens_at(rule, now, calendar))
        elif was_tried:
            result.retry += count
            result.retry_at = min(filter(None, (result.retry_at, earliest)))
        else:
            result.later += count
            result.later_at = min(filter(None, (result.later_at, earliest)))
    return result


def _aware(moment: datetime) -> datetime:
    """An aggregate over a subquery may come back naive (UTC, as stored)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
