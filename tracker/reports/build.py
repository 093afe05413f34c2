"""Everything a report shows, read with a fixed number of queries (16), whatever the row counts.

`build_report` reads through tracker.reports.queries and assembles a Report
(tracker.reports.data) one named piece at a time: the scope, the statuses, the figures, the
participation, the turnout, the red flags. Each piece walks its rows a fixed number of times
with dictionary and set look-ups only, so the build grows linearly with the organisations and
the history.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlmodel import Session, col, select

from tracker import texts
from tracker.calendar import CalendarSettings
from tracker.indicator_figures import CHANGE_TYPES, implausibility
from tracker.member_counts import movements
from tracker.models import OrgKind, Plan
from tracker.quarters import Quarter
from tracker.reports import queries
from tracker.reports.data import (
    INACTIVE,
    NO_ANSWER,
    ActionInfo,
    ActionStatus,
    ClusterInfo,
    DelayFlag,
    IndicatorRow,
    MemberRow,
    Participation,
    PlanInfo,
    PriorityInfo,
    QuarterTurnout,
    RedFlags,
    Report,
    StaleFlag,
    StatusRow,
    TrendSeries,
    combine,
)
from tracker.reports.events import in_scope, read_events
from tracker.reports.filters import (
    TOPICS,
    WORDS,
    ReportFilters,
    match_clusters,
    plan_span,
    resolve_period,
    usage_error,
)
from tracker.reports.queries import Cell, Directory, FigureReturn, Outline, Sends, quarter_of
from tracker.turkish import fold

MAIN_INDICATORS = 6  # trend charts at most

Schedule = dict[Quarter, list[ActionInfo]]  # quarter -> actions in scope active in it


def build_report(
    session: Session, filters: ReportFilters, *, now: datetime, settings: CalendarSettings
) -> Report:
    """All data of the summary, the workbook and the charts, in 16 queries."""
    if filters.topic not in TOPICS:
        raise usage_error("reason_unknown_word", words=[filters.topic])
    run = session.connection().execute
    plans = list(session.exec(select(Plan).order_by(col(Plan.id))).all())
    plan, quarters = resolve_period(plans, filters.period, now, settings)
    first, last = quarters[0], quarters[-1]
    start, end = plan_span(plan)

    outline = queries.read_outline(run, plan)
    directory = queries.read_directory(run)
    cluster = _chosen_cluster(filters, directory)
    scope = _scope(filters, plan, outline, directory, cluster)
    answers = queries.read_answers(run, start, last)
    # The quarter before the period too: an answer unchanged since then is a red flag.
    details = queries.read_answer_details(run, first.previous(), last)
    statuses = _statuses(scope, answers, details, directory, quarters)
    figures = _figures(run, plan, quarters, scope, directory)
    sends = queries.read_sends(run, first, last)

    schedule = _schedule(scope, last)
    figure_orgs = _figure_orgs(scope, directory, figures)
    title, stem = _names(filters, quarters, cluster)
    return Report(
        plan=PlanInfo(plan.code, plan.title, start, end), filters=filters, now=now,
        quarters=tuple(quarters), title=title, stem=stem, scope_title=scope.title,
        cluster=cluster, priorities=_priorities(outline, scope), actions=scope.actions,
        statuses=statuses.statuses, latest=statuses.latest, history=statuses.history,
        timeline=statuses.timeline, indicators=figures.rows,
        figures_owed=_figures_owed(figure_orgs, directory),
        figures_expected=figures.expected, main_indicators=figures.main, trends=figures.trends,
        participation=_participation(quarters, scope, schedule, figure_orgs, directory, answers,
                                     statuses.history, figures.returns, sends),
        turnout=_turnout(Quarter.range(start, min(last, end)), scope, schedule, figure_orgs,
                         directory, answers, figures.returns),
        flags=_red_flags(filters, scope, statuses, figures.rows, quarters),
        members=_members(session, quarters, directory, cluster),
        events=in_scope(read_events(run, first, last),
                        scope.ids if scope.key is not None else None,
                        cluster.code if cluster else None),
    )


def _members(session: Session, quarters: list[Quarter], directory: Directory,
             cluster: ClusterInfo | None) -> tuple[MemberRow, ...]:
    """Members per cluster over the period (the chosen cluster only, with one)."""
    moved = movements(session, quarters[0].start, quarters[-1].end)
    return tuple(MemberRow(c.code, c.name, *moved.get(c.id, (0, 0, 0, 0)))
                 for c in directory.clusters if cluster is None or c.id == cluster.id)


# ---------------------------------------------------------------------------- the scope


@dataclass(frozen=True)
class Scope:
    """What a report covers: its actions, who answers for them, whose answers count."""

    actions: tuple[ActionInfo, ...]  # in scope, plan order
    key: str | None  # the folded plan item code; None: the whole plan
    title: str | None  # that item's title
    owers: dict[int, list[int]]  # every plan action -> organisations that answer for it
    cluster: ClusterInfo | None
    managed: frozenset[int]  # the chosen cluster's management bodies
    only: frozenset[int] | None  # whose answers count (topic kume: the management's)

    @property
    def ids(self) -> frozenset[int]:
        return frozenset(a.id for a in self.actions)

    def counts(self, org_id: int) -> bool:
        """A cluster's report asks its management bodies only."""
        return self.cluster is None or org_id in self.managed


