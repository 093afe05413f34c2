"""The commands a button may give as well as a person: one table, one path for both.

`/durum E1.2.4` typed and a button carrying "c:durum #17" (bot.callbacks) reach the same
route with the same argument, checked the same way. A new dialog's command is one line here
(and its engine one line in tracker.dialogs.registry).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from sqlmodel import Session
from telegram import Update

from bot import callbacks
from bot.context import KumeContext, in_session
from bot.handlers import attendance, dialogs, events, members, reminders
from bot.handlers.common import registered, sender, unregistered
from bot.render import message
from bot.replies import Outcome, deliver

# A route gets what followed the command ("E1.2.4", "2014Q1 #17"), None if nothing did.
Route = Callable[[Update, KumeContext, str | None], Awaitable[None]]


def _dialog(command: str, kind: str) -> Route:
    async def route(
        update: Update, context: KumeContext, argument: str | None
    ) -> None:
        await dialogs.open_dialog(update, context, command, kind, argument)

    return route


async def _cancel(update: Update, context: KumeContext, _: str | None) -> None:
    await dialogs.cancel(update, context)


async def _snooze(update: Update, context: KumeContext, arg: str | None) -> None:
    await reminders.ertele(update, context, (arg or "").split())


async def _not_ours(update: Update, context: KumeContext, arg: str | None) -> None:
    await reminders.degil(update, context, (arg or "").split())


ROUTES: dict[str, Route] = {
    "durum": _dialog("durum", "status"),
    "gosterge": _dialog("gosterge", "figures"),
    "duyuru": _dialog("duyuru", "notice"),
    "iptal": _cancel,
    "ertele": _snooze,
    "degil": _not_ours,
    # Members: the consent notice's buttons, subscriptions and their data (KVKK).
    "uyelik": members.membership,
    "abone": members.abone,
    "dur": members.dur,
    "verilerim": members.verilerim,
    "sil": members.sil,
    "etkinlik": _dialog("etkinlik", "event"),
    "etkinlikler": events.etkinlikler,
    "etkinlikdegistir": _dialog("etkinlikdegistir", "event_change"),
    "etkinlikiptal": _dialog("etkinlikiptal", "event_cancel"),
    "etkinlikonay": events.etkinlikonay,
    "etkinlikret": _dialog("etkinlikret", "event_reject"),
    "katilim": events.katilim,
    "takvim": events.takvim,
    "yoklama": attendance.yoklama,
    "memnun": attendance.memnun,  # the day-after satisfaction buttons
    "bulten": _dialog("bulten", "bulletin"),
}


def typed(
    name: str,
) -> Callable[[Update, KumeContext], Coroutine[Any, Any, None]]:
    """The handler of `/name ...` typed (bot.app registers one per route)."""

    async def handler(update: Update, context: KumeContext) -> None:
        argument = " ".join(context.args or []).strip()
        await ROUTES[name](update, context, argument or None)

    return handler


async def on_press(update: Update, context: KumeContext) -> None:
    """Any button: a command it carries goes through ROUTES; anything else is a dialog's."""
    query = update.callback_query
    if query is None:
        return
    press = callbacks.parse(query.data)
    if not isinstance(press, callbacks.CommandPress):
        await dialogs.on_press(update, context, press)
    elif press.command in ROUTES:
        await ROUTES[press.command](update, context, press.argument)
    elif sender(update) is not None:
        await deliver(update, context, Outcome(notice=message("stale_button"), alert=True))


async def unknown(update: Update, context: KumeContext) -> None:
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
