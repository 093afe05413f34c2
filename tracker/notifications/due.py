"""What is due at an instant: quarterly prompts, reminders, escalations, catch-up summaries.

This module only decides and writes outbox rows; sending is someone else's job. Running it
twice for the same instant, or for two instants a minute apart, writes nothing twice.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from tracker import texts
from tracker.calendar import CalendarSettings, at_send_time, next_send_window, schedule
from tracker.models import (
    Action,
    ActionQuarter,
    ActionResponsible,
    Cluster,
    DueEvent,
    Indicator,
    IndicatorValue,
    Organisation,
    OrganisationMember,
    OrgKind,
    Person,
    Plan,
    Role,
    StatusUpdate,
)
from tracker.notifications.event_due import event_row_needed, event_work
from tracker.notifications.outbox import enqueue
from tracker.notifications.rules import EVENT_REMINDER, EVENT_SATISFACTION
from tracker.quarters import Quarter
from tracker.rows import id_of
from tracker.status_updates import action_ref

REPORTING_ROLES = (Role.REPORTER, Role.AGENCY, Role.SECRETARY)
AGENCY_ROLES = (Role.AGENCY, Role.ADMIN)
T = "messages/notify.j2"
# Every action the message lists gets its button; Telegram allows 100 buttons on a message
# and the figures, snooze and "not ours" rows need three.
MAX_ACTION_BUTTONS = 97


@dataclass
class OrgDuties:
    organisation: Organisation
    actions: list[Action] = field(default_factory=list)
    open_actions: list[Action] = field(default_factory=list)
    cluster: Cluster | None = None
    indicators: int = 0  # level-1 indicators due from this cluster organisation
    figures_entered: bool = False

    @property
    def has_open_items(self) -> bool:
        return bool(self.open_actions) or (self.indicators > 0 and not self.figures_entered)


def duties(session: Session, quarter: Quarter) -> dict[int, OrgDuties]:
    """Every organisation's actions active in `quarter` and what is still unanswered."""
    orgs = {o.id: o for o in session.exec(select(Organisation))}
    members: dict[int, list[int]] = defaultdict(list)
    for m in session.exec(select(OrganisationMember)):
        members[m.group_id].append(m.member_id)
    active = session.exec(
        select(Action, ActionResponsible.organisation_id)
        .join(ActionQuarter, col(ActionQuarter.action_id) == Action.id)
        .join(ActionResponsible, col(ActionResponsible.action_id) == Action.id)
        .where(ActionQuarter.quarter == str(quarter))
        .order_by(col(Action.plan_id), col(Action.position))).all()
    answered = {(u.action_id, u.organisation_id) for u in session.exec(
        select(StatusUpdate).where(StatusUpdate.quarter == str(quarter)))}
    result: dict[int, OrgDuties] = {}
    for action, body_id in active:
        body = orgs[body_id]
        bodies = members[body_id] if body.kind == OrgKind.GROUP else [body_id]
        for org_id in bodies:
            duty = result.setdefault(org_id, OrgDuties(orgs[org_id]))
            if action not in duty.actions:
                duty.actions.append(action)
                if (action.id, org_id) not in answered:
                    duty.open_actions.append(action)
    plans = [p for p in session.exec(select(Plan))
             if Quarter.parse(p.start) <= quarter <= Quarter.parse(p.end)]
    level_one = len(session.exec(select(Indicator.id).where(
        col(Indicator.plan_id).in_([p.id for p in plans]), Indicator.level == 1)).all())
    entered = {v.cluster_id for v in session.exec(
        select(IndicatorValue).where(IndicatorValue.period == str(quarter)))}
    clusters = {c.id: c for c in session.exec(select(Cluster))}
    for org in orgs.values():
        if org.kind == OrgKind.CLUSTER_MANAGEMENT and org.cluster_id and level_one:
            duty = result.setdefault(id_of(org), OrgDuties(org))
            duty.cluster = clusters.get(org.cluster_id)
            duty.indicators = level_one
            duty.figures_entered = org.cluster_id in entered
    return result


def unassigned_actions(session: Session, quarter: Quarter) -> list[Action]:
    with_body = select(ActionResponsible.action_id)
    return list(session.exec(
        select(Action).join(ActionQuarter, col(ActionQuarter.action_id) == Action.id)
        .where(ActionQuarter.quarter == str(quarter), col(Action.id).not_in(with_body))
        .order_by(col(Action.plan_id), col(Action.position))).all())


def contacts(session: Session, roles: tuple[Role, ...]) -> dict[int, list[Person]]:
    people: dict[int, list[Person]] = defaultdict(list)
    for person in session.exec(select(Person).where(
            col(Person.active).is_(True), col(Person.telegram_user_id).is_not(None),
            col(Person.role).in_([str(r) for r in roles])).order_by(col(Person.id))):
        if person.organisation_id is not None:  # only members have none, and they report not
            people[person.organisation_id].append(person)
    return people


@dataclass
class DueReport:
    enqueued: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    missed: int = 0

    def total(self) -> int:
        return sum(self.enqueued.values())


def _buttons_for(duty: OrgDuties, reminder: bool, quarter: Quarter) -> list[list[tuple[str, str]]]:
    b = "texts/buttons.j2"
    actions = duty.open_actions if reminder else duty.actions
    rows = [[(texts.say(b, "answer_action", code=a.code), f"/durum {action_ref(a)}")]
            for a in actions[:MAX_ACTION_BUTTONS]]
    if duty.indicators and not duty.figures_entered:
        rows.append([(texts.say(b, "enter_figures"), "/gosterge")])
    if reminder:
        rows.append([(texts.say(b, "snooze"), f"/ertele {quarter}")])
        if duty.open_actions:
            rows.append([(texts.say(b, "not_ours"), f"/degil {quarter}")])
    return rows


