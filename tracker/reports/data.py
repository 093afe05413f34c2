"""What a report holds: plain, frozen data (no ORM objects), so it outlives its session and
can be drawn in a worker thread.

Statuses of an action reported by several organisations are combined into one (`combine`);
every organisation's own answer stays in `Report.latest` and `Report.history`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from tracker.quarters import Quarter
from tracker.reports.events import EventRow
from tracker.reports.filters import ReportFilters

NO_ANSWER = "no_answer"  # active in the period, nobody answered
INACTIVE = "inactive"  # not in the action's schedule in the period
PLANNED = "planned"  # in the schedule, after the period (the Gantt view only)
# Reported statuses in the order they are counted and drawn, then the two of the report.
STATUSES: tuple[str, ...] = ("not_started", "in_progress", "completed", "delayed", "cancelled")
COUNTED: tuple[str, ...] = (*STATUSES, NO_ANSWER)


def combine(statuses: Iterable[str]) -> str:
    """One status for an action from its organisations' answers.

    Any delay makes the action delayed; cancelled answers count only when all are cancelled;
    all completed is completed, all not started is not started, anything else in progress.
    """
    found = set(statuses)
    if not found:
        return NO_ANSWER
    if "delayed" in found:
        return "delayed"
    if found == {"cancelled"}:
        return "cancelled"
    found.discard("cancelled")
    if found == {"completed"}:
        return "completed"
    if found == {"not_started"}:
        return "not_started"
    return "in_progress"


# ------------------------------------------------------------------------------ the data


@dataclass(frozen=True)
class PlanInfo:
    code: str
    title: str
    start: Quarter
    end: Quarter

    @property
    def quarters(self) -> list[Quarter]:
        return Quarter.range(self.start, self.end)


@dataclass(frozen=True)
class PriorityInfo:
    code: str
    title: str


@dataclass(frozen=True)
class ClusterInfo:
    id: int
    code: str
    name: str
    managements: tuple[str, ...]  # shorts of the bodies that manage it


@dataclass(frozen=True)
class ActionInfo:
    id: int
    code: str
    title: str
    priority_code: str
    priority_title: str
    goal_code: str
    goal_title: str
    responsible: tuple[str, ...]  # as the plan names them (a group stays one name)
    quarters: tuple[Quarter, ...]  # the schedule
    schedule_is_default: bool
    owed_by: tuple[str, ...]  # organisations that answer for it (groups expanded)

    @property
    def has_responsible(self) -> bool:
        return bool(self.responsible)

    def active_in(self, quarters: Iterable[Quarter]) -> bool:
        return any(q in self.quarters for q in quarters)


@dataclass(frozen=True)
class StatusRow:
    """One stored version of an organisation's status update."""

    action_id: int
    action_code: str
    action_title: str
    organisation_id: int
    organisation_short: str
    organisation_name: str
    quarter: Quarter
    version: int
    current: bool  # the highest version of its (action, organisation, quarter)
    status: str
    progress: int
    narrative: str
    blockers: str | None
    evidence_link: str | None
    evidence_file_name: str | None
    evidence_note: str | None
    has_evidence: bool
    person_name: str | None
    created_at: datetime


@dataclass(frozen=True)
class ActionStatus:
    """An action in the period: combined status, mean progress, each organisation's answer."""

    action: ActionInfo
    state: str  # a Status value, NO_ANSWER or INACTIVE
    progress: float | None
    latest: tuple[StatusRow, ...]  # current version of the latest quarter, per organisation
    updated_at: datetime | None

    @property
    def respondents(self) -> tuple[str, ...]:
        return tuple(r.organisation_short for r in self.latest)


@dataclass(frozen=True)
class IndicatorRow:
    """The current figure of one subject (cluster or organisation) for one period."""

    indicator_code: str
    indicator_title: str
    unit: str
    value_type: str
    level: int
    cluster_code: str | None
    subject: str  # the cluster's name, else the organisation's short name
    organisation_short: str
    period: Quarter
    value: Decimal
    version: int
    previous_period: Quarter | None
    previous_value: Decimal | None
    implausible: str | None  # "above" / "below" (tracker.indicator_figures.implausibility)
    created_at: datetime

    @property
    def change(self) -> Decimal | None:
        return None if self.previous_value is None else self.value - self.previous_value

    @property
    def change_percent(self) -> float | None:
        if self.previous_value is None or self.previous_value.is_zero():
            return None
        return float((self.value - self.previous_value) / abs(self.previous_value) * 100)

    @property
    def ratio(self) -> float | None:
        if self.previous_value is None or self.previous_value.is_zero():
            return None
        return float(self.value / self.previous_value)


