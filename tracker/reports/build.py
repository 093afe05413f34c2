"""Everything a report shows, read with a fixed number of queries (15), whatever the row counts.

The report is plain data (no ORM objects), so it outlives its session and can be drawn in a
worker thread. Statuses of an action reported by several organisations are combined into one
(see `combine`); every organisation's own answer stays in `latest` and `history`.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import lru_cache

import sqlalchemy as sa
from sqlmodel import Session, col, select

from tracker import texts
from tracker.calendar import CalendarSettings
from tracker.indicator_figures import CHANGE_TYPES, implausibility
from tracker.models import (
    Action,
    ActionQuarter,
    ActionResponsible,
    Cluster,
    Goal,
    Indicator,
    IndicatorValue,
    Notification,
    NotificationStatus,
    Organisation,
    OrganisationMember,
    OrgKind,
    Person,
    Plan,
    Priority,
    StatusUpdate,
)
from tracker.notifications.due import REPORTING_ROLES
from tracker.quarters import Quarter
from tracker.reports.filters import (
    TOPICS,
    WORDS,
    ReportFilters,
    match_clusters,
    plan_span,
    resolve_period,
    usage_error,
)
from tracker.turkish import fold

NO_ANSWER = "no_answer"  # active in the period, nobody answered
INACTIVE = "inactive"  # not in the action's schedule in the period
PLANNED = "planned"  # in the schedule, after the period (the Gantt view only)
# Reported statuses in the order they are counted and drawn, then the two of the report.
STATUSES: tuple[str, ...] = ("not_started", "in_progress", "completed", "delayed", "cancelled")
COUNTED: tuple[str, ...] = (*STATUSES, NO_ANSWER)
MAIN_INDICATORS = 6  # trend charts at most


@lru_cache(maxsize=4096)
def _quarter(text: str) -> Quarter:
    return Quarter.parse(text)


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


# ---------------------------------------------------------------------------- the build


def build_report(
    session: Session, filters: ReportFilters, *, now: datetime, settings: CalendarSettings
) -> Report:
    """All data of the summary, the workbook and the charts, in 15 queries."""
    if filters.topic not in TOPICS:
        raise usage_error("reason_unknown_word", words=[filters.topic])
    # Core rows through the session's connection: no ORM loading for plain columns.
    run = session.connection().execute
    plans = list(session.exec(select(Plan).order_by(col(Plan.id))).all())
    plan, quarters = resolve_period(plans, filters.period, now, settings)
    first, last = quarters[0], quarters[-1]
    start, end = plan_span(plan)
    info = PlanInfo(plan.code, plan.title, start, end)
    in_plan = Action.plan_id == plan.id

    priorities = run(sa.select(Priority.id, Priority.code, Priority.title)
                     .where(Priority.plan_id == plan.id).order_by(col(Priority.position))).all()
    goals = run(sa.select(Goal.id, Goal.priority_id, Goal.code, Goal.title)
                .where(Goal.plan_id == plan.id).order_by(col(Goal.position))).all()
    actions = run(sa.select(Action.id, Action.goal_id, Action.code, Action.title,
                            Action.schedule_is_default)
                  .where(in_plan).order_by(col(Action.position), col(Action.id))).all()
    responsible = run(sa.select(ActionResponsible.action_id, ActionResponsible.organisation_id)
                      .join(Action, col(Action.id) == ActionResponsible.action_id)
                      .where(in_plan).order_by(col(ActionResponsible.position))).all()
    schedule = run(sa.select(ActionQuarter.action_id, ActionQuarter.quarter)
                   .join(Action, col(Action.id) == ActionQuarter.action_id).where(in_plan)).all()
    orgs = {r.id: r for r in run(sa.select(
        Organisation.id, Organisation.short, Organisation.name, Organisation.kind,
        Organisation.cluster_id, Organisation.position))}
    members: dict[int, list[int]] = defaultdict(list)
    for r in run(sa.select(OrganisationMember.group_id, OrganisationMember.member_id)
                 .order_by(col(OrganisationMember.position))):
        members[r.group_id].append(r.member_id)
    clusters = run(sa.select(Cluster.id, Cluster.code, Cluster.name)
                   .order_by(col(Cluster.position), col(Cluster.id))).all()
    contacts: dict[int, list[str]] = defaultdict(list)
    for r in run(sa.select(Person.organisation_id, Person.display_name)
                 .where(col(Person.active).is_(True), col(Person.telegram_user_id).is_not(None),
                        col(Person.role).in_([str(role) for role in REPORTING_ROLES]))
                 .order_by(col(Person.id))):
        contacts[r.organisation_id].append(r.display_name)
    timeline_rows = run(
        sa.select(StatusUpdate.action_id, StatusUpdate.organisation_id, StatusUpdate.quarter,
                  StatusUpdate.version, StatusUpdate.status)
        .join(Action, col(Action.id) == StatusUpdate.action_id)
        .where(in_plan, col(StatusUpdate.quarter) <= str(last))).all()
    detail_rows = run(
        sa.select(StatusUpdate.action_id, StatusUpdate.organisation_id, StatusUpdate.quarter,
                  StatusUpdate.version, StatusUpdate.status, StatusUpdate.progress,
                  StatusUpdate.narrative, StatusUpdate.blockers, StatusUpdate.evidence_link,
                  StatusUpdate.evidence_file_id, StatusUpdate.evidence_file_name,
                  StatusUpdate.evidence_note, StatusUpdate.created_at, Person.display_name)
        .join(Action, col(Action.id) == StatusUpdate.action_id)
        .outerjoin(Person, col(Person.id) == StatusUpdate.person_id)
        .where(in_plan, col(StatusUpdate.quarter) >= str(first.previous()),
               col(StatusUpdate.quarter) <= str(last))).all()
    indicators = {r.id: r for r in run(
        sa.select(Indicator.id, Indicator.code, Indicator.title, Indicator.unit,
                  Indicator.value_type, Indicator.level, Indicator.position)
        .where(Indicator.plan_id == plan.id)
        .order_by(col(Indicator.position), col(Indicator.id)))}
    value_rows = run(
        sa.select(IndicatorValue.indicator_id, IndicatorValue.subject_key,
                  IndicatorValue.cluster_id, IndicatorValue.organisation_id,
                  IndicatorValue.period, IndicatorValue.version, IndicatorValue.value,
                  IndicatorValue.created_at)
        .join(Indicator, col(Indicator.id) == IndicatorValue.indicator_id)
        .where(Indicator.plan_id == plan.id, col(IndicatorValue.period) <= str(last))).all()
    notices = run(
        sa.select(Notification.kind, Notification.subject, Notification.period)
        .where(Notification.status == NotificationStatus.SENT.value,
               sa.or_(Notification.kind == "prompt", col(Notification.kind).like("reminder%"),
                      Notification.kind == "snooze"),
               col(Notification.period) >= str(first),
               col(Notification.period) <= f"{last}~")).all()

    # -- the plan, the scope -------------------------------------------------------------
    priority_of = {p.id: p for p in priorities}
    goal_of = {g.id: g for g in goals}
    named: dict[int, list[int]] = defaultdict(list)
    for r in responsible:
        named[r.action_id].append(r.organisation_id)
    scheduled: dict[int, list[Quarter]] = defaultdict(list)
    for r in schedule:
        scheduled[r.action_id].append(_quarter(r.quarter))

    def expand(body_id: int) -> list[int]:
        body = orgs[body_id]
        return members.get(body_id, []) if str(body.kind) == OrgKind.GROUP else [body_id]

    owers: dict[int, list[int]] = {
        a.id: list(dict.fromkeys(o for body in named.get(a.id, []) for o in expand(body)))
        for a in actions
    }
    cluster = _chosen_cluster(filters, clusters, orgs)
    managed = {o for o in orgs if cluster and orgs[o].cluster_id == cluster.id}

    scope_title = None
    scope_key = fold(filters.scope) if filters.scope else None
    all_actions: list[ActionInfo] = []
    for a in actions:
        goal = goal_of[a.goal_id]
        priority = priority_of[goal.priority_id]
        if scope_key is not None:
            for code, title in ((priority.code, priority.title), (goal.code, goal.title),
                                (a.code, a.title)):
                if fold(code) == scope_key:
                    scope_title = title
        all_actions.append(ActionInfo(
            id=a.id, code=a.code, title=a.title, priority_code=priority.code,
            priority_title=priority.title, goal_code=goal.code, goal_title=goal.title,
            responsible=tuple(orgs[o].short for o in named.get(a.id, [])),
            quarters=tuple(sorted(scheduled.get(a.id, []))),
            schedule_is_default=bool(a.schedule_is_default),
            owed_by=tuple(orgs[o].short for o in owers[a.id])))
    if scope_key is not None and scope_title is None:
        raise usage_error("reason_unknown_scope", code=filters.scope, plan=plan.code)
    in_scope = [a for a in all_actions if scope_key is None
                or scope_key in (fold(a.priority_code), fold(a.goal_code), fold(a.code))]
    if filters.topic == "kume":
        in_scope = [a for a in in_scope if managed & set(owers[a.id])]
    scope_ids = {a.id for a in in_scope}
    # A cluster's report shows its management's answers only.
    only = managed if filters.topic == "kume" else None
    period = set(quarters)

    # -- statuses ------------------------------------------------------------------------
    # Rows are unpacked as tuples and quarters kept as text ("2014Q2" sorts in time order)
    # in the loops over every stored row: attribute access and parsing dominate otherwise.
    newest: dict[tuple[int, int, str], int] = {}
    for action_id, org_id, q_text, version, _status in timeline_rows:
        key = (action_id, org_id, q_text)
        if version > newest.get(key, 0):
            newest[key] = version
    per_cell: dict[tuple[int, str], list[str]] = defaultdict(list)
    for action_id, org_id, q_text, version, status in timeline_rows:
        if action_id in scope_ids and newest[(action_id, org_id, q_text)] == version \
                and (only is None or org_id in only):
            per_cell[(action_id, q_text)].append(str(status))
    timeline = {(a, _quarter(q)): combine(found) for (a, q), found in per_cell.items()}

    actions_by_id = {a.id: a for a in all_actions}
    rows: list[StatusRow] = []
    for r in detail_rows:
        if r.action_id not in scope_ids or (only is not None and r.organisation_id not in only):
            continue
        org = orgs[r.organisation_id]
        action = actions_by_id[r.action_id]
        rows.append(StatusRow(
            action_id=r.action_id, action_code=action.code, action_title=action.title,
            organisation_id=r.organisation_id, organisation_short=org.short,
            organisation_name=org.name, quarter=_quarter(r.quarter), version=r.version,
            current=newest.get((r.action_id, r.organisation_id, r.quarter)) == r.version,
            status=str(r.status), progress=r.progress, narrative=r.narrative or "",
            blockers=r.blockers, evidence_link=r.evidence_link,
            evidence_file_name=r.evidence_file_name, evidence_note=r.evidence_note,
            has_evidence=bool(r.evidence_link or r.evidence_file_id or r.evidence_file_name),
            person_name=r.display_name, created_at=r.created_at))
    action_order = {a.id: i for i, a in enumerate(in_scope)}
    rows.sort(key=lambda r: (r.quarter, action_order[r.action_id],
                             orgs[r.organisation_id].position, r.organisation_short, r.version))
    history = tuple(r for r in rows if r.quarter in period)
    current = {(r.action_id, r.organisation_id, r.quarter): r for r in rows if r.current}
    latest_of: dict[tuple[int, int], StatusRow] = {}
    for r in history:
        if r.current:
            latest_of[(r.action_id, r.organisation_id)] = r  # rows run in quarter order
    by_action: dict[int, list[StatusRow]] = defaultdict(list)
    for r in latest_of.values():
        by_action[r.action_id].append(r)
    statuses = []
    for a in in_scope:
        found = by_action.get(a.id, [])
        if found:
            state = combine(r.status for r in found)
            progress: float | None = round(sum(r.progress for r in found) / len(found), 1)
        else:
            state = NO_ANSWER if a.active_in(quarters) else INACTIVE
            progress = None
        statuses.append(ActionStatus(
            a, state, progress, tuple(found),
            max((r.created_at for r in found), default=None)))
    latest = tuple(r for s in statuses for r in s.latest)

    # -- figures -------------------------------------------------------------------------
    newest_value: dict[tuple[int, str, str], int] = {}
    for ind_id, subject, _c, _o, p_text, version, _v, _t in value_rows:
        key = (ind_id, subject, p_text)
        if version > newest_value.get(key, 0):
            newest_value[key] = version
    cluster_names = {c.id: c for c in clusters}
    position = {i: ind.position for i, ind in indicators.items()}
    # Figures belong to clusters, not to plan items: a report on a plan item has none.
    wanted = sorted(
        (r for r in value_rows
         if scope_key is None and newest_value[(r[0], r[1], r[4])] == r[5]
         and (cluster is None or r[2] == cluster.id or (r[2] is None and r[3] in managed))),
        key=lambda r: (r[4], position[r[0]], r[1]))
    subjects: dict[str, tuple[str | None, str]] = {}
    for r in wanted:
        if r[1] not in subjects:
            found = cluster_names.get(r[2]) if r[2] is not None else None
            subjects[r[1]] = (found.code, found.name) if found else (None, orgs[r[3]].short)

    first_text, last_text = str(first), str(last)
    before: dict[tuple[int, str], tuple[str, Decimal]] = {}
    figure_rows: list[IndicatorRow] = []
    series: dict[tuple[int, str], list[tuple[str, Decimal]]] = defaultdict(list)
    for ind_id, subject, _cluster_id, org_id, p_text, version, value, created in wanted:
        key = (ind_id, subject)
        series[key].append((p_text, value))
        previous = before.get(key)
        before[key] = (p_text, value)
        if not first_text <= p_text <= last_text:
            continue
        ind = indicators[ind_id]
        code, name = subjects[subject]
        figure_rows.append(IndicatorRow(
            indicator_code=ind.code, indicator_title=ind.title, unit=ind.unit,
            value_type=str(ind.value_type), level=ind.level, cluster_code=code, subject=name,
            organisation_short=orgs[org_id].short, period=_quarter(p_text), value=value,
            version=version, previous_period=_quarter(previous[0]) if previous else None,
            previous_value=previous[1] if previous else None,
            implausible=_implausible(value, previous[1] if previous else None,
                                     str(ind.value_type)),
            created_at=created))
    position_of = {ind.code: ind.position for ind in indicators.values()}
    figure_rows.sort(key=lambda r: (r.period, position_of[r.indicator_code],
                                    r.cluster_code is None, r.subject))
    main = _main_indicators(figure_rows, indicators)
    code_to_id = {ind.code: i for i, ind in indicators.items()}
    rank = {f"c{c.id}": i for i, c in enumerate(clusters)}
    ordered = sorted(series.items(), key=lambda item: (rank.get(item[0][1], len(rank)),
                                                       subjects[item[0][1]][1]))
    trends = tuple(
        TrendSeries(code, indicators[code_to_id[code]].title, indicators[code_to_id[code]].unit,
                    subjects[subject][1],
                    tuple((_quarter(p), float(v)) for p, v in points))
        for code in main
        for (ind_id, subject), points in ordered
        if ind_id == code_to_id[code]
    )

    # -- participation -------------------------------------------------------------------
    level_one = any(i.level == 1 for i in indicators.values())
    figure_orgs = [o for o in sorted(orgs, key=lambda o: (orgs[o].position, orgs[o].short))
                   if orgs[o].cluster_id is not None
                   and str(orgs[o].kind) == OrgKind.CLUSTER_MANAGEMENT
                   and level_one and scope_key is None and (not cluster or o in managed)]
    answered_cells = set(newest)  # (action id, organisation id, quarter text)
    figures_in = {(r[2], r[4]) for r in value_rows}  # (cluster id, period text)
    figure_times: dict[tuple[int, str], list[datetime]] = defaultdict(list)
    for r in value_rows:
        if r[4] >= first_text:
            figure_times[(r[2], r[4])].append(r[7])
    answer_times: dict[tuple[int, Quarter], list[datetime]] = defaultdict(list)
    for r in history:
        answer_times[(r.organisation_id, r.quarter)].append(r.created_at)
    short_to_id = {org.short: i for i, org in orgs.items()}
    prompts: dict[tuple[int, str], int] = defaultdict(int)
    reminders: dict[tuple[int, str], int] = defaultdict(int)
    for n in notices:
        org_id = short_to_id.get(n.subject)
        if org_id is None:
            continue
        target = prompts if n.kind == "prompt" else reminders
        target[(org_id, n.period.split("/")[0])] += 1

    def owed(q: Quarter) -> dict[int, list[ActionInfo]]:
        result: dict[int, list[ActionInfo]] = defaultdict(list)
        for a in in_scope:
            if q in a.quarters:
                for o in owers[a.id]:
                    if not cluster or o in managed:
                        result[o].append(a)
        return result

    participation: list[Participation] = []
    for q in quarters:
        duties = owed(q)
        for o in sorted(set(duties) | set(figure_orgs),
                        key=lambda o: (orgs[o].position, orgs[o].short)):
            asked = duties.get(o, [])
            figures_asked = o in figure_orgs
            times = answer_times.get((o, q), [])
            if figures_asked:
                times = times + figure_times.get((orgs[o].cluster_id, str(q)), [])
            participation.append(Participation(
                quarter=q, organisation_short=orgs[o].short, organisation_name=orgs[o].name,
                contacts=tuple(contacts.get(o, [])),
                actions_asked=tuple(a.code for a in asked),
                actions_answered=tuple(a.code for a in asked
                                       if (a.id, o, str(q)) in answered_cells),
                figures_asked=figures_asked,
                figures_answered=figures_asked and (orgs[o].cluster_id, str(q)) in figures_in,
                first_answer=min(times, default=None), last_answer=max(times, default=None),
                prompts_sent=prompts.get((o, str(q)), 0),
                reminders_sent=reminders.get((o, str(q)), 0)))
    turnout = []
    for q in Quarter.range(start, min(last, end)):
        duties = owed(q)
        asked_orgs = set(duties) | set(figure_orgs)
        complete = partial = 0
        for o in asked_orgs:
            done = [a for a in duties.get(o, []) if (a.id, o, str(q)) in answered_cells]
            figures_done = (orgs[o].cluster_id, str(q)) in figures_in
            owes_figures = o in figure_orgs
            if len(done) == len(duties.get(o, [])) and (figures_done or not owes_figures):
                complete += 1
            elif done or (owes_figures and figures_done):
                partial += 1
        turnout.append(QuarterTurnout(q, len(asked_orgs), complete, partial))

    # -- red flags -----------------------------------------------------------------------
    # Built from the rows above, so a cluster's report (topic "kume") warns only about its
    # management: delays and stale answers it reported, figures of the cluster. An action
    # with no responsible body is a plan-wide gap, not a cluster's: left out there.
    delayed = tuple(
        DelayFlag(s.action.code, s.action.title,
                  tuple(r.organisation_short for r in s.latest if r.status == "delayed"))
        for s in statuses if s.state == "delayed")
    unassigned = () if filters.topic == "kume" else tuple(
        a.code for a in in_scope if not a.has_responsible and a.active_in(quarters))
    code_order = {a.code: i for i, a in enumerate(in_scope)}
    stale: dict[tuple[int, int], StaleFlag] = {}
    for (a, o, q), now_row in current.items():
        if q not in period:
            continue
        was = current.get((a, o, q.previous()))
        if (was is not None and now_row.status == was.status == "in_progress"
                and now_row.progress == was.progress
                and not now_row.has_evidence and not was.has_evidence):
            flag = StaleFlag(now_row.action_code, now_row.organisation_short,
                             now_row.progress, (q.previous(), q))
            if (a, o) not in stale or stale[(a, o)].quarters < flag.quarters:
                stale[(a, o)] = flag
    flags = RedFlags(
        delayed=delayed,
        unassigned=unassigned,
        stale=tuple(sorted(stale.values(),
                           key=lambda f: (code_order[f.action_code], f.organisation_short))),
        implausible=tuple(r for r in figure_rows if r.implausible),
    )

    title, stem = _names(filters, quarters, cluster)
    return Report(
        plan=info, filters=filters, now=now, quarters=tuple(quarters), title=title, stem=stem,
        scope_title=scope_title, cluster=cluster,
        priorities=tuple(PriorityInfo(p.code, p.title) for p in priorities
                         if any(a.priority_code == p.code for a in in_scope)),
        actions=tuple(in_scope), statuses=tuple(statuses), latest=latest, history=history,
        timeline=timeline, indicators=tuple(figure_rows),
        figures_owed=tuple(dict.fromkeys(
            cluster_names[orgs[o].cluster_id].name for o in figure_orgs
            if orgs[o].cluster_id in cluster_names)),
        figures_expected=sum(1 for i in indicators.values() if i.level == 1),
        main_indicators=main, trends=trends, participation=tuple(participation),
        turnout=tuple(turnout), flags=flags,
    )


def _implausible(value: Decimal, previous: Decimal | None, value_type: str) -> str | None:
    """tracker.indicator_figures.implausibility (10 times up or down, a sign flip), except
    for change indicators: a change swings around zero, its ratio to the last one means
    little."""
    if value_type in CHANGE_TYPES:
        return None
    return implausibility(value, previous, value_type)


def _chosen_cluster(filters: ReportFilters, clusters: list[sa.Row],
                    orgs: dict[int, sa.Row]) -> ClusterInfo | None:
    if filters.topic == "kume" and not filters.cluster:
        raise usage_error("reason_no_cluster", clusters=[c.code for c in clusters])
    if not filters.cluster:
        return None
    found = match_clusters(clusters, filters.cluster)  # type: ignore[arg-type]
    if len(found) != 1:
        raise usage_error("reason_unknown_cluster", text=filters.cluster,
                          clusters=[c.code for c in clusters])
    chosen = found[0]
    managements = tuple(o.short for o in sorted(orgs.values(), key=lambda o: o.position)
                        if o.cluster_id == chosen.id)
    return ClusterInfo(chosen.id, chosen.code, chosen.name, managements)


def _main_indicators(rows: list[IndicatorRow], indicators: dict[int, sa.Row]) -> tuple[str, ...]:
    """The indicators worth a trend chart: most subjects reported, level 1 first, plan order."""
    subjects: dict[str, set[str]] = defaultdict(set)
    for r in rows:
        subjects[r.indicator_code].add(r.subject)
    ranked = sorted(
        (ind for ind in indicators.values() if ind.code in subjects),
        key=lambda ind: (-len(subjects[ind.code]), ind.level, ind.position),
    )
    return tuple(ind.code for ind in ranked[:MAIN_INDICATORS])


_UNSAFE = re.compile(r"[^A-Za-z0-9.]+")


def _names(filters: ReportFilters, quarters: list[Quarter],
           cluster: ClusterInfo | None) -> tuple[str, str]:
    """(title as shown, file-name stem) of what the report covers."""
    if isinstance(filters.period, int):
        period_label, period_key = texts.say(WORDS, "year", year=filters.period), \
            str(filters.period)
    else:
        period_label, period_key = quarters[0].label, str(quarters[0])
    title = texts.say(WORDS, "report_title", period=period_label, scope=filters.scope,
                      topic=filters.topic, cluster=cluster.name if cluster else None)
    parts = [period_key]
    if filters.scope:
        parts.append(fold(filters.scope))
    if filters.topic != "genel":
        parts.append(filters.topic)
    if cluster:
        parts.append(fold(cluster.code))
    stem = "-".join(_UNSAFE.sub("-", p).strip("-") for p in parts)
    return title, stem
