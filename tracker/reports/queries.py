"""The report's reads: one function per group of queries, each returning typed rows.

Every function issues a fixed number of statements whatever the row counts, through the
session's connection (Core rows, no ORM objects). What grows with the history is read in the
narrowest form the report needs: answers as (action, organisation, quarter) -> status, figures
of the period each with the one before it (the database finds it), whole-history figures only
for the indicators that are drawn, figure returns and outbox sends counted by the database.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.sql import Executable
from sqlmodel import col

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

Run = Callable[[Executable], sa.Result[*tuple[Any, ...]]]  # session.connection().execute
Cell = tuple[int, int, str]  # (action id, organisation id, quarter as text)


@lru_cache(maxsize=4096)
def quarter_of(text: str) -> Quarter:
    """Quarter.parse, cached: the same few dozen quarters come back on every row."""
    return Quarter.parse(text)


# ----------------------------------------------------------------------------- the plan


class OutlineAction(NamedTuple):
    """An action of the plan with its goal and priority."""

    id: int
    code: str
    title: str
    schedule_is_default: bool
    goal_code: str
    goal_title: str
    priority_id: int
    priority_code: str
    priority_title: str
    priority_position: int


@dataclass(frozen=True)
class Outline:
    """The plan's actions in plan order, whom the plan names for each, and their schedules."""

    actions: list[OutlineAction]
    named: dict[int, list[int]]  # action id -> organisation ids as the plan names them
    scheduled: dict[int, list[Quarter]]  # action id -> its quarters, unordered


def read_outline(run: Run, plan: Plan) -> Outline:
    in_plan = col(Action.plan_id) == plan.id
    actions = [OutlineAction._make(r) for r in run(
        sa.select(col(Action.id), col(Action.code), col(Action.title),
                  col(Action.schedule_is_default), col(Goal.code), col(Goal.title),
                  col(Priority.id), col(Priority.code), col(Priority.title),
                  col(Priority.position))
        .join(Goal, col(Goal.id) == Action.goal_id)
        .join(Priority, col(Priority.id) == Goal.priority_id)
        .where(in_plan).order_by(col(Action.position), col(Action.id)))]
    named: dict[int, list[int]] = defaultdict(list)
    for action_id, organisation_id in run(
            sa.select(col(ActionResponsible.action_id), col(ActionResponsible.organisation_id))
            .join(Action, col(Action.id) == ActionResponsible.action_id)
            .where(in_plan).order_by(col(ActionResponsible.position))):
        named[action_id].append(organisation_id)
    scheduled: dict[int, list[Quarter]] = defaultdict(list)
    for action_id, quarter in run(
            sa.select(col(ActionQuarter.action_id), col(ActionQuarter.quarter))
            .join(Action, col(Action.id) == ActionQuarter.action_id).where(in_plan)):
        scheduled[action_id].append(quarter_of(quarter))
    return Outline(actions, named, scheduled)


# ------------------------------------------------------------------- the organisations


class OrgRow(NamedTuple):
    id: int
    short: str
    name: str
    kind: str
    cluster_id: int | None
    position: int


class ClusterRow(NamedTuple):
    id: int
    code: str
    name: str


@dataclass(frozen=True)
class Directory:
    """Every organisation, group membership, cluster and contact who can answer."""

    orgs: dict[int, OrgRow]
    members: dict[int, list[int]]  # group id -> member ids, in order
    clusters: list[ClusterRow]  # in order
    contacts: dict[int, list[str]]  # organisation id -> names of registered reporters
    clusters_by_id: dict[int, ClusterRow]

    def cluster(self, cluster_id: int | None) -> ClusterRow | None:
        return None if cluster_id is None else self.clusters_by_id.get(cluster_id)

    def bodies(self, body_id: int) -> list[int]:
        """The organisations that answer for a body the plan names (a group: its members)."""
        if self.orgs[body_id].kind == OrgKind.GROUP:
            return self.members.get(body_id, [])
        return [body_id]

    def in_order(self, org_ids: Iterable[int]) -> list[int]:
        return sorted(org_ids, key=lambda o: (self.orgs[o].position, self.orgs[o].short))


