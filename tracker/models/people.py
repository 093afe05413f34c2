"""People who use kume, each bound to one organisation and one role."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from tracker.models.types import UTCDateTime, utcnow


class Role(StrEnum):
    ADMIN = "admin"
    AGENCY = "agency"  # İZKA staff
    REPORTER = "reporter"  # contact of a responsible organisation
    SECRETARY = "secretary"  # clustering committee secretary
    MEMBER = "member"  # a cluster member firm's person


class Person(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    telegram_user_id: int | None = Field(default=None, sa_type=sa.BigInteger, unique=True)
    display_name: str = Field(max_length=200)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    role: Role = Field(sa_type=sa.String(16))
    cluster_id: int | None = Field(default=None, foreign_key="cluster.id")
    email: str | None = Field(default=None, max_length=320)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
