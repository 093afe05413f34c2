"""Which transactions wake a sender: those that added outbox rows (one by one, a broadcast in
bulk, mails), and no other. bot.context.in_session wakes the senders from these answers."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import select

from tracker.db import session_scope
from tracker.mail.outbox import enqueue_mail, mail_queued_in
from tracker.models import Organisation, Person, Role
from tracker.notifications.broadcast import start_broadcast
from tracker.notifications.outbox import enqueue, queued_in
from tracker.quarters import ISTANBUL

NOW = datetime(2014, 4, 2, 10, 0, tzinfo=ISTANBUL)


def someone(session, telegram_id: int) -> Person:
    org = session.exec(select(Organisation).where(Organisation.short == "EBSO")).one()
    person = Person(telegram_user_id=telegram_id, display_name="Ayşe", organisation_id=org.id,
                    role=Role.MEMBER)
    session.add(person)
    session.flush()
    return person


def test_a_transaction_that_reads_or_writes_other_rows_wakes_nobody(engine):
    with session_scope(engine) as session:
        someone(session, 7001)  # a new person is not an outbox row
        session.exec(select(Person)).all()
    assert not queued_in(session) and not mail_queued_in(session)


def test_a_notification_queued_wakes_the_telegram_sender(engine):
    with session_scope(engine) as session:
        enqueue(session, kind="prompt", subject="E1.1.1", period="2014Q1",
                person=someone(session, 7002), text="Merhaba", not_before=NOW, now=NOW)
    assert queued_in(session) and not mail_queued_in(session)


def test_a_broadcast_written_in_bulk_wakes_the_telegram_sender(engine):
    with session_scope(engine) as session:
        people = [someone(session, 7100 + i) for i in range(3)]
    with session_scope(engine) as session:
        start_broadcast(session, text="Toplantı", recipients=people, subject="duyuru-1",
                        period="2014Q1", now=NOW)
    assert queued_in(session)


def test_a_mail_queued_wakes_the_mail_sender(engine):
    with session_scope(engine) as session:
        enqueue_mail(session, kind="bulletin", subject="b1", period="2014-04",
                     address="ayse@example.org", subject_line="Bülten", text="Merhaba",
                     html="<p>Merhaba</p>", now=NOW)
    assert mail_queued_in(session) and not queued_in(session)
