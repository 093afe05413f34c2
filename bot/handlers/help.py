"""/yardim: the commands of the person's role; a dialog in progress is kept and re-asked."""

from __future__ import annotations

from sqlmodel import Session
from telegram import Update

from bot.context import KumeContext, in_session
from bot.handlers.common import menu_for, registered, sender, unregistered
from bot.handlers.dialogs import dialog_context, show
from bot.render import message
from bot.replies import Outcome, deliver
from tracker.dialogs import service
from tracker.dialogs.base import Turn
from tracker.dialogs.registry import engine
from tracker.models import Organisation


async def help_command(update: Update, context: KumeContext) -> None:
    who = sender(update)
    if who is None:
        return

    def work(session: Session) -> Outcome:
        person = registered(session, who)
        if person is None:
            return unregistered()
        organisation = session.get(Organisation, person.organisation_id)
        commands = menu_for(session, person)
        outcome = Outcome(commands=commands)
        dialog = service.active_dialog(session, person)
        outcome.add(
            message(
                "help",
                person=person,
                organisation=organisation,
                commands=commands,
                in_dialog=dialog is not None,
            )
        )
        if dialog is not None:
            prompt = engine(dialog.kind).prompt(session, dialog, dialog_context(context, person))
            show(outcome, Turn(dialog, prompt))
        return outcome

    await deliver(update, context, await in_session(context, work))
