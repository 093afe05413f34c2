"""The end-to-end harness: a local Bot API server on 127.0.0.1 and the real application
polling it over HTTP, on a database with the bundled plan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime

import pytest
from sqlalchemy.engine import Engine

from bot.app import build_application, start_polling_in_loop, stop_in_loop
from bot.settings import BotSettings
from local_bot_api import LocalBotApi
from tracker.clock import Clock
from tracker.db import session_scope
from tracker.models import Role
from tracker.people import create_invite
from tracker.quarters import ISTANBUL

ADMIN_ID = 900001
# 2014Q1 has ended and its reporting window is open.
DEFAULT_NOW = datetime(2014, 4, 10, 10, 0, tzinfo=ISTANBUL)


@dataclass
class BotEnv:
    api: LocalBotApi
    engine: Engine
    clock: Clock
    settings: BotSettings
    app: object = None

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

    async def start_bot(self) -> None:
        app = build_application(
            token=self.api.token,
            engine=self.engine,
            clock=self.clock,
            settings=self.settings,
            base_url=self.api.base_url,
            base_file_url=self.api.base_file_url,
        )
        self.app = await start_polling_in_loop(app)

    async def stop_bot(self) -> None:
        app = self.app
        if app is None:
            return
        await stop_in_loop(app)
        self.app = None

    async def register(
        self,
        user_id: int,
        organisation: str,
        role: Role | str,
        name: str = "Ayşe",
        cluster: str | None = None,
    ):
        user = self.api.user(user_id, first_name=name)
        await user.send(f"/start {self.invite(organisation, role, cluster)}")
        await user.replies()
        return user


@pytest.fixture
async def bot_env(engine: Engine) -> AsyncIterator[BotEnv]:
    api = LocalBotApi()
    await api.start()
    env = BotEnv(
        api=api,
        engine=engine,
        clock=Clock(DEFAULT_NOW),
        # Tests drive the scheduler themselves (bot.app.tick): no timer sending prompts into
        # the middle of a conversation.
        settings=BotSettings(username="kume_bot", admins=frozenset({ADMIN_ID}), tick_seconds=0),
    )
    await env.start_bot()
    try:
        yield env
    finally:
        await env.stop_bot()
        await api.stop()
