"""Awareness events (action E3.1.4): announced by a secretary, answered by members."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from tracker.models.types import UTCDateTime, utcnow


class EventStatus(StrEnum):
    PENDING_APPROVAL = "pending_approval"  # [events] approval = true: an agency person decides
    PUBLISHED = "published"  # members of the audience were (or are being) told
    REJECTED = "rejected"
    CANCELLED = "cancelled"


class Event(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=200)
    starts_at: datetime = Field(sa_type=UTCDateTime, index=True)
    ends_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    place: str | None = Field(default=None, max_length=300)
    online_url: str | None = Field(default=None, max_length=500)
    description: str = Field(default="", max_length=2000)
    # The plan action the event serves (E3.1.4 unless the secretary chose another).
    action_id: int | None = Field(default=None, foreign_key="action.id", index=True)
    capacity: int | None = None
    # True: every member; False: the clusters in event_audience.
    all_members: bool = False
    status: EventStatus = Field(sa_type=sa.String(24), index=True)
    rejection_reason: str | None = Field(default=None, max_length=500)
    created_by_id: int | None = Field(default=None, foreign_key="person.id")
    decided_by_id: int | None = Field(default=None, foreign_key="person.id")
    # The check-in deep link's secret (t.me/<bot>?start=ci_<token>).
    checkin_token: str = Field(max_length=32, unique=True)
    # A head count the secretary entered by hand (people who came without scanning).
    manual_attendance: int | None = None
    # Bumped on every change of time or place: change notices are keyed by it, so each change
    # is told once to everyone who was told before.
    revision: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class EventAudience(SQLModel, table=True):
    __tablename__ = "event_audience"

    event_id: int = Field(foreign_key="event.id", primary_key=True)
    cluster_id: int = Field(foreign_key="cluster.id", primary_key=True, index=True)


class RsvpAnswer(StrEnum):
    YES = "yes"
    NO = "no"
    WAITING = "waiting"  # said yes when the event was full; promoted in order of waiting_since


class Rsvp(SQLModel, table=True):
    """A member's answer to an event. `/sil` sets person_id to None: the answer stays as an
    anonymous count, so the event's figures stay right."""

    __table_args__ = (sa.UniqueConstraint("event_id", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True)
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    answer: RsvpAnswer = Field(sa_type=sa.String(16))
    waiting_since: datetime | None = Field(default=None, sa_type=UTCDateTime)
    attended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    satisfaction: int | None = None  # 1-5, the day after
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