def _chosen_cluster(filters: ReportFilters, directory: Directory) -> ClusterInfo | None:
    clusters = directory.clusters
    if filters.topic == "kume" and not filters.cluster:
        raise usage_error("reason_no_cluster", clusters=[c.code for c in clusters])
    if not filters.cluster:
        return None
    found = match_clusters(clusters, filters.cluster)
    if len(found) != 1:
        raise usage_error("reason_unknown_cluster", text=filters.cluster,
                          clusters=[c.code for c in clusters])
    chosen = found[0]
    managements = tuple(o.short for o in sorted(directory.orgs.values(), key=lambda o: o.position)
                        if o.cluster_id == chosen.id)
    return ClusterInfo(chosen.id, chosen.code, chosen.name, managements)


def _scope(filters: ReportFilters, plan: Plan, outline: Outline, directory: Directory,
           cluster: ClusterInfo | None) -> Scope:
    owers = {a.id: list(dict.fromkeys(o for body in outline.named.get(a.id, [])
                                      for o in directory.bodies(body)))
             for a in outline.actions}
    managed = frozenset(o for o, org in directory.orgs.items()
                        if cluster and org.cluster_id == cluster.id)
    actions = [_action_info(a, outline, directory, owers[a.id]) for a in outline.actions]
    key = fold(filters.scope) if filters.scope else None
    title = None
    if key is not None:
        title = _scope_title(outline, key)
        if title is None:
            raise usage_error("reason_unknown_scope", code=filters.scope, plan=plan.code)
        actions = [a for a in actions
                   if key in (fold(a.priority_code), fold(a.goal_code), fold(a.code))]
    if filters.topic == "kume":
        actions = [a for a in actions if managed & set(owers[a.id])]
    return Scope(actions=tuple(actions), key=key, title=title, owers=owers, cluster=cluster,
                 managed=managed, only=managed if filters.topic == "kume" else None)


def _action_info(a: queries.OutlineAction, outline: Outline, directory: Directory,
                 owers: list[int]) -> ActionInfo:
    orgs = directory.orgs
    return ActionInfo(
        id=a.id, code=a.code, title=a.title, priority_code=a.priority_code,
        priority_title=a.priority_title, goal_code=a.goal_code, goal_title=a.goal_title,
        responsible=tuple(orgs[o].short for o in outline.named.get(a.id, [])),
        quarters=tuple(sorted(outline.scheduled.get(a.id, []))),
        schedule_is_default=bool(a.schedule_is_default),
        owed_by=tuple(orgs[o].short for o in owers))


def _scope_title(outline: Outline, key: str) -> str | None:
    """The title of the priority, goal or action whose code folds to `key` (the last one the
    plan lists, should two share a code)."""
    title = None
    for a in outline.actions:
        for code, name in ((a.priority_code, a.priority_title), (a.goal_code, a.goal_title),
                           (a.code, a.title)):
            if fold(code) == key:
                title = name
    return title


