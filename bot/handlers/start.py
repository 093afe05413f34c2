"""/start: registration through an invite's deep link, or a greeting."""

from __future__ import annotations

from sqlmodel import Session
from telegram import Update

from bot.context import KumeContext, in_session
from bot.handlers.attendance import checkin_outcome
from bot.handlers.common import menu_for, registered, sender, unregistered
from bot.render import message
from bot.replies import Outcome, deliver
from tracker import texts
from tracker.errors import DomainError
from tracker.events.checkin import is_checkin
from tracker.models import Organisation
from tracker.people import ensure_admin, redeem_invite


async def start(update: Update, context: KumeContext) -> None:
    who = sender(update)
    if who is None:
        return
    token = context.args[0] if context.args else None
    svc = context.services

    def work(session: Session) -> Outcome:
        if token and is_checkin(token):  # a check-in QR at an event's door
            return checkin_outcome(session, who, token, svc.clock.now())
        if token:
            try:
                registration = redeem_invite(
                    session,
                    token=token,
                    telegram_user_id=who.telegram_user_id,
                    display_name=who.display_name,
                    now=svc.clock.now(),
                )
            except DomainError as error:
                return Outcome().add(message("invite_refused", reason=texts.describe(error)))
            outcome = Outcome(commands=menu_for(session, registration.person))
            return outcome.add(
                message(
                    "welcome",
                    person=registration.person,
                    organisation=registration.organisation,
                    rebound=registration.rebound,
                    commands=outcome.commands,
                )
            )
        person = registered(session, who)
        if person is None and who.telegram_user_id in svc.settings.admins:
            person = ensure_admin(
                session, telegram_user_id=who.telegram_user_id, display_name=who.display_name
            )
        if person is None:
            return unregistered(Outcome(commands=[]))
        organisation = session.get(Organisation, person.organisation_id)
        outcome = Outcome(commands=menu_for(session, person))
        return outcome.add(
            message(
                "welcome",
                person=person,
                organisation=organisation,
                rebound=False,
                commands=outcome.commands,
                returning=True,
            )
        )

    await deliver(update, context, await in_session(context, work))
