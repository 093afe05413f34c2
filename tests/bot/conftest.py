"""Handler tests without a network: the real Application, its Bot API calls answered in process.

`bot_harness` builds bot.app.build_application with local_bot_api.InProcessRequest, so every
sendMessage, answerCallbackQuery or setMyCommands goes through the LocalBotApi method
implementations (Telegram's validation and errors, HTML included) without a socket. A test
acts as a SimUser; the update that produces is handed to `Application.process_update`, which
returns once the handler has finished, so no waiting is needed.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from datetime import datetime

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select
from telegram import Update
from telegram.ext import Application, ContextTypes

from bot.app import build_application
from bot.settings import BotSettings
from local_bot_api import InProcessRequest, LocalBotApi, SimUser
from local_bot_api.simuser import latest_per_message
from tracker.clock import Clock
from tracker.db import session_scope
from tracker.models import Dialog, Invite, Person, Role, StatusUpdate
from tracker.people import create_invite
from tracker.quarters import ISTANBUL

ADMIN_ID = 900001
# 2014Q1 has ended and its reporting window is open.
NOW = datetime(2014, 4, 10, 10, 0, tzinfo=ISTANBUL)


class Harness:
    """One bot (restartable) on one database, and the simulated people who write to it."""

    def __init__(self, engine: Engine):
        self.api = LocalBotApi()  # never started: nothing listens on a port
        self.engine = engine
        self.clock = Clock(NOW)
        self.settings = BotSettings(username="kume_bot", admins=frozenset({ADMIN_ID}))
        self.app: Application | None = None
        self.errors: list[BaseException] = []  # what reached the error handler
        self.processed: list[dict] = []  # every update handed to the application

    # -- the application ----------------------------------------------------------------------

    async def start(self) -> None:
        app = build_application(
            token=self.api.token,
            engine=self.engine,
            clock=self.clock,
            settings=self.settings,
            request=lambda: InProcessRequest(self.api),
        )
        app.add_error_handler(self._record_error)
        await app.initialize()
        if app.post_init is not None:  # run_polling and run_webhook call it after initialize
            await app.post_init(app)
        self.app = app

    async def stop(self) -> None:
        if self.app is not None:
            await self.app.shutdown()
            self.app = None

    async def restart(self) -> None:
        """A new Application object: nothing survives but the database."""
        await self.stop()
        await self.start()

    async def _record_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert context.error is not None
        self.errors.append(context.error)

    async def process(self, update: dict) -> None:
        """Hand one update (as Telegram would send it) to the application."""
        assert self.app is not None, "the bot is not running"
        self.processed.append(update)
        await self.app.process_update(Update.de_json(copy.deepcopy(update), self.app.bot))

    # -- people -------------------------------------------------------------------------------

    def user(self, user_id: int, name: str = "Ayşe") -> SimUser:
        return self.api.user(user_id, first_name=name)

    async def act(self, user: SimUser, action) -> list[dict]:  # type: ignore[no-untyped-def]
        """Do what the user does, process the update(s) it queued; the new bot messages.

        Edits of older messages (a pressed question losing its buttons) are not listed.
        """
        before = len(user.events)
        await action
        pending, self.api.state.updates = self.api.state.updates, []
        for update in pending:
            await self.process(update)
        new = {e.message["message_id"] for e in user.events[before:] if e.kind == "sent"}
        return [
            m
            for m in latest_per_message(user.events[before:])
            if m["message_id"] in new and not m.get("deleted")
        ]

    async def send(self, user: SimUser, text: str) -> list[dict]:
        return await self.act(user, user.send(text))

    async def press(self, user: SimUser, message: dict | int, button: str) -> list[dict]:
        return await self.act(user, user.press(message, button))

    async def press_raw(self, user: SimUser, message: dict | int, data: str) -> list[dict]:
        message_id = message["message_id"] if isinstance(message, dict) else message
        return await self.act(user, user.press_raw(message_id, data))

    def invite(
        self,
        organisation: str,
        role: Role | str,
        cluster: str | None = None,
        multi: bool = False,
        days: int = 14,
    ) -> str:
        with session_scope(self.engine) as session:
            created = create_invite(
                session,
                organisation=organisation,
                role=Role(role),
                cluster=cluster,
                multi=multi,
                days=days,
                now=self.clock.now(),
            )
            return created.invite.token

    async def register(
        self,
        user_id: int,
        organisation: str,
        role: Role | str,
        name: str = "Ayşe",
        cluster: str | None = None,
    ) -> SimUser:
        user = self.user(user_id, name)
        replies = await self.send(user, f"/start {self.invite(organisation, role, cluster)}")
        assert any("olarak kayıtlısınız" in m["text"] for m in replies), replies
        return user

    # -- the database -------------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        """Rows a refused or stale action must not change."""
        with Session(self.engine) as session:
            return {
                model.__name__: session.exec(select(func.count()).select_from(model)).one()
                for model in (Person, Invite, Dialog, StatusUpdate)
            }

    def dialogs(self) -> list[tuple]:
        with Session(self.engine) as session:
            return [
                (d.id, d.person_id, d.kind, d.subject, d.status, d.step, d.revision, d.data)
                for d in session.exec(select(Dialog).order_by(Dialog.id))
            ]

    def person(self, user_id: int) -> Person | None:
        with Session(self.engine) as session:
            return session.exec(select(Person).where(Person.telegram_user_id == user_id)).first()


def texts_of(messages: list[dict]) -> list[str]:
    return [m.get("text", "") for m in messages]


def buttons(message: dict) -> list[str]:
    markup = message.get("reply_markup") or {}
    return [b["text"] for row in markup.get("inline_keyboard", []) for b in row]


def menu(user: SimUser) -> list[str]:
    return [c["command"] for c in user.commands]


@pytest.fixture
async def harness(engine: Engine) -> AsyncIterator[Harness]:
    h = Harness(engine)
    await h.start()
    try:
        yield h
    finally:
        await h.stop()
    assert not h.errors, f"handlers raised: {h.errors!r}"