@dataclass(frozen=True)
class TrendSeries:
    indicator_code: str
    indicator_title: str
    unit: str
    subject: str
    points: tuple[tuple[Quarter, float], ...]


@dataclass(frozen=True)
class Participation:
    """One organisation asked in one quarter: what it owed, what it answered, when."""

    quarter: Quarter
    organisation_short: str
    organisation_name: str
    contacts: tuple[str, ...]  # registered people who can answer (names)
    actions_asked: tuple[str, ...]  # action codes
    actions_answered: tuple[str, ...]
    figures_asked: bool
    figures_answered: bool
    first_answer: datetime | None
    last_answer: datetime | None
    prompts_sent: int
    reminders_sent: int

    @property
    def complete(self) -> bool:
        return len(self.actions_answered) == len(self.actions_asked) and (
            self.figures_answered or not self.figures_asked
        )

    @property
    def answered_any(self) -> bool:
        return bool(self.actions_answered) or self.figures_answered

    @property
    def state(self) -> str:
        """complete / partial / none."""
        if self.complete:
            return "complete"
        return "partial" if self.answered_any else "none"


@dataclass(frozen=True)
class StaleFlag:
    action_code: str
    organisation_short: str
    progress: int
    quarters: tuple[Quarter, Quarter]


@dataclass(frozen=True)
class DelayFlag:
    action_code: str
    action_title: str
    organisations: tuple[str, ...]


@dataclass(frozen=True)
class RedFlags:
    delayed: tuple[DelayFlag, ...] = ()
    unassigned: tuple[str, ...] = ()  # no responsible body (plan-wide: none for "kume")
    stale: tuple[StaleFlag, ...] = ()
    implausible: tuple[IndicatorRow, ...] = ()

    @property
    def count(self) -> int:
        return len(self.delayed) + len(self.unassigned) + len(self.stale) + len(self.implausible)


@dataclass(frozen=True)
class MemberRow:
    """A cluster's members in the period (tracker.member_counts)."""

    cluster_code: str
    cluster_name: str
    active_before: int  # following at the period's start
    active: int  # following at its end
    joined: int
    left: int

    @property
    def change(self) -> int:
        return self.active - self.active_before


@dataclass(frozen=True)
class QuarterTurnout:
    """How many organisations were asked in a quarter and how many answered everything."""

    quarter: Quarter
    asked: int
    complete: int
    partial: int


@dataclass
class Report:
    plan: PlanInfo
    filters: ReportFilters
    now: datetime
    quarters: tuple[Quarter, ...]  # the period, in order
    title: str  # what the report covers, as shown: "2014 2. Çeyrek · Ö2"
    stem: str  # the same for file names: "2014Q2-o2"
    scope_title: str | None  # the title of the priority/goal/action of filters.scope
    cluster: ClusterInfo | None
    priorities: tuple[PriorityInfo, ...]
    actions: tuple[ActionInfo, ...]  # in scope, plan order
    statuses: tuple[ActionStatus, ...]  # one per action in scope
    latest: tuple[StatusRow, ...]  # current version per (action, organisation) in the period
    history: tuple[StatusRow, ...]  # every version in the period
    timeline: dict[tuple[int, Quarter], str]  # (action id, quarter) -> combined status
    indicators: tuple[IndicatorRow, ...]  # figures in the period with their change
    figures_owed: tuple[str, ...]  # subjects (cluster names) expected to give figures
    figures_expected: int  # level-1 indicators a cluster gives each quarter
    main_indicators: tuple[str, ...]  # indicator codes drawn as trends
    trends: tuple[TrendSeries, ...]
    participation: tuple[Participation, ...]
    turnout: tuple[QuarterTurnout, ...]  # every plan quarter up to the period's end
    flags: RedFlags = field(default_factory=RedFlags)
    members: tuple[MemberRow, ...] = ()  # per cluster (the chosen one only, with a cluster)
    events: tuple[EventRow, ...] = ()  # awareness events held in the period, in scope

    @property
    def period_start(self) -> Quarter:
        return self.quarters[0]

    @property
    def period_end(self) -> Quarter:
        return self.quarters[-1]

    @property
    def is_year(self) -> bool:
        return isinstance(self.filters.period, int)

    @property
    def topic(self) -> str:
        return self.filters.topic

    @property
    def answered(self) -> bool:
        """Anything at all was reported in the period (status or figure)."""
        return bool(self.history) or bool(self.indicators)