def _priorities(outline: Outline, scope: Scope) -> tuple[PriorityInfo, ...]:
    """The priorities of the actions in scope, in plan order."""
    used = {a.priority_code for a in scope.actions}
    first_row: dict[int, queries.OutlineAction] = {}
    for a in outline.actions:
        first_row.setdefault(a.priority_id, a)
    ordered = sorted(first_row.values(), key=lambda a: (a.priority_position, a.priority_id))
    return tuple(PriorityInfo(a.priority_code, a.priority_title) for a in ordered
                 if a.priority_code in used)


# ------------------------------------------------------------------------- the statuses


@dataclass(frozen=True)
class Statuses:
    statuses: tuple[ActionStatus, ...]  # one per action in scope
    latest: tuple[StatusRow, ...]  # current version per (action, organisation) in the period
    history: tuple[StatusRow, ...]  # every version in the period
    current: dict[tuple[int, int, Quarter], StatusRow]  # the period and the quarter before
    timeline: dict[tuple[int, Quarter], str]  # (action id, quarter) -> combined status


def _statuses(scope: Scope, answers: dict[Cell, str], details: list[queries.AnswerRow],
              directory: Directory, quarters: list[Quarter]) -> Statuses:
    rows = _status_rows(scope, details, directory)
    period = set(quarters)
    history = tuple(r for r in rows if r.quarter in period)
    latest_of: dict[tuple[int, int], StatusRow] = {}
    for r in history:
        if r.current:
            latest_of[(r.action_id, r.organisation_id)] = r  # rows run in quarter order
    by_action: dict[int, list[StatusRow]] = defaultdict(list)
    for r in latest_of.values():
        by_action[r.action_id].append(r)
    statuses = tuple(_action_status(a, by_action.get(a.id, []), quarters)
                     for a in scope.actions)
    return Statuses(
        statuses=statuses,
        latest=tuple(r for s in statuses for r in s.latest),
        history=history,
        current={(r.action_id, r.organisation_id, r.quarter): r for r in rows if r.current},
        timeline=_timeline(scope, answers),
    )


def _timeline(scope: Scope, answers: dict[Cell, str]) -> dict[tuple[int, Quarter], str]:
    """Every quarter's combined status of each action in scope, from its current answers."""
    ids, only = scope.ids, scope.only
    per_cell: dict[tuple[int, str], list[str]] = defaultdict(list)
    for (action_id, org_id, quarter), status in answers.items():
        if action_id in ids and (only is None or org_id in only):
            per_cell[(action_id, quarter)].append(status)
    return {(a, quarter_of(q)): combine(found) for (a, q), found in per_cell.items()}


def _status_rows(scope: Scope, details: list[queries.AnswerRow],
                 directory: Directory) -> list[StatusRow]:
    """The answers in scope, every version, in the order the report lists them."""
    newest: dict[Cell, int] = {}
    for d in details:
        key = (d.action_id, d.organisation_id, d.quarter)
        newest[key] = max(newest.get(key, 0), d.version)
    actions = {a.id: a for a in scope.actions}
    orgs, only = directory.orgs, scope.only
    rows = [
        _status_row(d, actions[d.action_id], orgs[d.organisation_id],
                    current=newest[(d.action_id, d.organisation_id, d.quarter)] == d.version)
        for d in details
        if d.action_id in actions and (only is None or d.organisation_id in only)
    ]
    order = {a.id: i for i, a in enumerate(scope.actions)}
    rows.sort(key=lambda r: (r.quarter, order[r.action_id], orgs[r.organisation_id].position,
                             r.organisation_short, r.version))
    return rows


def _status_row(d: queries.AnswerRow, action: ActionInfo, org: queries.OrgRow, *,
                current: bool) -> StatusRow:
    return StatusRow(
        action_id=d.action_id, action_code=action.code, action_title=action.title,
        organisation_id=d.organisation_id, organisation_short=org.short,
        organisation_name=org.name, quarter=quarter_of(d.quarter), version=d.version,
        current=current, status=d.status, progress=d.progress, narrative=d.narrative or "",
        blockers=d.blockers, evidence_link=d.evidence_link,
        evidence_file_name=d.evidence_file_name, evidence_note=d.evidence_note,
        has_evidence=bool(d.evidence_link or d.evidence_file_id or d.evidence_file_name),
        person_name=d.person_name, created_at=d.created_at)


