"""One error handler: nothing a person does may stop the bot."""

from __future__ import annotations

import contextlib
import logging

from telegram import Update
from telegram.error import BadRequest, Forbidden, NetworkError, TelegramError
from telegram.ext import ContextTypes

from bot.connect import unreachable_line
from bot.fit import send_html
from bot.render import message

logger = logging.getLogger(__name__)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
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
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    if isinstance(error, Forbidden):
        return  # the person blocked the bot: there is nobody to apologise to
    if update.callback_query is not None:
        # Most often the handler answered the press before it failed; a second answer is
        # refused, and that must not keep the apology from being sent.
        with contextlib.suppress(TelegramError):
            await update.callback_query.answer()
    try:
        await send_html(context.bot, update.effective_chat.id, message("apology"))
    except TelegramError:
        logger.warning("could not apologise for update %s", update_id)
