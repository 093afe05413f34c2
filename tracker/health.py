"""What an operator's check (`/healthz`) needs to know: can the database be reached, is its
schema at the newest migration, and how long has the oldest due outbox row been waiting
(Telegram notifications and e-mails): a sender that stopped shows as a growing age."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from tracker.models import MailMessage, MailStatus, Notification, NotificationStatus
from tracker.schema import head_revision, schema_revision


@dataclass(frozen=True)
class Health:
    database: bool
    schema: str | None  # the database's revision
    head: str | None  # the newest migration kume knows
    telegram_oldest_due: float | None  # seconds the oldest due pending row has waited
    mail_oldest_due: float | None
    error: str | None = None  # why the database could not be read (type only: no secrets)

    @property
    def schema_at_head(self) -> bool:
        return self.schema is not None and self.schema == self.head

    @property
    def ok(self) -> bool:
        return self.database and self.schema_at_head


def _age(oldest: datetime | None, now: datetime) -> float | None:
    if oldest is None:
        return None
    if oldest.tzinfo is None:  # SQLite hands back naive UTC in some paths
        oldest = oldest.replace(tzinfo=UTC)
    return max(0.0, (now - oldest).total_seconds())


def check(engine: Engine, now: datetime) -> Health:
    head = head_revision()
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        current = schema_revision(engine)
        if current != head:
            return Health(True, current, head, None, None)
        with Session(engine) as session:
            telegram = session.exec(
                select(sa.func.min(col(Notification.not_before))).where(
                    Notification.status == NotificationStatus.PENDING,
                    col(Notification.not_before) <= now)).one()
            mail = session.exec(
                select(sa.func.min(col(MailMessage.not_before))).where(
                    MailMessage.status == MailStatus.PENDING,
                    col(MailMessage.not_before) <= now)).one()
    except SQLAlchemyError as exc:
        return Health(False, None, head, None, None, type(exc).__name__)
    return Health(True, current, head, _age(telegram, now), _age(mail, now))