def _action_status(a: ActionInfo, found: list[StatusRow], quarters: list[Quarter]) -> ActionStatus:
    if found:
        state = combine(r.status for r in found)
        progress: float | None = round(sum(r.progress for r in found) / len(found), 1)
    else:
        state = NO_ANSWER if a.active_in(quarters) else INACTIVE
        progress = None
    return ActionStatus(a, state, progress, tuple(found),
                        max((r.created_at for r in found), default=None))


# -------------------------------------------------------------------------- the figures


@dataclass(frozen=True)
class Figures:
    rows: tuple[IndicatorRow, ...]  # the period's figures with their change
    main: tuple[str, ...]  # indicator codes drawn as trends
    trends: tuple[TrendSeries, ...]
    expected: int  # level-1 indicators a cluster gives each quarter
    returns: dict[tuple[int | None, str], FigureReturn]  # (cluster id, period) -> any given


def _figures(run: queries.Run, plan: Plan, quarters: list[Quarter], scope: Scope,
             directory: Directory) -> Figures:
    indicators = queries.read_indicators(run, plan)
    first, last = quarters[0], quarters[-1]

    # Figures belong to clusters, not to plan items: a report on a plan item has none.
    def wanted(cluster_id: int | None, org_id: int) -> bool:
        cluster = scope.cluster
        return scope.key is None and (
            cluster is None or cluster_id == cluster.id
            or (cluster_id is None and org_id in scope.managed))

    found = [f for f in queries.read_period_figures(run, plan, first, last)
             if wanted(f.cluster_id, f.organisation_id)]
    rows = _indicator_rows(found, indicators, directory)
    main = _main_indicators(rows, indicators)
    ids = {ind.code: ind.id for ind in indicators.values()}
    points = [p for p in queries.read_trend_points(run, [ids[code] for code in main], last)
              if wanted(p.cluster_id, p.organisation_id)]
    return Figures(
        rows=rows, main=main, trends=_trends(points, main, indicators, directory),
        expected=sum(1 for i in indicators.values() if i.level == 1),
        returns=queries.read_figure_returns(run, plan, last),
    )


def _subject(directory: Directory, cluster_id: int | None, org_id: int) -> tuple[str | None, str]:
    """(cluster code, name shown) of a figure's subject: its cluster, else its organisation."""
    cluster = directory.cluster(cluster_id)
    if cluster is not None:
        return cluster.code, cluster.name
    return None, directory.orgs[org_id].short


def _indicator_rows(found: list[queries.FigureRow], indicators: dict[int, queries.IndicatorDef],
                    directory: Directory) -> tuple[IndicatorRow, ...]:
    found = sorted(found, key=lambda f: (f.period, indicators[f.indicator_id].position,
                                         f.subject_key))
    rows = []
    for f in found:
        ind = indicators[f.indicator_id]
        code, name = _subject(directory, f.cluster_id, f.organisation_id)
        rows.append(IndicatorRow(
            indicator_code=ind.code, indicator_title=ind.title, unit=ind.unit,
            value_type=ind.value_type, level=ind.level, cluster_code=code, subject=name,
            organisation_short=directory.orgs[f.organisation_id].short,
            period=quarter_of(f.period), value=f.value, version=f.version,
            previous_period=quarter_of(f.previous_period) if f.previous_period else None,
            previous_value=f.previous_value,
            implausible=_implausible(f.value, f.previous_value, ind.value_type),
            created_at=f.created_at))
    position = {ind.code: ind.position for ind in indicators.values()}
    rows.sort(key=lambda r: (r.period, position[r.indicator_code], r.cluster_code is None,
                             r.subject))
    return tuple(rows)


