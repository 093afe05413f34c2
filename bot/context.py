"""What handlers and jobs are given: PTB's context, typed with kume's services.

`KumeContext` is the context class of kume's application (`ContextTypes(context=KumeContext,
bot_data=BotData)`, set in bot.app), so a handler declares `context: KumeContext` and reads
`context.services` with its types, instead of looking a string up in `bot_data`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy.engine import Engine
from sqlmodel import Session
from telegram.ext import Application, CallbackContext, ContextTypes, ExtBot

from bot.mailer import MailSender
from bot.sender import OutboxSender
from bot.settings import BotSettings
from bot.updates import WORKERS
from tracker.clock import Clock
from tracker.db import async_twin, run_on_the_loop, session_scope
from tracker.mail.outbox import mail_queued_in
from tracker.notifications.outbox import queued_in

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

T = TypeVar("T")


@dataclass
class Services:
    engine: Engine
    clock: Clock
    settings: BotSettings
    sender: OutboxSender
    mailer: MailSender | None = None  # the e-mail sender, when [smtp] is configured
    # SQLite: the handlers' transactions one at a time, as when PTB ran one update at a time
    # (bot.updates runs different people's at once). SQLite has no row locks (FOR UPDATE is a
    # no-op there) and pysqlite reads before a transaction's first write outside it, so a
    # read-check-write (a capacity, an invite's uses) of two people could interleave. Their
    # Telegram calls still overlap. PostgreSQL runs them concurrently, its FOR UPDATEs guard.
    # An asyncio lock: a transaction waiting for its turn never holds up the event loop.
    database_turn: contextlib.AbstractAsyncContextManager[Any] = field(init=False)
    async_engine: AsyncEngine | None = field(init=False)

    def __post_init__(self) -> None:
        sqlite = self.engine.dialect.name == "sqlite"
        self.database_turn = asyncio.Lock() if sqlite else contextlib.nullcontext()
        # PostgreSQL: a handler's transaction on the loop, its statements awaited (in_session).
        self.async_engine = async_twin(self.engine, pool_size=WORKERS)


@dataclass
class BotData:
    """The application's `bot_data`: its services, set once when it is built."""

    services: Services | None = None


class KumeContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]):
    @property
    def services(self) -> Services:
        return services(self)


CONTEXT_TYPES = ContextTypes(context=KumeContext, bot_data=BotData)


def services(context: CallbackContext[Any, Any, Any, Any]) -> Services:
    """The services of any context of kume's application (a job's or a test's too)."""
    return services_of(context.application)


def services_of(application: Application[Any, Any, Any, Any, Any, Any]) -> Services:
    data = application.bot_data
    if not isinstance(data, BotData) or data.services is None:
        raise RuntimeError("not an application built by bot.app.build_application")
    return data.services


async def in_session(
    context: CallbackContext[Any, Any, Any, Any],
    work: Callable[[Session], T],
    *,
    heavy: bool = False,
) -> T:
    """Run database work in one transaction; then wake the senders of what it queued
    (notifications, mails), so they go at once.

    Where it runs: on the event loop's own thread, unless the work is `heavy`. On PostgreSQL
    through the asyncio engine (tracker.db.run_on_the_loop): each statement is awaited, so the
    loop goes on while the server answers. On SQLite directly: SQLite works inside this process
    under the GIL, so a thread adds no parallelism, only hand-offs of the GIL between it and the
    loop, which cost more CPU than a dialog step's own work (bench/throughput.py: 0.49× → 0.62×
    of the echo bot's updates/s); the price is that nothing else runs meanwhile. Work that may
    touch thousands of rows (the scheduler's due work, a report built in the bot) says `heavy`
    and takes a worker thread and the synchronous engine, so the loop is never held long. A
    SQLite write lock held by another process (kume web, a command) is waited for in SQLite's
    busy timeout; those transactions are short."""
    svc = services(context)

    def run() -> tuple[T, bool, bool]:
        with session_scope(svc.engine) as session:
            result = work(session)
        return result, queued_in(session), mail_queued_in(session)

    async with svc.database_turn:
        if heavy:
            result, notifications, mails = await asyncio.to_thread(run)
        elif svc.async_engine is not None:
            result, session = await run_on_the_loop(svc.async_engine, work)
            notifications, mails = queued_in(session), mail_queued_in(session)
        else:
            result, notifications, mails = run()
    if notifications:
        svc.sender.wake()
    if mails and svc.mailer is not None:
        svc.mailer.wake()
    return result
