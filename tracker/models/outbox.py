"""Everything kume sends on its own is first a row here, then a message."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from tracker.models.types import UTCDateTime, utcnow


class NotificationStatus(StrEnum):
    PENDING = "pending"  # waiting for its time or for a retry
    SENDING = "sending"  # claimed by a sender right now
    SENT = "sent"
    FAILED = "failed"  # gave up after the retries
    BLOCKED = "blocked"  # the person blocked the bot (403)
    SKIPPED = "skipped"  # no longer needed when its turn came (e.g. answered before a reminder)
    UNKNOWN = "unknown"  # a sender died while sending it: not resent, to send nothing twice


class Notification(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    # kind|subject|period|recipient: writing the same notification twice is impossible.
    key: str = Field(max_length=255, unique=True)
    kind: str = Field(max_length=32, index=True)
    subject: str = Field(max_length=120)
    period: str = Field(max_length=32)
    person_id: int = Field(foreign_key="person.id", index=True)
    chat_id: int = Field(sa_type=sa.BigInteger)
    text: str = Field(sa_type=sa.Text)
    # [[label, callback data], ...] rows of inline buttons.
    buttons: list = Field(default_factory=list, sa_type=sa.JSON)
    status: NotificationStatus = Field(sa_type=sa.String(16), index=True)
    attempts: int = 0
    not_before: datetime = Field(sa_type=UTCDateTime, index=True)
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, max_length=500)
    telegram_message_id: int | None = Field(default=None, sa_type=sa.BigInteger)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class QuarterReopening(SQLModel, table=True):
    """The agency reopened a locked quarter for one organisation until `until`."""

    __tablename__ = "quarter_reopening"

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    quarter: str = Field(max_length=7)
    until: datetime = Field(sa_type=UTCDateTime)
    person_id: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class DueEvent(SQLModel, table=True):
    """A scheduled moment (a quarter's prompt, a reminder, the escalation) once handled, so
    that after downtime kume knows which moments it really missed."""

    __tablename__ = "due_event"
    __table_args__ = (sa.UniqueConstraint("kind", "period"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32)
    period: str = Field(max_length=16)
    handled_at: datetime = Field(sa_type=UTCDateTime)
    late: bool = False  # handled after its grace period (summarised, not sent one by one)
