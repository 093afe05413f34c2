"""Store a validated plan: create it, or update it in place by codes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlmodel import Session, col, delete, func, select

from tracker import texts
from tracker.models import (
    Action,
    ActionQuarter,
    ActionResponsible,
    Cluster,
    Goal,
    Indicator,
    IndicatorType,
    IndicatorValue,
    Organisation,
    OrganisationMember,
    OrgKind,
    Plan,
    Priority,
    ScorecardAdvice,
    ScorecardEntry,
    StatusUpdate,
)
from tracker.planfile.records import FileKind, PlanImportError, Problem
from tracker.planfile.spec import PlanSpec
from tracker.rows import id_of
from tracker.turkish import fold

# The tables a plan owns and keys by code (one type each, so mypy checks _sync for all four).
T = TypeVar("T", Priority, Goal, Action, Indicator)


def known_names(session: Session) -> tuple[dict[str, str], set[str]]:
    organisations = {o.short_key: o.short for o in session.exec(select(Organisation))}
    clusters = {c.code for c in session.exec(select(Cluster))}
    return organisations, clusters


def apply_spec(session: Session, spec: PlanSpec, file: str, kind: FileKind) -> Plan:
    """Write the spec into the session (the caller commits). Refuses to drop reported items."""
    clusters = _store_clusters(session, spec)
    organisations = _store_organisations(session, spec, clusters)

    plan = session.exec(select(Plan).where(Plan.code == spec.code)).first()
    if plan is None:
        plan = Plan(code=spec.code, title=spec.title, start=str(spec.start), end=str(spec.end))
    plan.title, plan.start, plan.end, plan.source = (
        spec.title,
        str(spec.start),
        str(spec.end),
        spec.source,
    )
    session.add(plan)
    session.flush()
    assert plan.id is not None

    priorities = _sync(
        session, Priority, plan.id, [{"code": p.code, "title": p.title} for p in spec.priorities]
    )
    goals = _sync(
        session,
        Goal,
        plan.id,
        [
            {"code": g.code, "title": g.title, "priority_id": priorities[g.priority].id}
            for g in spec.goals
        ],
    )
    _refuse_dropping_reported(session, plan.id, spec, file, kind)
    actions = _sync(
        session,
        Action,
        plan.id,
        [
            {
                "code": a.code,
                "title": a.title,
                "goal_id": goals[a.goal].id,
                "schedule_is_default": a.schedule_is_default,
            }
            for a in spec.actions
        ],
    )
    _sync(
        session,
        Indicator,
        plan.id,
        [
            {
                "code": i.code,
                "title": i.title,
                "level": i.level,
                "unit": i.unit,
                "value_type": IndicatorType(i.type),
                "min_value": i.min,
                "max_value": i.max,
                "measure_is_assumed": i.measure_is_assumed,
                "note": i.note,
            }
            for i in spec.indicators
        ],
    )
    # Goals and priorities go last: their actions had to move or go first.
    _drop_missing(session, Goal, plan.id, {g.code for g in spec.goals})
    _drop_missing(session, Priority, plan.id, {p.code for p in spec.priorities})

    for action_spec in spec.actions:
        action = actions[action_spec.code]
        session.exec(
            delete(ActionResponsible).where(col(ActionResponsible.action_id) == action.id)
        )
        session.exec(delete(ActionQuarter).where(col(ActionQuarter.action_id) == action.id))
        for position, short in enumerate(action_spec.responsible):
            org = organisations[fold(short)]
            session.add(
                ActionResponsible(
                    action_id=id_of(action), organisation_id=id_of(org), position=position
                )
            )
        for quarter in action_spec.quarters:
            session.add(ActionQuarter(action_id=id_of(action), quarter=str(quarter)))

    session.exec(delete(ScorecardEntry).where(col(ScorecardEntry.plan_id) == plan.id))
    session.exec(delete(ScorecardAdvice).where(col(ScorecardAdvice.plan_id) == plan.id))
    for position, entry in enumerate(spec.scorecard):
        session.add(
            ScorecardEntry(
                plan_id=plan.id,
                sector=entry.sector,
                index_value=entry.index,
                category=entry.category,
                position=position,
            )
        )
    for position, advice in enumerate(spec.scorecard_advice):
        session.add(
            ScorecardAdvice(
                plan_id=plan.id, category=advice.category, text=advice.text, position=position
            )
        )
    session.flush()
    return plan


def _store_clusters(session: Session, spec: PlanSpec) -> dict[str, Cluster]:
    existing = {fold(c.code): c for c in session.exec(select(Cluster))}
    for position, cluster_spec in enumerate(spec.clusters):
        cluster = existing.get(fold(cluster_spec.code)) or Cluster(
            code=cluster_spec.code, name=cluster_spec.name
        )
        cluster.name, cluster.position = cluster_spec.name, position
        session.add(cluster)
        existing[fold(cluster.code)] = cluster
    session.flush()
    return existing


def _store_organisations(
    session: Session, spec: PlanSpec, clusters: dict[str, Cluster]
) -> dict[str, Organisation]:
    existing = {o.short_key: o for o in session.exec(select(Organisation))}
    for position, org_spec in enumerate(spec.organisations):
        key = fold(org_spec.short)
        org = existing.get(key) or Organisation(
            short=org_spec.short, short_key=key, name=org_spec.name, kind=OrgKind(org_spec.kind)
        )
        org.short, org.name, org.kind = org_spec.short, org_spec.name, OrgKind(org_spec.kind)
        org.note, org.position = org_spec.note, position
        org.cluster_id = clusters[fold(org_spec.cluster)].id if org_spec.cluster else None
        session.add(org)
        existing[key] = org
    session.flush()
    for org_spec in spec.organisations:
        group = existing[fold(org_spec.short)]
        session.exec(
            delete(OrganisationMember).where(col(OrganisationMember.group_id) == group.id)
        )
        for position, member in enumerate(org_spec.members):
            session.add(
                OrganisationMember(
                    group_id=id_of(group),
                    member_id=id_of(existing[fold(member)]),
                    position=position,
                )
            )
    session.flush()
    return existing


def _sync(
    session: Session, model: type[T], plan_id: int, rows: Sequence[dict[str, Any]]
) -> dict[str, T]:
    """Upsert rows of a plan-owned table by code; the file's order becomes `position`."""
    existing = {
        obj.code: obj for obj in session.exec(select(model).where(col(model.plan_id) == plan_id))
    }
    result: dict[str, T] = {}
    for position, values in enumerate(rows):
        obj = existing.get(values["code"]) or model(plan_id=plan_id, **values)
        for key, value in values.items():
            setattr(obj, key, value)
        obj.position = position
        session.add(obj)
        result[values["code"]] = obj
    session.flush()
    if model in (Action, Indicator):
        _drop_missing(session, model, plan_id, set(result))
    return result


