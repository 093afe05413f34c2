"""bot.context.in_session: where a handler's transaction runs, and whom it wakes afterwards."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from datetime import datetime
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from bot.context import BotData, Services, in_session
from bot.settings import BotSettings
from tracker.clock import Clock
from tracker.mail.outbox import enqueue_mail
from tracker.models import Organisation, Person, Role
from tracker.notifications.outbox import enqueue
from tracker.quarters import ISTANBUL

NOW = datetime(2014, 4, 2, 10, 0, tzinfo=ISTANBUL)


class CountingSender:
    def __init__(self) -> None:
        self.woken = 0

    def wake(self) -> None:
        self.woken += 1


@pytest.fixture
async def handler(engine) -> AsyncIterator[tuple[SimpleNamespace, Services]]:
    """A handler's context (its services, their senders counting wakes)."""
    svc = Services(engine=engine, clock=Clock(NOW), settings=BotSettings(),
                   sender=CountingSender())  # type: ignore[arg-type]
    svc.mailer = CountingSender()  # type: ignore[assignment]
    yield SimpleNamespace(application=SimpleNamespace(bot_data=BotData(services=svc))), svc
    if svc.async_engine is not None:
        await svc.async_engine.dispose()


def notify(session) -> None:
    org = session.exec(select(Organisation).where(Organisation.short == "EBSO")).one()
    person = Person(telegram_user_id=7301, display_name="Ayşe", organisation_id=org.id,
                    role=Role.MEMBER)
    session.add(person)
    session.flush()
    enqueue(session, kind="prompt", subject="E1.1.1", period="2014Q1", person=person,
            text="Merhaba", not_before=NOW, now=NOW)


def mail(session) -> None:
    enqueue_mail(session, kind="bulletin", subject="b1", period="2014-04",
                 address="ayse@example.org", subject_line="Bülten", text="Merhaba",
                 html="<p>Merhaba</p>", now=NOW)


async def test_only_a_transaction_that_queued_rows_wakes_their_sender(handler):
    context, svc = handler
    await in_session(context, lambda session: session.exec(select(Person)).all())
    assert (svc.sender.woken, svc.mailer.woken) == (0, 0)  # type: ignore[attr-defined]
    await in_session(context, notify)
    assert (svc.sender.woken, svc.mailer.woken) == (1, 0)  # type: ignore[attr-defined]
    await in_session(context, mail)
    assert (svc.sender.woken, svc.mailer.woken) == (1, 1)  # type: ignore[attr-defined]


async def test_light_work_runs_on_the_loop_and_heavy_work_in_a_thread(handler):
    context, svc = handler
    loop_thread = threading.get_ident()
    light = await in_session(context, lambda session: threading.get_ident())
    heavy = await in_session(context, lambda session: threading.get_ident(), heavy=True)
    assert light == loop_thread
    assert heavy != loop_thread


async def test_postgresql_work_lets_the_loop_go_on_while_the_server_answers(engine, handler):
    """The loop is not held while a statement waits for the server: another task runs."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite works inside the process: there is no server to wait for")
    context, svc = handler
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticker = asyncio.create_task(tick())
    try:
        await in_session(context, lambda session: session.exec(sa.select(sa.func.pg_sleep(0.5))))
    finally:
        ticker.cancel()
    assert ticks >= 20


async def test_a_connection_the_server_dropped_is_replaced_and_the_work_done(engine, handler):
    """The server restarted (its connections to kume are gone): the next answer still works,
    on a fresh connection, and is stored once."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no connections to lose")
    context, svc = handler
    await in_session(context, lambda session: session.exec(select(Person)).all())
    with engine.connect() as admin:
        dropped = admin.execute(sa.text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar()
    assert dropped >= 1
    await in_session(context, notify)
    with Session(engine) as session:
        people = session.exec(select(Person).where(Person.telegram_user_id == 7301)).all()
    assert len(people) == 1

