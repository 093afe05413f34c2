"""/davet <kuruluş> <rol> [küme]: an admin creates an invitation link in the chat."""

from __future__ import annotations

from sqlmodel import Session
from telegram import Update

from bot.context import KumeContext, in_session
from bot.handlers.common import refusal, registered, sender, unregistered
from bot.render import message
from bot.replies import Outcome, deliver
from tracker.access import require
from tracker.errors import DomainError
from tracker.models import Role
from tracker.people import create_invite, parse_role
from tracker.texts import describe


def parse_invite_args(words: list[str]) -> tuple[str, Role, str | None]:
    """Organisation names may hold spaces: the role is the first word that is a role."""
    for index, word in enumerate(words):
        try:
            role = parse_role(word)
        except DomainError:
            continue
        organisation = " ".join(words[:index]).strip()
        rest = words[index + 1 :]
        if organisation and len(rest) <= 1:
            return organisation, role, rest[0] if rest else None
        break
    raise DomainError("invite_usage")


async def invite(update: Update, context: KumeContext) -> None:
    who = sender(update)
    if who is None:
        return
    svc = context.services
    words = list(context.args or [])

    def work(session: Session) -> Outcome:
        person = registered(session, who)
        if person is None:
            return unregistered()
        try:
            require(person, "davet")
            if not words:
                return Outcome().add(message("invite_usage"))
            organisation, role, cluster = parse_invite_args(words)
            created = create_invite(
                session,
                organisation=organisation,
                role=role,
                cluster=cluster,
                now=svc.clock.now(),
                created_by=person,
            )
        except DomainError as error:
            if error.code == "invite_usage":
                return Outcome().add(message("invite_usage", error=describe(error)))
            return refusal(error)
        return Outcome().add(
            message("invite_created", created=created, link=created.link(svc.settings.username))
        )

    await deliver(update, context, await in_session(context, work))
