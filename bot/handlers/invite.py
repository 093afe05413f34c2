"""/davet <kuruluş> <rol> [küme]: an admin creates an invitation link in the chat;
/davet üye <küme>: admins, agency staff and secretaries make a cluster's member link (with its
QR code for posters and slides)."""

from __future__ import annotations

from sqlmodel import Session
from telegram import Update

from bot.context import KumeContext, in_session
from bot.handlers.common import refusal, registered, sender, unregistered
from bot.render import message
from bot.replies import Attachment, Outcome, deliver
from tracker.access import may_invite, require
from tracker.errors import DomainError, Forbidden
from tracker.models import Role
from tracker.people import create_invite, parse_role
from tracker.qr import qr_png
from tracker.texts import describe

DEFAULT_DAYS = 14
MEMBER_LINK_DAYS = 90


def parse_invite_args(words: list[str]) -> tuple[str | None, Role, str | None]:
    """Organisation names may hold spaces: the role is the first word that is a role. A
    member invite may name no organisation: `üye <küme>`."""
    for index, word in enumerate(words):
        try:
            role = parse_role(word)
        except DomainError:
            continue
        organisation = " ".join(words[:index]).strip()
        rest = words[index + 1 :]
        if not organisation and role == Role.MEMBER and len(rest) <= 1:
            return None, role, rest[0] if rest else None
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
            admin = person.role == Role.ADMIN
            if not words:
                return Outcome().add(message("invite_usage", admin=admin))
            organisation, role, cluster = parse_invite_args(words)
            if not may_invite(person, role):
                raise Forbidden("invite_members_only")
            created = create_invite(
                session,
                organisation=organisation,
                role=role,
                cluster=cluster,
                now=svc.clock.now(),
                created_by=person,
                # A member link goes on posters and slides: many people, for a season.
                multi=role == Role.MEMBER,
                days=MEMBER_LINK_DAYS if role == Role.MEMBER else DEFAULT_DAYS,
            )
        except DomainError as error:
            if error.code == "invite_usage":
                return Outcome().add(
                    message("invite_usage", error=describe(error), admin=person.role == Role.ADMIN)
                )
            return refusal(error)
        link = created.link(svc.settings.username)
        outcome = Outcome().add(message("invite_created", created=created, link=link))
        if created.invite.role == Role.MEMBER:
            outcome.files.append(Attachment(qr_png(link), "kume-davet.png", photo=True,
                                            caption=message("invite_qr", created=created)))
        return outcome

    await deliver(update, context, await in_session(context, work))
