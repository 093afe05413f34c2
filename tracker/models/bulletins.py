"""E-bulletins, their e-mail subscribers, and the e-mail outbox."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from tracker.models.types import UTCDateTime, utcnow


class BulletinStatus(StrEnum):
    DRAFT = "draft"  # editable
    SCHEDULED = "scheduled"  # goes out at scheduled_at; still editable until then
    SENDING = "sending"  # frozen: its recipients' outbox rows are written
    SENT = "sent"


class Bulletin(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    # "2014Q1" (a quarter) or "2014-03" (a month): one bulletin per period.
    period: str = Field(max_length=7, unique=True)
    status: BulletinStatus = Field(sa_type=sa.String(16), index=True)
    scheduled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_by_id: int | None = Field(default=None, foreign_key="person.id")
    # What went out, written once when it is sent: a sent bulletin never changes, whatever
    # later happens to the data it was drawn from.
    frozen_html: str | None = Field(default=None, sa_type=sa.Text)
    frozen_text: str | None = Field(default=None, sa_type=sa.Text)
    frozen_telegram: list[str] | None = Field(default=None, sa_type=sa.JSON)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class BulletinItem(SQLModel, table=True):
    """A news item the agency added to a bulletin."""

    __tablename__ = "bulletin_item"

    id: int | None = Field(default=None, primary_key=True)
    bulletin_id: int = Field(foreign_key="bulletin.id", index=True)
    position: int = 0
    title: str = Field(max_length=200)
    body: str = Field(default="", max_length=2000)
    link: str | None = Field(default=None, max_length=500)
    # A photo sent in the dialog: its Telegram file id, and the bytes kept for e-mail and web.
    image_file_id: str | None = Field(default=None, max_length=300)
    image_path: str | None = Field(default=None, max_length=500)
    image_alt: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Subscriber(SQLModel, table=True):
    """Someone who gets bulletins by e-mail (imported or signed up), with their consent."""

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=320)
    # The address casefolded: duplicates merge whatever their case.
    email_key: str = Field(max_length=320, unique=True)
    name: str = Field(default="", max_length=200)
    consent_source: str = Field(max_length=200)  # e.g. "uyeler-2014.csv", "portal"
    consent_at: datetime = Field(sa_type=UTCDateTime)
    unsubscribed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    bounced_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    bounce_reason: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SubscriberCluster(SQLModel, table=True):
    __tablename__ = "subscriber_cluster"

    subscriber_id: int = Field(foreign_key="subscriber.id", primary_key=True)
    cluster_id: int = Field(foreign_key="cluster.id", primary_key=True)


class MailStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed by a sender right now
    SENT = "sent"
    FAILED = "failed"  # refused for good (not an address problem)
    BOUNCED = "bounced"  # a 5xx for this address: never retried
    SKIPPED = "skipped"  # the address unsubscribed before its turn
    UNKNOWN = "unknown"  # a sender died while sending it: not resent


class MailMessage(SQLModel, table=True):
    """One e-mail kume sends, written before it is sent (the e-mail outbox)."""

    __tablename__ = "mail_outbox"

    id: int | None = Field(default=None, primary_key=True)
    # kind|subject|period|address: the same mail can never be written twice.
    key: str = Field(max_length=500, unique=True)
    kind: str = Field(max_length=32, index=True)
    subject: str = Field(max_length=120)
    period: str = Field(max_length=32)
    subscriber_id: int | None = Field(default=None, foreign_key="subscriber.id", index=True)
    person_id: int | None = Field(default=None, foreign_key="person.id")
    address: str = Field(max_length=320)
    subject_line: str = Field(max_length=300)
    text: str = Field(sa_type=sa.Text)
    html: str = Field(sa_type=sa.Text)
    status: MailStatus = Field(sa_type=sa.String(16), index=True)
    attempts: int = 0
    not_before: datetime = Field(sa_type=UTCDateTime, index=True)
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, max_length=500)
    message_id: str | None = Field(default=None, max_length=300)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
