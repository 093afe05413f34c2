"""A fault inside the bot, told to the administrators: one short line, at most once a window.

The person who met it gets an apology and the log gets the traceback; the administrators get a
notice naming the kind of error and when, so that they know to read the log. A burst of the
same error (a broken query everyone meets at 10:00) makes one notice per administrator per
window: the window's start is part of the outbox key, so the unique key decides, across
processes too, and nothing is sent twice. The notice names the error's class only: its message
and traceback may hold a person's words or a secret (a database URL), and stay in the log.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import Session, col, select

from tracker import texts
from tracker.models import Person, Role
from tracker.notifications.outbox import enqueue

NOTICE_EVERY = timedelta(minutes=15)  # at most one notice per kind of error this often
SUBJECT_LENGTH = 120  # Notification.subject


def window_start(now: datetime, every: timedelta = NOTICE_EVERY) -> datetime:
    """The start of the window `now` falls in: windows are aligned to the epoch, so every
    process agrees on them."""
    seconds = int(every.total_seconds())
    stamp = int(now.timestamp())
    return datetime.fromtimestamp(stamp - stamp % seconds, tz=UTC)


def report_fault(
    session: Session, *, kind: str, during_update: bool, now: datetime,
    every: timedelta = NOTICE_EVERY,
) -> int:
    """Queue the notice of a fault of `kind` (the error's class name) for every active
    administrator, unless this window has one already; how many were queued."""
    admins = session.exec(
        select(Person).where(Person.role == Role.ADMIN, col(Person.active).is_(True))
    ).all()
    text = texts.render("messages/fault.j2", kind=kind, during_update=during_update, at=now,
                        minutes=int(every.total_seconds() // 60))
    period = window_start(now, every).isoformat(timespec="minutes")
    queued = 0
    for admin in admins:
        row = enqueue(session, kind="fault", subject=kind[:SUBJECT_LENGTH], period=period,
                      person=admin, text=text, not_before=now, now=now)
        queued += row is not None
    return queued
