"""The last guard before kume's text goes to Telegram: never too long, never refused for it.

Templates shorten what they quote (the `shorten` filter), so a message seldom comes near
Telegram's 4,096 characters; a long list can still pass it (a prompt for a body with many
actions, an escalation naming many bodies, a report summary). Such a message goes out as
several, split between lines; a single line longer than a message is broken at a space (or,
without one, anywhere between characters), never inside a tag or an entity, and a tag open at a
break is closed there and opened again in the next part. Nothing is dropped.

The measuring and splitting live in tracker/message_fit.py, shared with the bulletins (split
at their sections); this module is its Telegram side.
"""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardMarkup, Message
from telegram.constants import CallbackQueryLimit
from telegram.ext import ExtBot

from tracker.message_fit import MAX_TEXT, fit_message, size
from tracker.turkish import shorten

__all__ = ["MAX_NOTICE", "MAX_TEXT", "fit_message", "fit_notice", "send_html", "size"]

MAX_NOTICE = int(CallbackQueryLimit.ANSWER_CALLBACK_QUERY_TEXT_LENGTH)  # 200


def fit_notice(text: str | None) -> str | None:
    """A button press's notice (plain text) within Telegram's 200 characters."""
    return None if text is None else shorten(text, MAX_NOTICE)


async def send_html(
    bot: ExtBot[Any], chat_id: int, text: str, markup: InlineKeyboardMarkup | None = None
) -> Message | None:
    """Send kume's HTML as one message or, past Telegram's limit, several in order with the
    buttons on the last; returns the last message sent. The application's bot sends HTML
    without link previews by default (bot.app.DEFAULTS)."""
    sent = None
    parts = fit_message(text)
    for index, part in enumerate(parts):
        sent = await bot.send_message(
            chat_id,
            part,
            reply_markup=markup if index == len(parts) - 1 else None,
        )
    return sent