def _implausible(value: Decimal, previous: Decimal | None, value_type: str) -> str | None:
    """tracker.indicator_figures.implausibility (10 times up or down, a sign flip), except
    for change indicators: a change swings around zero, its ratio to the last one means
    little."""
    if value_type in CHANGE_TYPES:
        return None
    return implausibility(value, previous, value_type)


def _main_indicators(rows: Iterable[IndicatorRow],
                     indicators: dict[int, queries.IndicatorDef]) -> tuple[str, ...]:
    """The indicators worth a trend chart: most subjects reported, level 1 first, plan order."""
    subjects: dict[str, set[str]] = defaultdict(set)
    for r in rows:
        subjects[r.indicator_code].add(r.subject)
    ranked = sorted(
        (ind for ind in indicators.values() if ind.code in subjects),
        key=lambda ind: (-len(subjects[ind.code]), ind.level, ind.position),
    )
    return tuple(ind.code for ind in ranked[:MAIN_INDICATORS])


def _trends(points: list[queries.TrendPoint], main: tuple[str, ...],
            indicators: dict[int, queries.IndicatorDef],
            directory: Directory) -> tuple[TrendSeries, ...]:
    """One line per subject of each main indicator: clusters in their order, then the rest."""
    series: dict[tuple[int, str], list[tuple[str, Decimal]]] = defaultdict(list)
    names: dict[str, str] = {}
    for p in sorted(points, key=lambda p: p.period):
        series[(p.indicator_id, p.subject_key)].append((p.period, p.value))
        names[p.subject_key] = _subject(directory, p.cluster_id, p.organisation_id)[1]
    of_indicator: dict[int, list[str]] = defaultdict(list)
    for indicator_id, subject in series:
        of_indicator[indicator_id].append(subject)
    rank = {f"c{c.id}": i for i, c in enumerate(directory.clusters)}
    by_code = {ind.code: ind for ind in indicators.values()}
    trends = []
    for code in main:
        ind = by_code[code]
        for subject in sorted(of_indicator[ind.id],
                              key=lambda s: (rank.get(s, len(rank)), names[s])):
            trends.append(TrendSeries(
                code, ind.title, ind.unit, names[subject],
                tuple((quarter_of(p), float(v)) for p, v in series[(ind.id, subject)])))
    return tuple(trends)


# --------------------------------------------------------------------- the participation


def _schedule(scope: Scope, last: Quarter) -> Schedule:
    """The actions in scope by the quarters, up to `last`, in which they are active."""
    schedule: Schedule = defaultdict(list)
    for a in scope.actions:
        for q in a.quarters:
            if q <= last:
                schedule[q].append(a)
    return schedule


def _owed(scope: Scope, actions: list[ActionInfo]) -> dict[int, list[ActionInfo]]:
    """Each organisation asked about `actions` (one quarter's): the ones it owes.

    Made quarter by quarter and dropped after use: the lists of every quarter at once would
    be as many objects as the answers, kept long enough to cost full garbage collections."""
    owed: dict[int, list[ActionInfo]] = defaultdict(list)
    for a in actions:
        for o in scope.owers[a.id]:
            if scope.counts(o):
                owed[o].append(a)
    return owed


def _figure_orgs(scope: Scope, directory: Directory, figures: Figures) -> list[int]:
    """The management bodies asked for their cluster's figures, in order."""
    if not figures.expected or scope.key is not None:
        return []
    return [o for o in directory.in_order(directory.orgs)
            if directory.orgs[o].cluster_id is not None
            and directory.orgs[o].kind == OrgKind.CLUSTER_MANAGEMENT and scope.counts(o)]


def _figures_owed(figure_orgs: list[int], directory: Directory) -> tuple[str, ...]:
    """The names of the clusters whose figures are asked for, in order."""
    names = (_cluster_name(directory, directory.orgs[o].cluster_id) for o in figure_orgs)
    return tuple(dict.fromkeys(name for name in names if name is not None))


