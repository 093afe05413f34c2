"""Which clusters a member follows, stint by stint, so counts per period stay right."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from tracker.models.types import UTCDateTime, utcnow


class ClusterFollow(SQLModel, table=True):
    """One stint of a person following a cluster; the current one has no `ended_at`.

    Following again after leaving starts a new row, so "joined", "left" and "active" in any
    period can be counted from the rows alone. `/sil` sets `person_id` to None on the person's
    rows: the counts stay right and name nobody.
    """

    __tablename__ = "cluster_follow"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    cluster_id: int = Field(foreign_key="cluster.id", index=True)
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ClusterChat(SQLModel, table=True):
    """A cluster's Telegram group or channel (`/bagla <küme>`): its notices are posted there
    too, within Telegram's 20 messages a minute per group."""

    __tablename__ = "cluster_chat"

    id: int | None = Field(default=None, primary_key=True)
    cluster_id: int = Field(foreign_key="cluster.id", index=True)
    chat_id: int = Field(sa_type=sa.BigInteger, unique=True)
    title: str = Field(default="", max_length=255)
    linked_by_id: int | None = Field(default=None, foreign_key="person.id")
    linked_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