def read_directory(run: Run) -> Directory:
    orgs = {r.id: OrgRow(r.id, r.short, r.name, str(r.kind), r.cluster_id, r.position)
            for r in run(sa.select(col(Organisation.id), col(Organisation.short),
                                   col(Organisation.name), col(Organisation.kind),
                                   col(Organisation.cluster_id), col(Organisation.position))
                         .order_by(col(Organisation.id)))}
    members: dict[int, list[int]] = defaultdict(list)
    for group_id, member_id in run(
            sa.select(col(OrganisationMember.group_id), col(OrganisationMember.member_id))
            .order_by(col(OrganisationMember.position))):
        members[group_id].append(member_id)
    clusters = [ClusterRow._make(r) for r in run(
        sa.select(col(Cluster.id), col(Cluster.code), col(Cluster.name))
        .order_by(col(Cluster.position), col(Cluster.id)))]
    contacts: dict[int, list[str]] = defaultdict(list)
    for organisation_id, name in run(
            sa.select(col(Person.organisation_id), col(Person.display_name))
            .where(col(Person.active).is_(True), col(Person.telegram_user_id).is_not(None),
                   col(Person.role).in_([str(role) for role in REPORTING_ROLES]))
            .order_by(col(Person.id))):
        contacts[organisation_id].append(name)
    return Directory(orgs, members, clusters, contacts, {c.id: c for c in clusters})


# ------------------------------------------------------------------------------ answers


def read_answers(run: Run, since: Quarter, last: Quarter) -> dict[Cell, str]:
    """The status of the current (highest) version of every answer from `since` to `last`.

    The whole history, for the plan-wide views (the Gantt chart, turnout per quarter): one
    row per stored version, walked once; rows come in version order, so the newest wins.
    """
    rows = run(
        sa.select(col(StatusUpdate.action_id), col(StatusUpdate.organisation_id),
                  col(StatusUpdate.quarter), col(StatusUpdate.status))
        .where(_quarters(since, last)).order_by(col(StatusUpdate.version)))
    return {(a, o, q): s for a, o, q, s in rows}


def _quarters(since: Quarter, last: Quarter) -> sa.ColumnElement[bool]:
    """Answers by quarter only, not joined to their plan's actions: SQLite would then walk
    them action by action through the whole history instead of through the quarter index.
    Plans rarely share quarters, and a caller looks up its own plan's actions only."""
    return sa.and_(col(StatusUpdate.quarter) >= str(since), col(StatusUpdate.quarter) <= str(last))


class AnswerRow(NamedTuple):
    """One stored version of an answer, as the report shows it."""

    action_id: int
    organisation_id: int
    quarter: str
    version: int
    status: str
    progress: int
    narrative: str | None
    blockers: str | None
    evidence_link: str | None
    evidence_file_id: str | None
    evidence_file_name: str | None
    evidence_note: str | None
    created_at: datetime
    person_name: str | None


def read_answer_details(run: Run, first: Quarter, last: Quarter) -> list[AnswerRow]:
    """Every version of every answer from `first` to `last` (of any plan: see `_quarters`)."""
    return [AnswerRow._make(r) for r in run(
        sa.select(col(StatusUpdate.action_id), col(StatusUpdate.organisation_id),
                  col(StatusUpdate.quarter), col(StatusUpdate.version), col(StatusUpdate.status),
                  col(StatusUpdate.progress), col(StatusUpdate.narrative),
                  col(StatusUpdate.blockers), col(StatusUpdate.evidence_link),
                  col(StatusUpdate.evidence_file_id), col(StatusUpdate.evidence_file_name),
                  col(StatusUpdate.evidence_note), col(StatusUpdate.created_at),
                  col(Person.display_name))
        .outerjoin(Person, col(Person.id) == StatusUpdate.person_id)
        .where(_quarters(first, last)))]


# ------------------------------------------------------------------------------ figures


class IndicatorDef(NamedTuple):
    id: int
    code: str
    title: str
    unit: str
    value_type: str
    level: int
    position: int


def read_indicators(run: Run, plan: Plan) -> dict[int, IndicatorDef]:
    """The plan's indicators by id, in plan order."""
    return {r.id: IndicatorDef(r.id, r.code, r.title, r.unit, str(r.value_type), r.level,
                               r.position)
            for r in run(sa.select(col(Indicator.id), col(Indicator.code), col(Indicator.title),
                                   col(Indicator.unit), col(Indicator.value_type),
                                   col(Indicator.level), col(Indicator.position))
                         .where(col(Indicator.plan_id) == plan.id)
                         .order_by(col(Indicator.position), col(Indicator.id)))}


class FigureRow(NamedTuple):
    """The current version of a figure in the period, with the figure of the period before."""

    indicator_id: int
    subject_key: str
    cluster_id: int | None
    organisation_id: int
    period: str
    version: int
    value: Decimal
    created_at: datetime
    previous_period: str | None
    previous_value: Decimal | None


def _newest_version(value: Any) -> Any:
    """The highest version of the figure `value` (an alias of IndicatorValue) is one of."""
    other = sa.orm.aliased(IndicatorValue)
    return (sa.select(sa.func.max(other.version))
            .where(col(other.indicator_id) == value.indicator_id,
                   col(other.subject_key) == value.subject_key, col(other.period) == value.period)
            .scalar_subquery())


