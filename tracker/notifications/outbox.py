"""The outbox: write a notification once, claim it for sending, record what happened."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from tracker.db import inserted_tables
from tracker.models import Notification, NotificationStatus, Person
from tracker.rows import column_length, table_of

ERROR_LENGTH = column_length(Notification, "last_error")


_TABLE = table_of(Notification).name  # asked after every transaction of the bot


def queued_in(session: Session) -> bool:
    """Whether this session added notifications: its committer wakes the sender."""
    return _TABLE in inserted_tables(session)


def notification_key(kind: str, subject: str, period: str, person_id: int) -> str:
    return f"{kind}|{subject}|{period}|{person_id}"


def enqueue(
    session: Session,
    *,
    kind: str,
    subject: str,
    period: str,
    person: Person,
    text: str,
    buttons: Sequence[Sequence[tuple[str, str]]] = (),
    not_before: datetime,
    now: datetime,
) -> Notification | None:
    """Add the notification unless one with the same key exists; None if it did."""
    if person.telegram_user_id is None or person.id is None:
        return None
    key = notification_key(kind, subject, period, person.id)
    if session.exec(select(Notification.id).where(Notification.key == key)).first():
        return None
    row = Notification(
        key=key, kind=kind, subject=subject, period=period, person_id=person.id,
        chat_id=person.telegram_user_id, text=text,
        buttons=[[list(b) for b in line] for line in buttons],
        status=NotificationStatus.PENDING, not_before=not_before, created_at=now)
    try:
        # A concurrent run-due may write the same key: the unique index decides, quietly.
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return None
    return row


def recover_abandoned(session: Session, now: datetime, after: timedelta) -> int:
    """Rows a dead sender left in `sending`: we cannot know if they went out, so they are
    marked unknown rather than sent again (nothing twice)."""
    result = session.exec(
        sa.update(Notification)
        .where(col(Notification.status) == NotificationStatus.SENDING,
               col(Notification.claimed_at) < now - after)
        .values(status=NotificationStatus.UNKNOWN, last_error="sender stopped while sending"))
    return result.rowcount or 0


def finish(session: Session, notification_id: int, status: NotificationStatus, now: datetime,
           *, error: str | None = None, message_id: int | None = None,
           retry_at: datetime | None = None, attempts: int | None = None,
           parts_sent: int | None = None) -> None:
    values: dict = {"status": status, "last_error": (error or None) and error[:ERROR_LENGTH]}
    if attempts is not None:
        values["attempts"] = Notification.attempts + attempts
    if parts_sent is not None:
        values["parts_sent"] = parts_sent
    if status == NotificationStatus.SENT:
        values.update(sent_at=now, telegram_message_id=message_id)
    if retry_at is not None:
        values.update(status=NotificationStatus.PENDING, not_before=retry_at)
    session.exec(sa.update(Notification).where(col(Notification.id) == notification_id)
                 .values(**values))


def list_outbox(session: Session, status: NotificationStatus | None = None,
                limit: int = 200) -> list[tuple[Notification, Person]]:
    query = select(Notification, Person).join(Person, col(Person.id) == Notification.person_id)
    if status is not None:
        query = query.where(Notification.status == status)
    return list(session.exec(query.order_by(col(Notification.id).desc()).limit(limit)).all())
