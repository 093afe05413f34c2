"""People who use kume: each has one role; all but cluster members act for one organisation."""

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
    # None only for a cluster member (role member): a person of a member firm, not of one of
    # the plan's organisations. tracker.people keeps every other role bound to one.
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id", index=True)
    role: Role = Field(sa_type=sa.String(16))
    cluster_id: int | None = Field(default=None, foreign_key="cluster.id")
    email: str | None = Field(default=None, max_length=320)
    active: bool = True
    invite_id: int | None = Field(default=None, foreign_key="invite.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # A member's own words after consenting (optional: "Atla" leaves it empty).
    firm: str | None = Field(default=None, max_length=200)
    # KVKK: the information notice's version the person accepted, and when. A member is stored
    # only once they accept; declining stores nothing.
    consent_version: str | None = Field(default=None, max_length=32)
    consent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # /dur: everything kume sends on its own stops (follows end, bulletins off) until the person
    # follows something again.
    stopped_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Bulletins by Telegram (/abone); members and contacts get them unless they opt out.
    bulletins: bool = True


class Invite(SQLModel, table=True):
    """A deep-link invitation: nobody gets a role by asking, only by an invite's token."""

    id: int | None = Field(default=None, primary_key=True)
    token: str = Field(max_length=64, unique=True)
    # None for a member invite: it names a cluster, not an organisation.
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id")
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
