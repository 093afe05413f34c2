"""`kume run-due` and `kume outbox`: the scheduler's work on demand, and what was sent."""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime

import click

from kume.cli import App, cli, echo, pass_app, say_error
from kume.config import ConfigError
from tracker import texts
from tracker.db import session_scope
from tracker.models import NotificationStatus
from tracker.quarters import ISTANBUL


def _instant(text: str | None, app: App) -> datetime:
    if text is None:
        from tracker.clock import Clock

        return Clock(app.config.clock.start).now()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise click.BadParameter(
            f"“{text}” bir tarih-saat değil; örnek: 2014-04-01T10:00"
        ) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=ISTANBUL)


async def _drain(app: App, now: datetime):  # type: ignore[no-untyped-def]
    from telegram import Bot

    from bot.connect import telegram_failures
    from bot.logs import quiet_http_logs
    from bot.sender import OutboxSender
    from bot.settings import BotSettings
    from tracker.clock import Clock

    quiet_http_logs()
    telegram = app.config.telegram
    assert telegram.token is not None
    base = telegram.base_url
    bot = Bot(telegram.token.get_secret_value(), base_url=base,
              base_file_url=telegram.base_file_url or base.replace("/bot", "/file/bot"))
    with telegram_failures(base):
        await bot.initialize()  # getMe: an unreachable Bot API or a refused token, said plainly
    try:
        sender = OutboxSender(bot, app.ready_engine, Clock(now), app.config.calendar.settings(),
                              BotSettings.from_config(app.config).sending)
        return await sender.drain()  # everything that may go now, however many rows
    finally:
        await bot.shutdown()


@cli.command("run-due")
@click.option(
    "--now", "now_text", help="Bu an için çalıştır (ISO 8601; saat dilimi yoksa İstanbul)."
)
@pass_app
def run_due_command(app: App, now_text: str | None) -> None:
    """O an için zamanı gelen bildirimleri bir kez hazırlar ve gönderir."""
    from tracker.notifications.due import run_due
    from tracker.notifications.sending import backlog

    now = _instant(now_text, app)
    with session_scope(app.ready_engine) as session:
        report = run_due(session, now, app.config.calendar.settings())
    token = app.config.telegram.token is not None
    sent = failure = None
    if token:
        from bot.connect import TelegramUnreachable

        try:
            sent = asyncio.run(_drain(app, now))
        except (TelegramUnreachable, ConfigError) as exc:  # ConfigError: a refused token
            failure = exc  # nothing was claimed: the rows stay pending for the next run
    with session_scope(app.ready_engine) as session:
        waiting = backlog(session, _instant(now_text, app), app.config.calendar.settings())
    echo("cli/run_due.j2", now=now, report=report, sent=sent, token=token, waiting=waiting)
    if sent is not None and sent.halted:
        failure = ConfigError(texts.say("cli/failures.j2", "token_refused",
                                        base_url=app.config.telegram.base_url))
    if failure is not None:
        say_error(texts.say("cli/failures.j2", "not_sent", failure=str(failure)))
        sys.exit(2 if isinstance(failure, ConfigError) else 1)


@cli.command("outbox")
@click.option("--status", type=click.Choice([s.value for s in NotificationStatus]),
              help="Yalnızca bu durumdakiler.")
@click.option("--limit", default=50, show_default=True)
@pass_app
def outbox_command(app: App, status: str | None, limit: int) -> None:
    """Gönderim kuyruğunu (son kayıtlar önce) listeler."""
    from tracker.notifications.outbox import list_outbox

    with session_scope(app.ready_engine) as session:
        rows = list_outbox(session, NotificationStatus(status) if status else None, limit)
        echo("cli/outbox.j2", rows=rows, status=status)
