"""Wiring the Telegram application: handlers, services, jobs."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy.engine import Engine
from telegram import BotCommand, BotCommandScopeAllPrivateChats, Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.context import Services, in_session, services
from bot.handlers import commands, dialogs, help, invite, start
from bot.handlers.errors import on_error
from bot.render import message
from bot.settings import BotSettings
from tracker import texts
from tracker.clock import Clock
from tracker.dialogs.service import expire_drafts

logger = logging.getLogger(__name__)

DRAFT_SWEEP_EVERY = timedelta(minutes=10)


def build_application(
    *,
    token: str,
    engine: Engine,
    clock: Clock,
    settings: BotSettings,
    base_url: str | None = None,
    base_file_url: str | None = None,
    request_timeout: float = 10.0,
) -> Application:
    builder: ApplicationBuilder = Application.builder().token(token)
    if base_url:
        builder = builder.base_url(base_url)
        builder = builder.base_file_url(base_file_url or base_url.replace("/bot", "/file/bot"))
    builder = builder.read_timeout(request_timeout).write_timeout(request_timeout)
    builder = builder.post_init(_post_init)
    app = builder.build()
    app.bot_data["services"] = Services(engine=engine, clock=clock, settings=settings)
    register_handlers(app)
    if app.job_queue is not None:
        app.job_queue.run_repeating(
            sweep_drafts, interval=DRAFT_SWEEP_EVERY, first=30, name="expire-drafts"
        )
    return app


def register_handlers(app: Application) -> None:
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler("start", start.start, filters=private))
    app.add_handler(CommandHandler(["yardim", "help"], help.help_command, filters=private))
    app.add_handler(CommandHandler("iptal", dialogs.cancel, filters=private))
    app.add_handler(CommandHandler("durum", commands.durum, filters=private))
    app.add_handler(CommandHandler("gosterge", commands.gosterge, filters=private))
    app.add_handler(CommandHandler("davet", invite.invite, filters=private))
    app.add_handler(MessageHandler(filters.COMMAND & private, commands.unknown))
    app.add_handler(CallbackQueryHandler(dialogs.on_press))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND & private, dialogs.on_text))
    app.add_handler(
        MessageHandler((filters.Document.ALL | filters.PHOTO) & private, dialogs.on_file)
    )
    app.add_error_handler(on_error)


async def _post_init(app: Application) -> None:
    # Before anyone registers, a chat offers only help; each person's menu is set per chat.
    await app.bot.set_my_commands(
        [BotCommand("yardim", texts.say("texts/commands.j2", "description", name="yardim"))],
        scope=BotCommandScopeAllPrivateChats(),
    )


async def sweep_drafts(context: ContextTypes.DEFAULT_TYPE) -> None:
    svc = services(context)
    expired = await in_session(
        context, lambda session: expire_drafts(session, svc.clock.now(), svc.settings.draft_ttl)
    )
    for draft in expired:
        if draft.telegram_user_id is None:
            continue
        try:
            await context.bot.send_message(
                draft.telegram_user_id,
                message("draft_expired", kind=draft.kind),
                parse_mode="HTML",
            )
        except Exception:  # a blocked or deleted chat must not stop the sweep
            logger.warning("could not tell a person their draft expired", exc_info=True)


__all__ = ["build_application", "Update"]
