"""Wiring the Telegram application: handlers, services, jobs."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy.engine import Engine
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllPrivateChats,
    LinkPreviewOptions,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackContext,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    Defaults,
    MessageHandler,
    filters,
)
from telegram.request import BaseRequest

from bot.context import (
    CONTEXT_TYPES,
    KumeContext,
    Services,
    in_session,
    services,
    services_of,
)
from bot.handlers import chats, commands, dialogs, help, invite, reminders, start
from bot.handlers.errors import on_error
from bot.handlers.report import rapor
from bot.mailer import MailSender
from bot.render import message
from bot.sender import OutboxSender
from bot.settings import BotSettings
from bot.telegram_http import telegram_requests
from bot.updates import PersonOrdered
from tracker import texts
from tracker.bulletins.send import send_due
from tracker.clock import Clock
from tracker.dialogs.service import expire_drafts
from tracker.notifications.due import run_due

logger = logging.getLogger(__name__)

DRAFT_SWEEP_EVERY = timedelta(minutes=10)
DEFAULTS = Defaults(
    parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)
)


def build_application(
    *,
    token: str,
    engine: Engine,
    clock: Clock,
    settings: BotSettings,
    base_url: str | None = None,
    base_file_url: str | None = None,
    request_timeout: float = 10.0,
    request: Callable[[], BaseRequest] | None = None,
) -> Application:
    """`request` makes the HTTP layer (one for calls, one for getUpdates); tests pass
    local_bot_api.InProcessRequest to run without sockets."""
    builder: ApplicationBuilder = Application.builder().token(token)
    if base_url:
        builder = builder.base_url(base_url)
        builder = builder.base_file_url(base_file_url or base_url.replace("/bot", "/file/bot"))
    if request is not None:
        builder = builder.request(request()).get_updates_request(request())
    else:
        # aiohttp rather than PTB's httpx: the bot is bound by its CPU (bot/telegram_http.py).
        calls, polling = telegram_requests(request_timeout)
        builder = builder.request(calls).get_updates_request(polling)
    builder = builder.post_init(_post_init).application_class(KumeApplication)
    # Different people's updates at once, each person's in order (bot/updates.py).
    builder = builder.concurrent_updates(PersonOrdered())
    # Every message kume sends is its templates' HTML, never with a link preview.
    builder = builder.defaults(DEFAULTS).context_types(CONTEXT_TYPES)
    app = builder.build()
    sender = OutboxSender(app.bot, engine, clock, settings.calendar, settings.sending)
    app.bot_data.services = Services(engine=engine, clock=clock, settings=settings, sender=sender)
    if settings.mail is not None:
        app.bot_data.services.mailer = MailSender(engine, clock, settings.mail)
    register_handlers(app)
    if app.job_queue is not None:
        app.job_queue.run_repeating(
            sweep_drafts, interval=DRAFT_SWEEP_EVERY, first=30, name="expire-drafts"
        )
        if settings.tick_seconds:
            app.job_queue.run_repeating(
                due_work, interval=settings.tick_seconds, first=5, name="due-work"
            )
    return app


class KumeApplication(Application):
    """PTB's application, with the outbox sender running exactly while it runs (polling,
    webhook, the simulator): it sends continuously rather than a batch per tick."""

    @property
    def sender(self) -> OutboxSender:
        return services_of(self).sender

    async def start(self) -> None:
        await super().start()
        self.sender.start()
        mailer = services_of(self).mailer
        if mailer is not None:
            mailer.start()

    async def stop(self) -> None:
        # First, while the bot can still talk to Telegram: the sends in flight finish and are
        # recorded, so a clean stop leaves nothing in doubt.
        await self.sender.stop()
        mailer = services_of(self).mailer
        if mailer is not None:
            await mailer.stop()
        await super().stop()

    async def shutdown(self) -> None:
        await super().shutdown()
        # The asyncio engine's connections belong to this loop: closed before it ends.
        async_engine = services_of(self).async_engine
        if async_engine is not None:
            await async_engine.dispose()


def register_handlers(app: Application) -> None:
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler("start", start.start, filters=private))
    app.add_handler(CommandHandler(["yardim", "help"], help.help_command, filters=private))
    # The commands a button may give too: typed or pressed, one table (commands.ROUTES).
    for name in commands.ROUTES:
        app.add_handler(CommandHandler(name, commands.typed(name), filters=private))
    app.add_handler(CommandHandler("davet", invite.invite, filters=private))
    app.add_handler(CommandHandler("kilit", reminders.kilit, filters=private))
    app.add_handler(CommandHandler("rapor", rapor, filters=private))
    # A cluster's group or channel: typed there (a channel's as a channel post) or privately.
    for name, linking in (("bagla", chats.bagla), ("ayir", chats.ayir)):
        app.add_handler(CommandHandler(name, linking))
        app.add_handler(MessageHandler(
            filters.UpdateType.CHANNEL_POST & filters.Regex(rf"^/{name}(@\w+)?(\s|$)"),
            linking))
    app.add_handler(ChatMemberHandler(chats.on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER))
    app.add_handler(MessageHandler(filters.COMMAND & private, commands.unknown))
    app.add_handler(CallbackQueryHandler(commands.on_press))
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
    await _set_profile(app.bot)


async def _set_profile(bot: Bot) -> None:
    """The description an empty chat shows before /start and the short one on the profile,
    from templates. Telegram limits how often they may change, so each is set only when it
    differs, and a refusal costs a warning, not the start."""
    profile = "texts/bot_profile.j2"
    try:
        description = texts.say(profile, "description")
        if (await bot.get_my_description()).description != description:
            await bot.set_my_description(description)
    except TelegramError as exc:
        logger.warning("could not set the bot's description: %s", exc)
    try:
        short = texts.say(profile, "short_description")
        if (await bot.get_my_short_description()).short_description != short:
            await bot.set_my_short_description(short)
    except TelegramError as exc:
        logger.warning("could not set the bot's short description: %s", exc)


async def due_work(context: CallbackContext[Any, Any, Any, Any]) -> None:
    """The scheduler's only job: decide what is due now; in_session wakes the senders of what
    it queued (they send continuously; the job does not wait for them). Any context of the
    application will do: the simulator and the tests call it (and `tick`) with one of their
    own."""
    svc = services(context)
    report = await in_session(
        context, lambda session: run_due(session, svc.clock.now(), svc.settings.calendar),
        heavy=True)
    # Scheduled bulletins: here rather than in run_due, since tracker.bulletins writes through
    # tracker.notifications (broadcasts) and the import goes one way.
    bulletins = await in_session(
        context, lambda session: send_due(session, svc.clock.now(), svc.settings.mail_links),
        heavy=True)
    if bulletins:
        logger.info("due work: %d scheduled bulletin(s) sent", len(bulletins))
    if report.total():
        logger.info("due work: %s", dict(report.enqueued))


async def tick(context: CallbackContext[Any, Any, Any, Any]) -> None:
    """What is due now, and wait until the sender has sent what may go now: the simulator
    and the tests move the clock and look at once."""
    await due_work(context)
    await services(context).sender.drain()


async def sweep_drafts(context: KumeContext) -> None:
    svc = context.services
    expired = await in_session(
        context, lambda session: expire_drafts(session, svc.clock.now(), svc.settings.draft_ttl),
        heavy=True,
    )
    for draft in expired:
        # A member's optional firm question just goes: no message about it days later.
        if draft.telegram_user_id is None or draft.kind == "firm":
            continue
        try:
            await context.bot.send_message(
                draft.telegram_user_id,
                message("draft_expired", kind=draft.kind),
            )
        except Exception:  # a blocked or deleted chat must not stop the sweep
            logger.warning("could not tell a person their draft expired", exc_info=True)


__all__ = ["build_application", "Update"]


async def start_polling_in_loop(app: Application) -> Application:
    """Start a built application inside the running event loop (simulator, tests), polling
    briskly; `run_polling` would take over the loop."""
    await app.initialize()
    if app.post_init is not None:  # as run_polling does
        await app.post_init(app)
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=1)
    return app


async def stop_in_loop(app: Application) -> None:
    if app.updater is not None and app.updater.running:
        await app.updater.stop()
    if app.running:
        await app.stop()
    await app.shutdown()
