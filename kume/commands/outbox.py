"""`kume run-due` and `kume outbox`: the scheduler's work on demand, and what was sent."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import TYPE_CHECKING

import click

from kume.app import App, echo, help_text, instant_or_now, pass_app, say_error
from kume.errors import ConfigError
from tracker import texts
from tracker.clock import Clock

if TYPE_CHECKING:
    from bot.sender import SendReport

# tracker.models.NotificationStatus, which loads SQLModel; a test keeps the two equal.
NOTIFICATION_STATUSES = (
    "pending", "sending", "sent", "failed", "blocked", "skipped", "unknown"
)


async def _drain(app: App, now: datetime) -> SendReport:
    # deferred: Telegram's library, needed only when a token is configured
    from telegram import Bot

    from bot.connect import telegram_failures
    from bot.logs import quiet_http_logs
    from bot.sender import OutboxSender
    from bot.settings import BotSettings
    from bot.telegram_http import telegram_requests

    quiet_http_logs()
    telegram = app.config.telegram
    assert telegram.token is not None
    base = telegram.base_url
    calls, polling = telegram_requests()
    bot = Bot(telegram.token.get_secret_value(), base_url=base,
              base_file_url=telegram.base_file_url or base.replace("/bot", "/file/bot"),
              request=calls, get_updates_request=polling)
    try:
        with telegram_failures(base):
            await bot.initialize()  # getMe: an unreachable Bot API or a refused token, plainly
        sender = OutboxSender(bot, app.ready_engine, Clock(now), app.config.calendar.settings(),
                              BotSettings.from_config(app.config).sending)
        return await sender.drain()  # everything that may go now, however many rows
    finally:
        await bot.shutdown()


@click.command("run-due", help=help_text("run_due"))
@click.option("--now", "now_text", help=help_text("run_due_now"))
@pass_app
def run_due_command(app: App, now_text: str | None) -> None:
    # deferred: keeps kume --help under 0.3 s
    from tracker.bulletins.send import MailLinks, send_due
    from tracker.notifications.due import run_due
    from tracker.notifications.sending import backlog

    now = instant_or_now(now_text, app)
    web = app.config.web
    links = MailLinks(web.base_url, web.secret.get_secret_value() if web.secret else None)
    with app.session() as session:
        report = run_due(session, now, app.config.calendar.settings())
        send_due(session, now, links)  # scheduled bulletins whose time has come
    token = app.config.telegram.token is not None
    sent = failure = None
    if token:
        # deferred: Telegram's library (and asyncio, 15 ms), needed only with a token
        import asyncio

        from bot.connect import TelegramUnreachable

        try:
            sent = asyncio.run(_drain(app, now))
        except (TelegramUnreachable, ConfigError) as exc:  # ConfigError: a refused token
            failure = exc  # nothing was claimed: the rows stay pending for the next run
    with app.session() as session:
        waiting = backlog(session, now, app.config.calendar.settings())
    echo("cli/run_due.j2", now=now, report=report, sent=sent, token=token, waiting=waiting)
    if sent is not None and sent.halted:
        failure = ConfigError(texts.say("cli/failures.j2", "token_refused",
                                        base_url=app.config.telegram.base_url))
    if failure is not None:
        say_error(texts.say("cli/failures.j2", "not_sent", failure=str(failure)))
        sys.exit(2 if isinstance(failure, ConfigError) else 1)


@click.command("outbox", help=help_text("outbox"))
@click.option("--status", type=click.Choice(NOTIFICATION_STATUSES),
              help=help_text("outbox_status"))
@click.option("--limit", default=50, show_default=True)
@pass_app
def outbox_command(app: App, status: str | None, limit: int) -> None:
    # deferred: keeps kume --help under 0.3 s
    from tracker.models import NotificationStatus
    from tracker.notifications.outbox import list_outbox

    with app.session() as session:
        rows = list_outbox(session, NotificationStatus(status) if status else None, limit)
        echo("cli/outbox.j2", rows=rows, status=status)
