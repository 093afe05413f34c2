"""Reaching the Telegram Bot API, and saying plainly when it cannot be reached.

A network failure is worth waiting out (the bot retries until Telegram answers); a token the
Bot API refuses (401/404) is a configuration error: retrying would not help, so it stops.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from telegram.error import InvalidToken, TelegramError
from telegram.ext import Application

from kume.errors import ConfigError
from tracker import texts

logger = logging.getLogger(__name__)

# Pauses between attempts at start-up, in seconds; the last one repeats.
RETRY_PAUSES = (1, 2, 4, 8, 15, 30, 60)


class TelegramUnreachable(Exception):
    """The Bot API did not answer as it should; `str()` says so in Turkish, with what to check."""

    def __init__(self, base_url: str, error: TelegramError):
        super().__init__(base_url, str(error))
        self.base_url = base_url
        self.detail = str(error)

    def __str__(self) -> str:
        return unreachable_line(self.base_url, self.detail)


def unreachable_line(base_url: str, detail: str) -> str:
    return texts.say("cli/failures.j2", "telegram_unreachable", base_url=base_url, detail=detail)


@contextmanager
def telegram_failures(base_url: str) -> Iterator[None]:
    """Turn the Bot API's failures into errors that say what to check: a refused token into
    ConfigError, anything else into TelegramUnreachable. `base_url` is shown as configured,
    without the token PTB appends."""
    try:
        yield
    except InvalidToken as exc:
        # PTB's message names the token: not repeated here.
        refused = texts.say("cli/failures.j2", "token_refused", base_url=base_url)
        raise ConfigError(refused) from exc
    except TelegramError as exc:
        raise TelegramUnreachable(base_url, exc) from exc


async def connect(app: Application, base_url: str, pauses: tuple[int, ...] = RETRY_PAUSES) -> None:
    """Initialise the application (getMe), retrying with growing pauses until the Bot API
    answers; a refused token raises ConfigError at once.

    PTB's `bootstrap_retries=-1` would retry initialize() as well, but it reports each failed
    attempt only as an English DEBUG line, and a refused token as a logged traceback; this
    says one Turkish line per attempt, what failed and what to check.
    """
    attempt = 0
    while True:
        attempt += 1
        try:
            with telegram_failures(base_url):
                await app.initialize()
            return
        except ConfigError:
            await app.bot.shutdown()  # its HTTP sessions, opened for getMe: the run ends here
            raise
        except TelegramUnreachable as failure:
            pause = pauses[min(attempt, len(pauses)) - 1]
            logger.warning(
                "%s",
                texts.say("cli/failures.j2", "retrying", failure=str(failure), pause=pause,
                          attempt=attempt),
            )
            await asyncio.sleep(pause)
