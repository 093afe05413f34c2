"""What a handler sends back, prepared inside the database transaction."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

from telegram import BotCommand, BotCommandScopeChat, InlineKeyboardMarkup, Update
from telegram.error import BadRequest

from bot.context import KumeContext
from bot.fit import fit_notice, send_html
from tracker import texts


@dataclass
class Reply:
    text: str
    markup: InlineKeyboardMarkup | None = None


@dataclass
class Outcome:
    replies: list[Reply] = field(default_factory=list)
    # Set the chat's command menu to these (the person's role changed or was confirmed).
    commands: list[str] | None = None
    # Shown as a small notice on the pressed button (callback queries only).
    notice: str | None = None
    alert: bool = False

    def add(self, text: str, markup: InlineKeyboardMarkup | None = None) -> Outcome:
        self.replies.append(Reply(text, markup))
        return self


async def deliver(update: Update, context: KumeContext, outcome: Outcome) -> None:
    chat = update.effective_chat
    if update.callback_query is not None:
        # A query answered already (a duplicate update) or too old (pressed while the bot was
        # down) cannot be answered; what the press did must still be shown.
        with contextlib.suppress(BadRequest):
            await update.callback_query.answer(
                fit_notice(outcome.notice), show_alert=outcome.alert
            )
        if outcome.replies:
            # The question is answered: its buttons go, so they cannot be pressed twice.
            with contextlib.suppress(BadRequest):
                await update.callback_query.edit_message_reply_markup(None)
    if chat is None:
        return
    if outcome.commands is not None:
        await context.bot.set_my_commands(
            [
                BotCommand(name, texts.say("texts/commands.j2", "description", name=name))
                for name in outcome.commands
            ],
            scope=BotCommandScopeChat(chat.id),
        )
    for reply in outcome.replies:
        await send_html(context.bot, chat.id, reply.text, reply.markup)
