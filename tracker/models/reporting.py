"""What responsible bodies report: quarterly status updates and indicator figures.

Both are append-only: a correction is a new row with the next version, so every answer ever
given stays in the history and the latest version is the current one.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from tracker.models.types import FIGURE, UTCDateTime, utcnow


class Status(StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    DELAYED = "delayed"
    CANCELLED = "cancelled"


class StatusUpdate(SQLModel, table=True):
    __tablename__ = "status_update"
    __table_args__ = (sa.UniqueConstraint("action_id", "organisation_id", "quarter", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    action_id: int = Field(foreign_key="action.id", index=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    quarter: str = Field(max_length=7, index=True)
    version: int = 1
    status: Status = Field(sa_type=sa.String(16))
    progress: int  # percent, 0-100
    narrative: str = Field(default="", max_length=4000)
    blockers: str | None = Field(default=None, max_length=4000)
    evidence_link: str | None = Field(default=None, max_length=1000)
    evidence_file_id: str | None = Field(default=None, max_length=300)
    evidence_file_name: str | None = Field(default=None, max_length=300)
    # What the person wrote with the file (a Telegram caption: at most 1024 characters).
    evidence_note: str | None = Field(default=None, max_length=1024)
    person_id: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # Telegram may deliver an update twice; the key of the update that stored this row.
    source_key: str | None = Field(default=None, max_length=100, unique=True)


class IndicatorValue(SQLModel, table=True):
    __tablename__ = "indicator_value"
    __table_args__ = (sa.UniqueConstraint("indicator_id", "subject_key", "period", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    indicator_id: int = Field(foreign_key="indicator.id", index=True)
    # A figure is about a cluster (level 1, or level 2 per cluster) or about an organisation.
    cluster_id: int | None = Field(default=None, foreign_key="cluster.id", index=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    # "c<cluster id>" or "o<organisation id>": one non-null column the unique key can use.
    subject_key: str = Field(max_length=32)
    period: str = Field(max_length=7, index=True)
    version: int = 1
    value: Decimal = Field(sa_type=FIGURE)
    note: str | None = Field(default=None, max_length=1000)
    person_id: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    source_key: str | None = Field(default=None, max_length=100, unique=True)
