"""A validated plan file, ready to be stored."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from tracker.quarters import Quarter


@dataclass
class PrioritySpec:
    code: str
    title: str


@dataclass
class GoalSpec:
    code: str
    priority: str
    title: str


@dataclass
class ActionSpec:
    code: str
    goal: str
    title: str
    responsible: list[str]  # organisation short names as the file gives them, deduplicated
    quarters: list[Quarter]
    schedule_is_default: bool


@dataclass
class IndicatorSpec:
    code: str
    title: str
    level: int
    unit: str
    type: str
    min: Decimal | None
    max: Decimal | None
    measure_is_assumed: bool
    note: str | None


@dataclass
class ClusterSpec:
    code: str
    name: str


@dataclass
class OrganisationSpec:
    short: str
    name: str
    kind: str
    members: list[str]
    cluster: str | None
    note: str | None


@dataclass
class ScorecardSpec:
    sector: str
    index: int
    category: int


@dataclass
class AdviceSpec:
    category: int | None
    text: str


@dataclass
class PlanSpec:
    code: str
    title: str
    start: Quarter
    end: Quarter
    source: str | None
    priorities: list[PrioritySpec] = field(default_factory=list)
    goals: list[GoalSpec] = field(default_factory=list)
    actions: list[ActionSpec] = field(default_factory=list)
    indicators: list[IndicatorSpec] = field(default_factory=list)
    clusters: list[ClusterSpec] = field(default_factory=list)
    organisations: list[OrganisationSpec] = field(default_factory=list)
    scorecard: list[ScorecardSpec] = field(default_factory=list)
    scorecard_advice: list[AdviceSpec] = field(default_factory=list)
