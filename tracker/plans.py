"""Reading the plan: which plan, its tree, one item, who is responsible."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from tracker.errors import NotFound
from tracker.models import (
    Action,
    ActionQuarter,
    ActionResponsible,
    Goal,
    Organisation,
    OrganisationMember,
    OrgKind,
    Plan,
    Priority,
)
from tracker.quarters import Quarter
from tracker.turkish import fold


def resolve_plan(session: Session, code: str | None = None) -> Plan:
    """The plan named by `code`, or the only plan there is."""
    plans = session.exec(select(Plan).order_by(col(Plan.id))).all()
    if not plans:
        raise NotFound("no_plan")
    if code is None:
        if len(plans) > 1:
            raise NotFound("plan_ambiguous", known=[p.code for p in plans])
        return plans[0]
    for plan in plans:
        if fold(plan.code) == fold(code):
            return plan
    raise NotFound("plan_not_found", code=code, known=[p.code for p in plans])


@dataclass
class OrgRef:
    short: str
    name: str
    kind: OrgKind
    note: str | None
    members: list[str] = field(default_factory=list)


@dataclass
class ActionView:
    code: str
    title: str
    responsible: list[OrgRef]
    quarters: list[Quarter]
    schedule_is_default: bool
    goal_code: str = ""
    goal_title: str = ""
    priority_code: str = ""
    priority_title: str = ""

    @property
    def has_responsible(self) -> bool:
        return bool(self.responsible)


@dataclass
class GoalView:
    code: str
    title: str
    actions: list[ActionView] = field(default_factory=list)


@dataclass
class PriorityView:
    code: str
    title: str
    goals: list[GoalView] = field(default_factory=list)


@dataclass
class PlanTree:
    plan: Plan
    priorities: list[PriorityView]

    @property
    def actions(self) -> list[ActionView]:
        return [a for p in self.priorities for g in p.goals for a in g.actions]

    @property
    def goals(self) -> list[GoalView]:
        return [g for p in self.priorities for g in p.goals]


def plan_tree(session: Session, plan: Plan) -> PlanTree:
    """The whole plan in a fixed number of queries, whatever its size."""
    orgs = {o.id: o for o in session.exec(select(Organisation))}
    members: dict[int, list[str]] = defaultdict(list)
    for m in session.exec(select(OrganisationMember).order_by(col(OrganisationMember.position))):
        members[m.group_id].append(orgs[m.member_id].short)
    priorities = session.exec(
        select(Priority).where(Priority.plan_id == plan.id).order_by(col(Priority.position))
    ).all()
    goals = session.exec(
        select(Goal).where(Goal.plan_id == plan.id).order_by(col(Goal.position))
    ).all()
    actions = session.exec(
        select(Action).where(Action.plan_id == plan.id).order_by(col(Action.position))
    ).all()
    ids = [a.id for a in actions]
    responsible: dict[int, list[OrgRef]] = defaultdict(list)
    for r in session.exec(
        select(ActionResponsible)
        .where(col(ActionResponsible.action_id).in_(ids))
        .order_by(col(ActionResponsible.position))
    ):
        org = orgs[r.organisation_id]
        responsible[r.action_id].append(
            OrgRef(org.short, org.name, org.kind, org.note, members.get(org.id or 0, []))
        )
    quarters: dict[int, list[Quarter]] = defaultdict(list)
    for q in session.exec(select(ActionQuarter).where(col(ActionQuarter.action_id).in_(ids))):
        quarters[q.action_id].append(Quarter.parse(q.quarter))

    priority_views = {p.id: PriorityView(p.code, p.title) for p in priorities}
    goal_views: dict[int | None, GoalView] = {}
    for g in goals:
        goal_views[g.id] = GoalView(g.code, g.title)
        priority_views[g.priority_id].goals.append(goal_views[g.id])
    goal_parent = {g.id: g for g in goals}
    priority_of = {p.id: p for p in priorities}
    for a in actions:
        goal = goal_parent[a.goal_id]
        priority = priority_of[goal.priority_id]
        goal_views[a.goal_id].actions.append(
            ActionView(
                a.code,
                a.title,
                responsible.get(a.id or 0, []),
                sorted(quarters.get(a.id or 0, [])),
                a.schedule_is_default,
                goal.code,
                goal.title,
                priority.code,
                priority.title,
            )
        )
    return PlanTree(plan, list(priority_views.values()))


def find_item(tree: PlanTree, code: str) -> PriorityView | GoalView | ActionView:
    wanted = fold(code.replace(" ", ""))
    for priority in tree.priorities:
        if fold(priority.code) == wanted:
            return priority
        for goal in priority.goals:
            if fold(goal.code) == wanted:
                return goal
            for action in goal.actions:
                if fold(action.code) == wanted:
                    return action
    raise NotFound("item_not_found", code=code, plan=tree.plan.code)
