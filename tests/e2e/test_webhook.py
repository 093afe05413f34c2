"""Webhook mode end to end: `kume run` in a child process registers its webhook on the local
Bot API, then answers updates POSTed to it, and only those carrying the secret token."""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.render import message
from local_bot_api import LocalBotApi, SimUser, parse_html
from local_bot_api.models import command_entity
from tests.e2e.conftest import DEFAULT_NOW
from tracker.db import session_scope
from tracker.models import Person, Role
from tracker.people import create_invite

USER_ID = 1001
PROCESS_START = 20.0  # seconds for a freshly started bot process to come up
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class WebhookBot:
    """`kume run` in webhook mode, configured through KUME_* variables only, and a client
    that plays Telegram delivering updates to its webhook."""

    def __init__(self, api: LocalBotApi, engine: Engine, workdir: Path):
        self.api = api
        self.engine = engine
        self.workdir = workdir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/telegram"
        self.secret = secrets.token_urlsafe(24)  # Telegram allows A-Z a-z 0-9 _ -
        self.proc: subprocess.Popen | None = None
        self.http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5))
        self._update_ids = iter(range(700_000, 800_000))

    def environment(self) -> dict[str, str]:
        environ = {k: v for k, v in os.environ.items() if not k.startswith("KUME_")}
        environ.update(
            KUME_DATABASE_URL=self.engine.url.render_as_string(hide_password=False),
            KUME_TELEGRAM_TOKEN=self.api.token,
            KUME_TELEGRAM_BASE_URL=self.api.base_url,
            KUME_TELEGRAM_MODE="webhook",
            KUME_TELEGRAM_WEBHOOK_URL=self.url,
            KUME_TELEGRAM_WEBHOOK_LISTEN="127.0.0.1",
            KUME_TELEGRAM_WEBHOOK_PORT=str(self.port),
            KUME_TELEGRAM_WEBHOOK_SECRET=self.secret,
            KUME_CLOCK_START=DEFAULT_NOW.isoformat(),
            PYTHONUNBUFFERED="1",
        )
        return environ

    def start(self) -> None:
        with (self.workdir / "bot.log").open("wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "kume", "run"],
                env=self.environment(),
                cwd=self.workdir,  # no stray config.toml
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def stop(self) -> None:
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)

    def logs(self) -> str:
        path = self.workdir / "bot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def assert_alive(self) -> None:
        assert self.proc is not None and self.proc.poll() is None, (
            f"the bot process died by itself:\n{self.logs()}"
        )

    async def wait_for_webhook(self) -> None:
        state = self.api.state
        loop = asyncio.get_running_loop()
        deadline = loop.time() + PROCESS_START
        while not state.webhook["url"]:
            self.assert_alive()
            assert loop.time() < deadline, f"no setWebhook in time:\n{self.logs()}"
            await state.wait(lambda: bool(state.webhook["url"]), min(deadline, loop.time() + 0.2))

    def update(self, user: SimUser, text: str) -> dict[str, Any]:
        """A private text message from `user`, in Telegram's Update format."""
        msg: dict[str, Any] = {
            "message_id": self.api.state.next_message_id(user.id),
            "from": dict(user.user),
            "chat": dict(user.chat),
            "date": int(time.time()),
            "text": text,
        }
        if entities := command_entity(text):
            msg["entities"] = entities
        return {"update_id": next(self._update_ids), "message": msg}

    async def post(self, update: dict, secret: str | None) -> int:
        """POST `update` to the webhook; retries while the server is not listening yet
        (PTB calls setWebhook before its web server accepts connections)."""
        headers = {SECRET_HEADER: secret} if secret is not None else {}
        loop = asyncio.get_running_loop()
        deadline = loop.time() + PROCESS_START
        while True:
            try:
                async with self.http.post(self.url, json=update, headers=headers) as response:
                    await response.read()
                    return response.status
            except aiohttp.ClientConnectorError:
                self.assert_alive()
                if loop.time() > deadline:
                    raise
                await asyncio.sleep(0.05)


@pytest.fixture
async def webhook_bot(engine: Engine, tmp_path: Path) -> AsyncIterator[WebhookBot]:
    """A local Bot API nobody polls, and the bot process, stopped however the test ends."""
    workdir = tmp_path / "bot-process"
    workdir.mkdir()
    api = LocalBotApi()
    await api.start()
    bot = WebhookBot(api, engine, workdir)
    try:
        yield bot
    finally:
        bot.stop()
        await bot.http.close()
        await api.stop()
        print(bot.logs())  # shown by pytest when the test failed


def people_with(engine: Engine, user_id: int) -> list[Person]:
    with Session(engine) as session:
        return list(session.exec(select(Person).where(Person.telegram_user_id == user_id)))


async def test_webhook_mode_serves_updates_posted_with_the_secret(webhook_bot, engine):
    bot, api = webhook_bot, webhook_bot.api
    user = api.user(USER_ID, first_name="Ayşe")  # the chat must exist for sendMessage
    bot.start()

    # The bot registers its webhook, with the secret and every update kind.
    await bot.wait_for_webhook()
    (registration,) = api.calls_to("setWebhook")
    assert registration["url"] == bot.url
    assert registration["secret_token"] == bot.secret
    assert "message" in registration["allowed_updates"]
    assert api.state.webhook["url"] == bot.url

    # A stranger's /start, delivered like Telegram does: the unregistered explanation.
    assert await bot.post(bot.update(user, "/start"), bot.secret) == 200
    reply = await user.next_message(timeout=PROCESS_START)
    assert reply["text"] == parse_html(message("unregistered"))[0].strip()
    assert reply["chat"]["id"] == USER_ID

    # An invite's deep link without the right secret is refused and changes nothing.
    with session_scope(engine) as session:
        token = create_invite(
            session, organisation="EBSO", role=Role.REPORTER, now=DEFAULT_NOW
        ).invite.token
    start_with_token = f"/start {token}"
    assert await bot.post(bot.update(user, start_with_token), "wrong-secret") == 403
    assert await bot.post(bot.update(user, start_with_token), None) == 403
    assert await user.replies(timeout=0.5) == []
    assert people_with(engine, USER_ID) == []

    # With the secret it registers the person.
    assert await bot.post(bot.update(user, start_with_token), bot.secret) == 200
    welcome = await user.next_message()
    assert welcome["text"].startswith("Hoş geldiniz, Ayşe!")
    (person,) = people_with(engine, USER_ID)
    assert (person.display_name, person.role) == ("Ayşe", Role.REPORTER)
    assert await user.replies(timeout=0.3) == []  # one reply per accepted update

    # Webhook mode never polls, and nothing undid the webhook.
    bot.assert_alive()
    assert api.calls_to("getUpdates") == []
    assert api.calls_to("deleteWebhook") == []
    assert api.state.webhook["url"] == bot.url
