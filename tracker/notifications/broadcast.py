"""Broadcasts: one message for many people, written into the outbox at once and followed as
it goes out.

`start_broadcast` writes a row per recipient under one broadcast id, in bulk (10,000 rows in
a fraction of a second), each keyed kind|subject|period|recipient like every outbox row, so
writing the same broadcast twice reaches nobody twice. The person who started it gets a
progress message (itself an outbox row, so it too goes out once), edited as the rows go out
(`progress_edits`), and a report once every row has an outcome (`settle_broadcasts`).
Callers in the bot run these in a worker thread: writing never blocks anyone's answers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, func, select

from tracker import texts
from tracker.models import Broadcast, Notification, NotificationStatus, Person
from tracker.notifications.outbox import enqueue, notification_key
from tracker.notifications.rules import BROADCAST, BROADCAST_PROGRESS, BROADCAST_REPORT

T = "messages/broadcast.j2"
CHUNK = 1000  # rows per INSERT: large enough to be quick, small enough for any driver


@dataclass(frozen=True)
class BroadcastProgress:
    total: int
    sent: int = 0
    blocked: int = 0
    failed: int = 0
    unknown: int = 0
    skipped: int = 0
    waiting: int = 0  # pending or being sent

    @property
    def done(self) -> int:
        return self.total - self.waiting

    @property
    def finished(self) -> bool:
        return self.waiting == 0


@dataclass(frozen=True)
class ProgressEdit:
    """The progress message to edit, and its new text."""

    chat_id: int
    message_id: int
    text: str


def start_broadcast(
    session: Session,
    *,
    text: str,
    recipients: Iterable[Person],
    subject: str,
    period: str,
    now: datetime,
    started_by: Person | None = None,
    kind: str = BROADCAST,
    buttons: Sequence[Sequence[tuple[str, str]]] = (),
    not_before: datetime | None = None,
) -> Broadcast:
    """Write `text` for every active recipient with a Telegram chat; the person who started
    it (if any) gets the progress message and the report."""
    broadcast = Broadcast(kind=kind, subject=subject, period=period, created_at=now,
                          started_by_id=started_by.id if started_by else None)
    session.add(broadcast)
    session.flush()
    assert broadcast.id is not None
    progress = None
    if started_by is not None:  # first, so that it leads the rows out of the outbox
        progress = enqueue(session, kind=BROADCAST_PROGRESS, subject=str(broadcast.id),
                           period=period, person=started_by, text="…", not_before=now,
                           now=now)
    rows = _rows(broadcast, recipients, text, buttons, not_before or now, now)
    for start in range(0, len(rows), CHUNK):
        session.execute(_insert_ignoring_duplicates(session), rows[start:start + CHUNK])
    broadcast.total = _count(session, broadcast.id)
    if progress is not None:
        progress.text = texts.render(T, name="progress", progress=BroadcastProgress(
            total=broadcast.total, waiting=broadcast.total))
        broadcast.progress_id = progress.id
        session.add(progress)
    session.add(broadcast)
    session.flush()
    return broadcast


def _rows(broadcast: Broadcast, recipients: Iterable[Person], text: str,
          buttons: Sequence[Sequence[tuple[str, str]]], not_before: datetime,
          now: datetime) -> list[dict[str, Any]]:
    stored_buttons = [[list(b) for b in line] for line in buttons]
    rows: dict[str, dict[str, Any]] = {}
    for person in recipients:
        if not person.active or person.telegram_user_id is None or person.id is None:
            continue
        key = notification_key(broadcast.kind, broadcast.subject, broadcast.period, person.id)
        rows[key] = dict(
            key=key, kind=broadcast.kind, subject=broadcast.subject, period=broadcast.period,
            person_id=person.id, chat_id=person.telegram_user_id, text=text,
            buttons=stored_buttons, status=NotificationStatus.PENDING, attempts=0,
            parts_sent=0, not_before=not_before, created_at=now, broadcast_id=broadcast.id)
    return list(rows.values())


def _insert_ignoring_duplicates(session: Session) -> Any:
    """A row whose key exists (the person was told under the same key) is left alone; the
    unique index decides, so two broadcasts written at once still reach each person once."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(Notification).on_conflict_do_nothing(index_elements=["key"])


def _count(session: Session, broadcast_id: int) -> int:
    return session.exec(select(func.count()).where(
        col(Notification.broadcast_id) == broadcast_id)).one()


