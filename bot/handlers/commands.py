"""Commands that open dialogs (/durum, /gosterge), typed or pressed on a button."""

from __future__ import annotations

from sqlmodel import Session
from telegram import Update
from telegram.ext import ContextTypes

from bot.context import in_session
from bot.handlers.common import registered, sender, unregistered
from bot.handlers.dialogs import cancel, start_dialog
from bot.render import message
from bot.replies import Outcome, deliver
from tracker.dialogs import engine


async def run_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, name: str, argument: str | None
) -> None:
    """One path for `/durum E1.2.4` typed and for a button that says the same."""
    who = sender(update)
    if who is None:
        return
    if name == "durum":

        def starter(session, ctx):  # type: ignore[no-untyped-def]
            return engine("status").start(session, ctx, named=argument)
    elif name == "gosterge":

        def starter(session, ctx):  # type: ignore[no-untyped-def]
            return engine("figures").start(session, ctx)
    elif name == "iptal":
        await cancel(update, context)
        return
    elif name in ("ertele", "degil"):
        from bot.handlers import reminders

        handler = reminders.ertele if name == "ertele" else reminders.degil
        await handler(update, context, (argument or "").split())
        return
    else:
        await deliver(update, context, Outcome(notice=message("stale_button"), alert=True))
        return
    work = start_dialog(context, who, name, starter)
    await deliver(update, context, await in_session(context, work))


async def durum(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    argument = " ".join(context.args).strip() if context.args else None
    await run_command(update, context, "durum", argument or None)


async def gosterge(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await run_command(update, context, "gosterge", None)


async def unknown(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A command kume does not know: say so; any dialog in progress stays as it is."""
    who = sender(update)
    if who is None:
        return
    text = update.effective_message.text if update.effective_message else ""

    def work(session: Session) -> Outcome:
        if registered(session, who) is None:  # a stranger learns how to register instead
            return unregistered()
        return Outcome().add(message("unknown_command", command=(text or "").split()[0][:40]))

    await deliver(update, context, await in_session(context, work))