def _participation(quarters: list[Quarter], scope: Scope, schedule: Schedule,
                   figure_orgs: list[int],
                   directory: Directory, answers: dict[Cell, str],
                   history: tuple[StatusRow, ...],
                   returns: dict[tuple[int | None, str], FigureReturn],
                   sends: Sends) -> tuple[Participation, ...]:
    """Every organisation asked in each quarter of the period: what it owed and answered."""
    owes_figures = set(figure_orgs)
    answer_times: dict[tuple[int, Quarter], list[datetime]] = defaultdict(list)
    for r in history:
        answer_times[(r.organisation_id, r.quarter)].append(r.created_at)
    rows = []
    for q in quarters:
        q_text, owed = str(q), _owed(scope, schedule.get(q, []))
        for o in directory.in_order(set(owed) | owes_figures):
            org, asked = directory.orgs[o], owed.get(o, [])
            times = answer_times.get((o, q), [])
            given = returns.get((org.cluster_id, q_text)) if o in owes_figures else None
            if given is not None:
                times = [*times, given.first, given.last]
            rows.append(Participation(
                quarter=q, organisation_short=org.short, organisation_name=org.name,
                contacts=tuple(directory.contacts.get(o, [])),
                actions_asked=tuple(a.code for a in asked),
                actions_answered=tuple(a.code for a in asked if (a.id, o, q_text) in answers),
                figures_asked=o in owes_figures, figures_answered=given is not None,
                first_answer=min(times, default=None), last_answer=max(times, default=None),
                prompts_sent=sends.prompts.get((org.short, q_text), 0),
                reminders_sent=sends.reminders.get((org.short, q_text), 0)))
    return tuple(rows)


def _turnout(plan_quarters: list[Quarter], scope: Scope, schedule: Schedule,
             figure_orgs: list[int], directory: Directory, answers: dict[Cell, str],
             returns: dict[tuple[int | None, str], FigureReturn]) -> tuple[QuarterTurnout, ...]:
    """Each plan quarter up to the period's end: organisations asked, complete, partial."""
    owes_figures = set(figure_orgs)
    turnout = []
    for q in plan_quarters:
        q_text, owed = str(q), _owed(scope, schedule.get(q, []))
        asked = set(owed) | owes_figures
        complete = partial = 0
        for o in asked:
            done = sum(1 for a in owed.get(o, []) if (a.id, o, q_text) in answers)
            figures_due = o in owes_figures
            figures_done = (directory.orgs[o].cluster_id, q_text) in returns
            if done == len(owed.get(o, [])) and (figures_done or not figures_due):
                complete += 1
            elif done or (figures_due and figures_done):
                partial += 1
        turnout.append(QuarterTurnout(q, len(asked), complete, partial))
    return tuple(turnout)


# ------------------------------------------------------------------------ the red flags


def _red_flags(filters: ReportFilters, scope: Scope, statuses: Statuses,
               figures: tuple[IndicatorRow, ...], quarters: list[Quarter]) -> RedFlags:
    """Built from the rows above, so a cluster's report (topic "kume") warns only about its
    management: delays and stale answers it reported, figures of the cluster. An action
    with no responsible body is a plan-wide gap, not a cluster's: left out there."""
    delayed = tuple(
        DelayFlag(s.action.code, s.action.title,
                  tuple(r.organisation_short for r in s.latest if r.status == "delayed"))
        for s in statuses.statuses if s.state == "delayed")
    unassigned = () if filters.topic == "kume" else tuple(
        a.code for a in scope.actions if not a.has_responsible and a.active_in(quarters))
    return RedFlags(delayed=delayed, unassigned=unassigned,
                    stale=_stale(scope, statuses.current, set(quarters)),
                    implausible=tuple(r for r in figures if r.implausible))


def _stale(scope: Scope, current: dict[tuple[int, int, Quarter], StatusRow],
           period: set[Quarter]) -> tuple[StaleFlag, ...]:
    """Answers in progress at the same progress as the quarter before, neither with evidence."""
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
    order = {a.code: i for i, a in enumerate(scope.actions)}
    return tuple(sorted(stale.values(), key=lambda f: (order[f.action_code],
                                                       f.organisation_short)))


# ------------------------------------------------------------------------------- names


def _cluster_name(directory: Directory, cluster_id: int | None) -> str | None:
    cluster = directory.cluster(cluster_id)
    return cluster.name if cluster else None


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