def broadcast_progress(session: Session, broadcast: Broadcast) -> BroadcastProgress:
    counts = dict(session.exec(
        select(Notification.status, func.count())
        .where(col(Notification.broadcast_id) == broadcast.id)
        .group_by(Notification.status)).all())
    status = NotificationStatus
    return BroadcastProgress(
        total=broadcast.total, sent=counts.get(status.SENT, 0),
        blocked=counts.get(status.BLOCKED, 0), failed=counts.get(status.FAILED, 0),
        unknown=counts.get(status.UNKNOWN, 0), skipped=counts.get(status.SKIPPED, 0),
        waiting=counts.get(status.PENDING, 0) + counts.get(status.SENDING, 0))


def progress_edits(session: Session, now: datetime, every: timedelta) -> list[ProgressEdit]:
    """The progress messages to edit now: at most one edit per `every`, and only when there
    is something new to show. The edit is claimed in the database, so two senders sharing
    the outbox do not both make it."""
    edits = []
    for broadcast, message in _open_with_progress(session):
        if broadcast.progress_edited_at is not None and (
                broadcast.progress_edited_at > now - every):
            continue
        progress = broadcast_progress(session, broadcast)
        if progress.done == broadcast.progress_shown:
            continue
        if _claim_edit(session, broadcast, progress, now, every):
            edits.append(_edit(message, progress))
    return edits


def settle_broadcasts(session: Session, now: datetime) -> list[ProgressEdit]:
    """Finish the broadcasts whose every row has an outcome: write the report for the person
    who started it into the outbox and return the last edit of the progress message."""
    edits = []
    for broadcast in session.exec(select(Broadcast).where(
            col(Broadcast.finished_at).is_(None))).all():
        progress = broadcast_progress(session, broadcast)
        if not progress.finished:
            continue
        finished = session.exec(
            sa.update(Broadcast)
            .where(col(Broadcast.id) == broadcast.id, col(Broadcast.finished_at).is_(None))
            .values(finished_at=now, progress_shown=progress.done, progress_edited_at=now))
        if finished.rowcount != 1:
            continue  # another sender settled it a moment ago
        edit = _final_progress(session, broadcast, progress)
        if edit is not None:
            edits.append(edit)
        starter = session.get(Person, broadcast.started_by_id) if broadcast.started_by_id else None
        if starter is not None:
            enqueue(session, kind=BROADCAST_REPORT, subject=str(broadcast.id),
                    period=broadcast.period, person=starter,
                    text=texts.render(T, name="report", progress=progress),
                    not_before=now, now=now)
    return edits


def _open_with_progress(session: Session) -> list[tuple[Broadcast, Notification]]:
    return list(session.exec(
        select(Broadcast, Notification)
        .join(Notification, col(Notification.id) == Broadcast.progress_id)
        .where(col(Broadcast.finished_at).is_(None),
               col(Notification.status) == NotificationStatus.SENT,
               col(Notification.telegram_message_id).is_not(None))).all())


def _claim_edit(session: Session, broadcast: Broadcast, progress: BroadcastProgress,
                now: datetime, every: timedelta) -> bool:
    last = col(Broadcast.progress_edited_at)
    result = session.exec(
        sa.update(Broadcast)
        .where(col(Broadcast.id) == broadcast.id,
               sa.or_(last.is_(None), last <= now - every))
        .values(progress_edited_at=now, progress_shown=progress.done))
    return result.rowcount == 1


def _final_progress(session: Session, broadcast: Broadcast,
                    progress: BroadcastProgress) -> ProgressEdit | None:
    """The progress message with the final figures: an edit if it went out, else its text
    before it goes (a broadcast quicker than its own progress message)."""
    message = session.get(Notification, broadcast.progress_id) if broadcast.progress_id else None
    if message is None:
        return None
    if message.status == NotificationStatus.PENDING:
        message.text = texts.render(T, name="progress", progress=progress)
        session.add(message)
        return None
    if message.status == NotificationStatus.SENT and message.telegram_message_id is not None:
        return _edit(message, progress)
    return None


def _edit(message: Notification, progress: BroadcastProgress) -> ProgressEdit:
    assert message.telegram_message_id is not None
    return ProgressEdit(message.chat_id, message.telegram_message_id,
                        texts.render(T, name="progress", progress=progress))
