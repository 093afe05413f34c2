"""Access to the application's shared pieces from inside handlers."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.engine import Engine
from sqlmodel import Session
from telegram.ext import ContextTypes

from bot.settings import BotSettings
from tracker.clock import Clock
from tracker.db import session_scope

T = TypeVar("T")


@dataclass
class Services:
    engine: Engine
    clock: Clock
    settings: BotSettings
    sender: Any = None  # bot.sender.OutboxSender


def services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    return context.application.bot_data["services"]


async def in_session(context: ContextTypes.DEFAULT_TYPE, work: Callable[[Session], T]) -> T:
    """Run database work in a worker thread, in one transaction, keeping the event loop free."""
    engine = services(context).engine

    def run() -> T:
        with session_scope(engine) as session:
            return work(session)

    return await asyncio.to_thread(run)