def _drop_missing(session: Session, model: type[T], plan_id: int, keep: set[str]) -> None:
    for obj in session.exec(select(model).where(col(model.plan_id) == plan_id)):
        if obj.code in keep:
            continue
        if model is Action:
            session.exec(
                delete(ActionResponsible).where(col(ActionResponsible.action_id) == obj.id)
            )
            session.exec(delete(ActionQuarter).where(col(ActionQuarter.action_id) == obj.id))
        session.delete(obj)
    session.flush()


def _refuse_dropping_reported(
    session: Session, plan_id: int, spec: PlanSpec, file: str, kind: FileKind
) -> None:
    """An action or indicator with reports cannot vanish: its history would lose its subject."""
    keep_actions = {a.code for a in spec.actions}
    keep_indicators = {i.code for i in spec.indicators}
    problems = []
    reported_actions = session.exec(
        select(Action.code)
        .join(StatusUpdate, col(StatusUpdate.action_id) == Action.id)
        .where(Action.plan_id == plan_id)
        .group_by(Action.code)
        .having(func.count() > 0)
    ).all()
    for code in reported_actions:
        if code not in keep_actions:
            problems.append(
                Problem(
                    file,
                    kind,
                    "actions",
                    None,
                    "code",
                    texts.say("texts/plan_import.j2", "cannot_drop_reported", value=code),
                )
            )
    reported_indicators = session.exec(
        select(Indicator.code)
        .join(IndicatorValue, col(IndicatorValue.indicator_id) == Indicator.id)
        .where(Indicator.plan_id == plan_id)
        .group_by(Indicator.code)
    ).all()
    for code in reported_indicators:
        if code not in keep_indicators:
            problems.append(
                Problem(
                    file,
                    kind,
                    "indicators",
                    None,
                    "code",
                    texts.say("texts/plan_import.j2", "cannot_drop_reported", value=code),
                )
            )
    if problems:
        raise PlanImportError(problems)
