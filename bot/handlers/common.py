"""Pieces every handler uses: who is writing, and one refusal for what they may not do."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlmodel import Session
from telegram import Update

from bot.context import KumeContext, in_session
from bot.render import message
from bot.replies import Outcome, deliver
from tracker import texts
from tracker.access import commands_for, require
from tracker.errors import DomainError
from tracker.models import Organisation, Person
from tracker.people import person_by_telegram


@dataclass(frozen=True)
class Sender:
    telegram_user_id: int
    display_name: str
    update_id: int


def sender(update: Update) -> Sender | None:
    user = update.effective_user
    if user is None or user.is_bot:
        return None
    return Sender(user.id, user.full_name or str(user.id), update.update_id)


def registered(session: Session, who: Sender) -> Person | None:
    person = person_by_telegram(session, who.telegram_user_id)
    return person if person is not None and person.active else None


def unregistered(outcome: Outcome | None = None) -> Outcome:
    return (outcome or Outcome()).add(message("unregistered"))


def refusal(error: DomainError) -> Outcome:
    reason = texts.describe(error)
    return Outcome(notice=reason, alert=True).add(message("refusal", reason=reason))


def menu_for(session: Session, person: Person) -> list[str]:
    organisation = session.get(Organisation, person.organisation_id)
    return commands_for(person, organisation.kind if organisation else None)


async def for_person(
    update: Update,
    context: KumeContext,
    act: Callable[[Session, Person], Outcome],
    command: str | None = None,
) -> None:
    """The shape of most handlers: who writes, are they registered (and, for `command`,
    allowed), then one piece of work in one transaction, and its outcome delivered. A domain
    error becomes a polite refusal."""
    who = sender(update)
    if who is None:
        return

    def work(session: Session) -> Outcome:
        person = registered(session, who)
        if person is None:
            return unregistered()
        try:
            if command is not None:
                require(person, command)
            return act(session, person)
        except DomainError as error:
            return refusal(error)

    await deliver(update, context, await in_session(context, work))
