"""The action plan: plan -> priorities -> goals -> actions, its indicators and scorecard."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from tracker.models.types import FIGURE


class Plan(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True)
    title: str = Field(max_length=300)
    start: str = Field(max_length=7)  # canonical Quarter text, e.g. "2013Q1"
    end: str = Field(max_length=7)
    source: str | None = Field(default=None, max_length=500)


class Priority(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("plan_id", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    code: str = Field(max_length=16)
    title: str = Field(max_length=500)
    position: int = 0


class Goal(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("plan_id", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    priority_id: int = Field(foreign_key="priority.id", index=True)
    code: str = Field(max_length=16)
    title: str = Field(max_length=500)
    position: int = 0


class Action(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("plan_id", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    goal_id: int = Field(foreign_key="goal.id", index=True)
    code: str = Field(max_length=16)
    title: str = Field(max_length=1000)
    # True when the source gave no schedule and the action defaults to every plan quarter.
    schedule_is_default: bool = True
    position: int = 0


class ActionResponsible(SQLModel, table=True):
    """A body responsible for an action, as the source names it (a group stays one row)."""

    __tablename__ = "action_responsible"

    action_id: int = Field(foreign_key="action.id", primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", primary_key=True, index=True)
    position: int = 0


class ActionQuarter(SQLModel, table=True):
    """A quarter in which an action is active."""

    __tablename__ = "action_quarter"

    action_id: int = Field(foreign_key="action.id", primary_key=True)
    quarter: str = Field(max_length=7, primary_key=True, index=True)


class IndicatorType(StrEnum):
    COUNT = "count"
    MONEY = "money"
    PERCENT = "percent"
    SCALE = "scale"
    CHANGE_COUNT = "change_count"
    CHANGE_PERCENT = "change_percent"


class Indicator(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("plan_id", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    code: str = Field(max_length=16)
    title: str = Field(max_length=500)
    # 1: collected by the cluster organisation, 2: by the support body (the agency).
    level: int
    value_type: IndicatorType = Field(sa_type=sa.String(32))
    unit: str = Field(max_length=32)
    min_value: Decimal | None = Field(default=None, sa_type=FIGURE)
    max_value: Decimal | None = Field(default=None, sa_type=FIGURE)
    # The source names indicators only; type, unit and range are proposals until confirmed.
    measure_is_assumed: bool = True
    note: str | None = Field(default=None, max_length=1000)
    position: int = 0


class ScorecardEntry(SQLModel, table=True):
    """A row of the plan's cluster scorecard (Küme Karnesi)."""

    __tablename__ = "scorecard_entry"

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    sector: str = Field(max_length=300)
    index_value: int
    category: int
    position: int = 0


class ScorecardAdvice(SQLModel, table=True):
    """Policy advice for a scorecard category; category None = the row whose span was lost."""

    __tablename__ = "scorecard_advice"

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    category: int | None = None
    text: str = Field(max_length=500)
    position: int = 0
