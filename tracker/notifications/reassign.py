"""A body says an action is not its own (`/degil`): the agency is told, once per quarter.

Who is responsible is the plan's to say, so nothing changes here: every agency person gets one
notice naming the action, the body and who said it, and fixes the plan (export, edit, import).
The key (action and body, quarter, recipient) keeps a repeated `/degil` from telling anyone
twice.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from tracker import texts
from tracker.models import Action, Organisation, Person
from tracker.notifications.due import AGENCY_ROLES, contacts
from tracker.notifications.outbox import enqueue
from tracker.quarters import Quarter


def report_not_ours(
    session: Session, *, person: Person, action: Action, quarter: Quarter, now: datetime
) -> None:
    """Queue the reassignment notice for every agency person (sent by the outbox)."""
    organisation = session.get(Organisation, person.organisation_id)
    assert organisation is not None  # only a body's people (not members) answer reminders
    text = texts.render("messages/notify.j2", name="reassign", action=action,
                        organisation=organisation, person=person, quarter=quarter)
    for agent in [p for people in contacts(session, AGENCY_ROLES).values() for p in people]:
        enqueue(session, kind="reassign", subject=f"{action.code}:{organisation.short}",
                period=str(quarter), person=agent, text=text, not_before=now, now=now)
