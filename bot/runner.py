"""Running the bot for real: long polling or webhook, until stopped."""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import urlsplit

from telegram import Update

from bot import rendering
from bot.app import build_application
from bot.connect import connect
from bot.logs import quiet_http_logs
from bot.settings import BotSettings
from kume.config import Config
from tracker.clock import Clock
from tracker.db import create_db_engine
from tracker.schema import require_current_schema

logger = logging.getLogger(__name__)


def run_bot(config: Config) -> None:
    """Blocks until interrupted (Ctrl+C, SIGTERM)."""
    if config.telegram.token is None:
        raise ValueError("run_bot needs a token")
    quiet_http_logs()
    engine = create_db_engine(config.database.url)
    require_current_schema(engine)
    app = build_application(
        token=config.telegram.token.get_secret_value(),
        engine=engine,
        clock=Clock(config.clock.start),
        settings=BotSettings.from_config(config),
        base_url=config.telegram.base_url,
        base_file_url=config.telegram.base_file_url,
    )
    logger.info("bot starting (%s mode)", config.telegram.mode)
    # /rapor's worker warms up while the bot connects.
    rendering.start(engine.url.render_as_string(hide_password=False))
    # Connect in the loop PTB's run_* will take over (they fetch the current one), so the
    # initialised bot and its HTTP clients stay on one loop.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    loop.run_until_complete(connect(app, config.telegram.base_url))
    if config.telegram.mode == "webhook":
        secret = config.telegram.webhook_secret
        webhook_url = config.telegram.webhook_url
        app.run_webhook(
            listen=config.telegram.webhook_listen,
            port=config.telegram.webhook_port,
            # PTB serves only `url_path` (default "/"): the path Telegram posts to is the URL's.
            url_path=urlsplit(webhook_url).path if webhook_url else "",
            webhook_url=webhook_url,
            secret_token=secret.get_secret_value() if secret else None,
            allowed_updates=Update.ALL_TYPES,
            # No retries of setWebhook (PTB's default): a webhook URL Telegram refuses must
            # stop the bot, not be retried in silence; the Bot API has just answered.
        )
    else:
        # A network failure between connecting and deleteWebhook is retried; nothing in that
        # call can be wrong for good.
        app.run_polling(allowed_updates=Update.ALL_TYPES, bootstrap_retries=-1)
