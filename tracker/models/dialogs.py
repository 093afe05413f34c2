"""Guided dialogs kept in the database, so a restart (even kill -9) resumes at the same step."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from tracker.models.types import UTCDateTime, utcnow


class DialogStatus(StrEnum):
    ACTIVE = "active"  # the person is answering it now (at most one per person)
    DRAFT = "draft"  # left with /iptal or by starting something else; resumable


class Dialog(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    kind: str = Field(max_length=32)  # "status", "figures", ...
    subject: str = Field(max_length=100)  # e.g. "E1.2.4@2014Q1", "organik-gida@2014Q1"
    status: DialogStatus = Field(sa_type=sa.String(16))
    step: str = Field(max_length=32)
    # Answers so far, as JSON: what the person typed is never lost.
    data: dict = Field(default_factory=dict, sa_type=sa.JSON)
    # Bumped on every step; buttons carry it, so a press on an old question is recognised.
    revision: int = 0
    # Telegram may deliver an update twice; the newest one applied here.
    last_update_id: int | None = Field(default=None, sa_type=sa.BigInteger)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
