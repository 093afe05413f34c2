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
    invite_id: int | None = Field(default=None, foreign_key="invite.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Invite(SQLModel, table=True):
    """A deep-link invitation: nobody gets a role by asking, only by an invite's token."""

    id: int | None = Field(default=None, primary_key=True)
    token: str = Field(max_length=64, unique=True)
    organisation_id: int = Field(foreign_key="organisation.id")
    role: Role = Field(sa_type=sa.String(16))
    cluster_id: int | None = Field(default=None, foreign_key="cluster.id")
    multi: bool = False
    uses: int = 0
    expires_at: datetime = Field(sa_type=UTCDateTime)
    revoked: bool = False
    # Not a foreign key: person -> invite already is one, and a cycle would stop SQLAlchemy
    # from ordering the tables.
    created_by_id: int | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