def run_due(session: Session, now: datetime, settings: CalendarSettings) -> DueReport:
    """Write every notification due at `now` into the outbox (idempotent)."""
    report = DueReport()
    _event_work(session, now, settings, report)
    quarter = Quarter.of(now).previous()
    plan = schedule(quarter, settings)
    if now >= plan.locks or now < plan.opens:
        return report
    grace = timedelta(days=settings.grace_days)
    org_duties = duties(session, quarter)
    if not org_duties:
        return report
    reporters = contacts(session, REPORTING_ROLES)
    send_at = next_send_window(now, settings)

    events: list[tuple[str, datetime]] = [("prompt", plan.opens)]
    events += [(f"reminder{i + 1}", at) for i, at in enumerate(plan.reminders)]
    handled = _handled(session, quarter)
    waiting = [(kind, at) for kind, at in events if at <= now and kind not in handled]
    fresh = [(kind, at) for kind, at in waiting if now - at <= grace]
    stale = [(kind, at) for kind, at in waiting if now - at > grace]
    # After downtime only the latest missed send goes out; the older ones are summarised.
    if stale and not fresh:
        fresh = [stale.pop()]
    for kind, _at in fresh:
        reminder = kind != "prompt"
        for org_id, duty in org_duties.items():
            if reminder and not duty.has_open_items:
                continue
            for person in reporters.get(org_id, []):
                text = texts.render(T, name="reminder" if reminder else "prompt", duty=duty,
                                    quarter=quarter, due=plan.due, person=person)
                if enqueue(session, kind=kind, subject=duty.organisation.short,
                           period=str(quarter), person=person, text=text,
                           buttons=_buttons_for(duty, reminder, quarter),
                           not_before=send_at, now=now):
                    report.enqueued[kind] += 1
        _mark(session, kind, quarter, now, late=False)
    for kind, _at in stale:
        _mark(session, kind, quarter, now, late=True)
    report.missed = len(stale)

    agency = [p for people in contacts(session, AGENCY_ROLES).values() for p in people]
    if plan.escalation <= now and "escalation" not in handled:
        silent = [d for d in org_duties.values() if d.has_open_items]
        nobody = [d for d in silent if not reporters.get(d.organisation.id or 0)]
        unassigned = unassigned_actions(session, quarter)
        for person in agency:
            text = texts.render(T, name="escalation", quarter=quarter, due=plan.due,
                                silent=silent, nobody=nobody, unassigned=unassigned)
            if enqueue(session, kind="escalation", subject="all", period=str(quarter),
                       person=person, text=text, not_before=send_at, now=now):
                report.enqueued["escalation"] += 1
        _mark(session, "escalation", quarter, now, late=False)
    if stale:
        for person in agency:
            text = texts.render(T, name="missed", quarter=quarter, count=len(stale),
                                kinds=[k for k, _ in stale])
            if enqueue(session, kind="missed", subject=now.date().isoformat(),
                       period=str(quarter), person=person, text=text, not_before=send_at,
                       now=now):
                report.enqueued["missed"] += 1
    return report


def _event_work(session: Session, now: datetime, settings: CalendarSettings,
                report: DueReport) -> None:
    """Events follow their own dates, not the reporting quarter's."""
    for kind, written in event_work(session, now, settings).items():
        if written:
            report.enqueued[kind] += written


def _handled(session: Session, quarter: Quarter) -> set[str]:
    return set(session.exec(select(DueEvent.kind).where(DueEvent.period == str(quarter))).all())


def _mark(session: Session, kind: str, quarter: Quarter, now: datetime, late: bool) -> None:
    try:
        with session.begin_nested():
            session.add(DueEvent(kind=kind, period=str(quarter), handled_at=now, late=late))
            session.flush()
    except IntegrityError:
        pass  # another run handled it a moment ago


def still_needed(session: Session, kind: str, subject: str, period: str) -> bool:
    """A reminder whose organisation has answered everything meanwhile is not sent."""
    if kind in (EVENT_REMINDER, EVENT_SATISFACTION):
        return event_row_needed(session, kind, subject, period)
    if not (kind.startswith("reminder") or kind == "snooze"):
        return True
    org = session.exec(select(Organisation).where(Organisation.short == subject)).first()
    if org is None:
        return False
    duty = duties(session, Quarter.parse(period.split("/")[0])).get(org.id or 0)
    return duty is not None and duty.has_open_items


def snooze(session: Session, person: Person, quarter: Quarter, now: datetime,
           settings: CalendarSettings) -> datetime | None:
    """"Yarın hatırlat": one more reminder on the next working day, if still needed."""
    if person.organisation_id is None:  # a member: never reminded, nothing to snooze
        return None
    org = session.get(Organisation, person.organisation_id)
    duty = duties(session, quarter).get(person.organisation_id)
    if org is None or duty is None or not duty.has_open_items:
        return None
    when = at_send_time((now + timedelta(days=1)).date(), settings)
    text = texts.render(T, name="reminder", duty=duty, quarter=quarter,
                        due=schedule(quarter, settings).due, person=person)
    enqueue(session, kind="snooze", subject=org.short, period=f"{quarter}/{when.date()}",
            person=person, text=text, buttons=_buttons_for(duty, True, quarter),
            not_before=when, now=now)
    return when
