"""/start: registration through an invite's deep link, or a greeting."""

from __future__ import annotations

from sqlmodel import Session
from telegram import Update

from bot.context import KumeContext, in_session
from bot.handlers.attendance import checkin_outcome
from bot.handlers.common import menu_for, registered, sender, unregistered
from bot.handlers.members import consent_notice
from bot.render import message
from bot.replies import Outcome, deliver
from tracker import texts
from tracker.errors import DomainError
from tracker.events.checkin import is_checkin
from tracker.members import check_pending, consented, is_member_token, rejoin
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
        if token and is_member_token(session, token):
            return _member_link(session, token)
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
        organisation = (
            session.get(Organisation, person.organisation_id) if person.organisation_id else None
        )
        outcome = Outcome(commands=menu_for(session, person))
        return outcome.add(
            message(
                "welcome",
                person=person,
                organisation=organisation,
                rebound=False,
                commands=outcome.commands,
                returning=True,
                stopped=person.stopped_at is not None,
            )
        )

    def _member_link(session: Session, token: str) -> Outcome:
        """Consent first: the notice, and nothing stored; a member who accepted this version
        of the notice just follows the link's cluster too (and is back if they had stopped);
        one who accepted an older version reads the new one first."""
        assert who is not None
        now = svc.clock.now()
        try:
            person = registered(session, who)
            if consented(person) and person is not None and (
                person.consent_version == svc.settings.notice_version
            ):
                joined = rejoin(session, person, token, now)
                return Outcome(commands=menu_for(session, person)).add(
                    message("consent", name="rejoined", cluster=joined.cluster,
                            added=joined.added))
            cluster = check_pending(session, token, who.telegram_user_id, now)
        except DomainError as error:
            return Outcome().add(message("invite_refused", reason=texts.describe(error)))
        return consent_notice(cluster, token, svc.settings.notice_version)

    await deliver(update, context, await in_session(context, work))
