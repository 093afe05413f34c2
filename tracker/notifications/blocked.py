"""A person who blocked the bot: their messages cannot arrive any more.

Telegram answers 403 to every message for them. Their row is recorded as `blocked`, the
person becomes inactive (no prompt, reminder or notice is written for them any more) and,
for the people the plan relies on, the agency is told once a day, so that it can invite
someone else. A member who blocks the bot has simply left: nobody needs a message about it.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlmodel import Session

from tracker import texts
from tracker.cluster_chats import unlink
from tracker.models import Notification, NotificationStatus, Organisation, Person, Role
from tracker.notifications.due import AGENCY_ROLES, contacts
from tracker.notifications.outbox import enqueue, finish

logger = logging.getLogger(__name__)


def record_blocked(session: Session, notification_id: int, person_id: int, now: datetime,
                   error: str) -> None:
    finish(session, notification_id, NotificationStatus.BLOCKED, now, error=error)
    row = session.get(Notification, notification_id)
    if row is not None and row.chat_id < 0:
        # A cluster's group or channel removed the bot: the chat goes, not the person who
        # linked it (the row is theirs only on paper).
        unlink(session, row.chat_id)
        return
    person = session.get(Person, person_id)
    if person is None:
        return
    if person.active:
        logger.warning("person %s blocked the bot; marked inactive", person_id)
    person.active = False
    session.add(person)
    if person.role == Role.MEMBER:
        return
    organisation = session.get(Organisation, person.organisation_id)
    text = texts.render("messages/notify.j2", name="blocked_contact", person=person,
                        organisation=organisation)
    for agent in [p for people in contacts(session, AGENCY_ROLES).values() for p in people]:
        enqueue(session, kind="blocked", subject=str(person.id), period=now.date().isoformat(),
                person=agent, text=text, not_before=now, now=now)
