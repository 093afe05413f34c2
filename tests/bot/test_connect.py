"""Connecting to the Bot API at start-up: an unreachable one is retried with growing pauses,
one Turkish line per attempt; a refused token stops at once."""

from __future__ import annotations

import logging

import pytest
from telegram.error import InvalidToken, NetworkError, TimedOut

from bot import connect as connect_module
from bot.connect import connect
from kume.config import ConfigError

BASE_URL = "http://127.0.0.1:9/bot"


class ClosingBot:
    def __init__(self) -> None:
        self.shut_down = False

    async def shutdown(self) -> None:
        self.shut_down = True


class FlakyApp:
    """An application whose initialize() (getMe) fails with the given errors, then works."""

    def __init__(self, *failures: Exception):
        self.failures = list(failures)
        self.attempts = 0
        self.bot = ClosingBot()

    async def initialize(self) -> None:
        self.attempts += 1
        if self.failures:
            raise self.failures.pop(0)


@pytest.fixture
def pauses(monkeypatch) -> list[float]:
    """The pauses connect() takes, recorded instead of slept."""
    taken: list[float] = []

    async def sleep(seconds: float) -> None:
        taken.append(seconds)

    monkeypatch.setattr(connect_module.asyncio, "sleep", sleep)
    return taken


async def test_an_unreachable_bot_api_is_retried_with_growing_pauses(pauses, caplog):
    app = FlakyApp(*[NetworkError("httpx.ConnectError: All connection attempts failed")] * 8,
                   TimedOut("Timed out"))
    with caplog.at_level(logging.WARNING, logger="bot.connect"):
        await connect(app, BASE_URL)  # type: ignore[arg-type]
    assert app.attempts == 10
    assert pauses == [1, 2, 4, 8, 15, 30, 60, 60, 60]
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 9 and all(r.exc_info is None for r in caplog.records)
    assert lines[0] == (
        "Telegram Bot API'ye ulaşılamadı (http://127.0.0.1:9/bot: httpx.ConnectError: All "
        "connection attempts failed). Ağ bağlantısını, [telegram] base_url ayarını ve jetonu "
        "denetleyin. 1 sn sonra yeniden denenecek (1. deneme)."
    )
    assert lines[-1].endswith("(http://127.0.0.1:9/bot: Timed out). Ağ bağlantısını, "
                              "[telegram] base_url ayarını ve jetonu denetleyin. 60 sn sonra "
                              "yeniden denenecek (9. deneme).")


async def test_a_refused_token_stops_at_once(pauses):
    app = FlakyApp(InvalidToken("The token `123:abc` was rejected by the server."))
    with pytest.raises(ConfigError) as refused:
        await connect(app, BASE_URL)  # type: ignore[arg-type]
    assert app.attempts == 1 and pauses == []
    assert app.bot.shut_down  # its HTTP sessions closed, not left for the garbage collector
    assert str(refused.value) == (
        "Telegram Bot API jetonu kabul etmedi (http://127.0.0.1:9/bot). [telegram] token "
        "ayarını (KUME_TELEGRAM_TOKEN) ve [telegram] base_url adresini denetleyin."
    )
