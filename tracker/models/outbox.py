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


class Broadcast(SQLModel, table=True):
    """One message written at once for many people (a notice to a cluster's members): its
    rows are the outbox rows carrying its id; the person who started it sees one progress
    message edited as they go out, then a report."""

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32)  # the kind of its rows
    subject: str = Field(max_length=120)
    period: str = Field(max_length=32)
    started_by_id: int | None = Field(default=None, foreign_key="person.id")
    total: int = 0  # rows written (people already told under the same key are not counted)
    # The progress message is an outbox row of its own, so it too goes out once. Not a
    # foreign key: notification -> broadcast already is one, and a cycle would stop
    # SQLAlchemy from ordering inserts and drops.
    progress_id: int | None = Field(default=None)
    progress_edited_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    progress_shown: int = 0  # rows done when the progress message was last edited
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)


class Notification(SQLModel, table=True):
    # The sender's "next row" query walks this index in order: pending, due, oldest first.
    __table_args__ = (sa.Index("ix_notification_queue", "status", "not_before", "id"),)

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
    # Parts of a text longer than one message that have arrived: a retry goes on from there.
    parts_sent: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    broadcast_id: int | None = Field(default=None, foreign_key="broadcast.id", index=True)
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
