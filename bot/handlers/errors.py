"""One error handler: nothing a person does may stop the bot, and the administrators hear of
what went wrong (tracker.notifications.incidents: short, at most once a window)."""

from __future__ import annotations

import contextlib
import logging

from telegram import Update
from telegram.error import BadRequest, Forbidden, NetworkError, TelegramError

from bot.connect import unreachable_line
from bot.context import KumeContext, in_session
from bot.fit import send_html
from bot.render import message
from tracker.notifications.incidents import report_fault

logger = logging.getLogger(__name__)


async def on_error(update: object, context: KumeContext) -> None:
    error = context.error
    # BadRequest is a NetworkError in python-telegram-bot, but it is a refused request (a bug
    # to log and apologise for), not an unreachable Telegram.
    if isinstance(error, NetworkError) and not isinstance(error, BadRequest):
        # While polling, PTB retries with growing pauses; each failure is this one line.
        bot = context.bot
        logger.warning("%s", unreachable_line(bot.base_url.removesuffix(bot.token), str(error)))
        return
    update_id = update.update_id if isinstance(update, Update) else None
    logger.error("update %s failed", update_id, exc_info=error)
    if isinstance(error, Forbidden):
        return  # the person blocked the bot: there is nobody to apologise to, nothing to fix
    if isinstance(update, Update) and update.effective_chat is not None:
        await _apologise(update, context)
    if error is not None:
        await _tell_admins(context, type(error).__name__, isinstance(update, Update))


async def _apologise(update: Update, context: KumeContext) -> None:
    assert update.effective_chat is not None
    if update.callback_query is not None:
        # Most often the handler answered the press before it failed; a second answer is
        # refused, and that must not keep the apology from being sent.
        with contextlib.suppress(TelegramError):
            await update.callback_query.answer()
    try:
        await send_html(context.bot, update.effective_chat.id, message("apology"))
    except TelegramError:
        logger.warning("could not apologise for update %s", update.update_id)


async def _tell_admins(context: KumeContext, kind: str, during_update: bool) -> None:
    svc = context.services
    try:  # in_session wakes the sender when a notice was queued
        await in_session(context, lambda session: report_fault(
            session, kind=kind, during_update=during_update, now=svc.clock.now()))
    except Exception:  # the database may be what failed: the log has the error already
        logger.warning("could not queue the administrators' notice of a %s", kind, exc_info=True)
