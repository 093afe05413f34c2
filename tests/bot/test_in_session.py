"""bot.context.in_session: where a handler's transaction runs, and whom it wakes afterwards."""

from __future__ import annotations

import threading
from datetime import datetime
from types import SimpleNamespace

from sqlmodel import select

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


def context_for(engine) -> tuple[SimpleNamespace, Services]:
    svc = Services(engine=engine, clock=Clock(NOW), settings=BotSettings(),
                   sender=CountingSender())  # type: ignore[arg-type]
    svc.mailer = CountingSender()  # type: ignore[assignment]
    return SimpleNamespace(application=SimpleNamespace(bot_data=BotData(services=svc))), svc


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


async def test_only_a_transaction_that_queued_rows_wakes_their_sender(engine):
    context, svc = context_for(engine)
    await in_session(context, lambda session: session.exec(select(Person)).all())
    assert (svc.sender.woken, svc.mailer.woken) == (0, 0)  # type: ignore[attr-defined]
    await in_session(context, notify)
    assert (svc.sender.woken, svc.mailer.woken) == (1, 0)  # type: ignore[attr-defined]
    await in_session(context, mail)
    assert (svc.sender.woken, svc.mailer.woken) == (1, 1)  # type: ignore[attr-defined]


async def test_sqlite_work_runs_on_the_loop_and_heavy_work_or_postgresql_in_a_thread(engine):
    context, svc = context_for(engine)
    loop_thread = threading.get_ident()
    light = await in_session(context, lambda session: threading.get_ident())
    heavy = await in_session(context, lambda session: threading.get_ident(), heavy=True)
    assert heavy != loop_thread
    if engine.dialect.name == "sqlite":
        assert light == loop_thread
    else:
        assert light != loop_thread