def read_period_figures(run: Run, plan: Plan, first: Quarter,
                        last: Quarter) -> list[FigureRow]:
    """Current figures from `first` to `last`; `previous_*` is the current figure of the
    latest earlier period of the same indicator and subject (found through the unique key,
    so the cost follows the period's figures, not the whole history)."""
    value = sa.orm.aliased(IndicatorValue)
    previous = sa.orm.aliased(IndicatorValue)
    earlier = sa.orm.aliased(IndicatorValue)
    period_before = (sa.select(sa.func.max(earlier.period))
                     .where(col(earlier.indicator_id) == value.indicator_id,
                            col(earlier.subject_key) == value.subject_key,
                            col(earlier.period) < value.period)
                     .scalar_subquery())
    return [FigureRow._make(r) for r in run(
        sa.select(col(value.indicator_id), col(value.subject_key), col(value.cluster_id),
                  col(value.organisation_id), col(value.period), col(value.version),
                  col(value.value), col(value.created_at), col(previous.period),
                  col(previous.value))
        .join(Indicator, col(Indicator.id) == value.indicator_id)
        .outerjoin(previous, sa.and_(col(previous.indicator_id) == value.indicator_id,
                                     col(previous.subject_key) == value.subject_key,
                                     col(previous.period) == period_before,
                                     col(previous.version) == _newest_version(previous)))
        .where(col(Indicator.plan_id) == plan.id, col(value.period) >= str(first),
               col(value.period) <= str(last), col(value.version) == _newest_version(value)))]


class TrendPoint(NamedTuple):
    indicator_id: int
    subject_key: str
    cluster_id: int | None
    organisation_id: int
    period: str
    value: Decimal


def read_trend_points(run: Run, indicator_ids: Collection[int], last: Quarter) -> list[TrendPoint]:
    """The current figure of every period up to `last` of the indicators drawn as trends."""
    value = sa.orm.aliased(IndicatorValue)
    return [TrendPoint._make(r) for r in run(
        sa.select(col(value.indicator_id), col(value.subject_key), col(value.cluster_id),
                  col(value.organisation_id), col(value.period), col(value.value))
        .where(col(value.indicator_id).in_(list(indicator_ids)), col(value.period) <= str(last),
               col(value.version) == _newest_version(value)))]


class FigureReturn(NamedTuple):
    """Figures a cluster gave for a period (any version): when the first and last came."""

    first: datetime
    last: datetime


def read_figure_returns(run: Run, plan: Plan,
                        last: Quarter) -> dict[tuple[int | None, str], FigureReturn]:
    """(cluster id, period) -> FigureReturn, for every period up to `last`."""
    return {(cluster_id, period): FigureReturn(first_at, last_at)
            for cluster_id, period, first_at, last_at in run(
                sa.select(col(IndicatorValue.cluster_id), col(IndicatorValue.period),
                          sa.func.min(IndicatorValue.created_at),
                          sa.func.max(IndicatorValue.created_at))
                .join(Indicator, col(Indicator.id) == IndicatorValue.indicator_id)
                .where(col(Indicator.plan_id) == plan.id, col(IndicatorValue.period) <= str(last))
                .group_by(col(IndicatorValue.cluster_id), col(IndicatorValue.period)))}


# ------------------------------------------------------------------------------- outbox


@dataclass(frozen=True)
class Sends:
    """Prompts and reminders the outbox sent, by (organisation short, quarter as text)."""

    prompts: dict[tuple[str, str], int]
    reminders: dict[tuple[str, str], int]  # reminders and snoozed reminders


def read_sends(run: Run, first: Quarter, last: Quarter) -> Sends:
    prompts: dict[tuple[str, str], int] = defaultdict(int)
    reminders: dict[tuple[str, str], int] = defaultdict(int)
    for kind, subject, period, count in run(
            sa.select(col(Notification.kind), col(Notification.subject), col(Notification.period),
                      sa.func.count())
            .where(col(Notification.status) == NotificationStatus.SENT.value,
                   sa.or_(col(Notification.kind) == "prompt",
                          col(Notification.kind).like("reminder%"),
                          col(Notification.kind) == "snooze"),
                   col(Notification.period) >= str(first),
                   col(Notification.period) <= f"{last}~")
            .group_by(col(Notification.kind), col(Notification.subject),
                      col(Notification.period))):
        target = prompts if kind == "prompt" else reminders
        # A snoozed reminder's period is "<quarter>/<day it was snoozed to>".
        target[(subject, period.split("/")[0])] += count
    return Sends(prompts, reminders)
