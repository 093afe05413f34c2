"""E-mail end to end against a real SMTP server (aiosmtpd on 127.0.0.1): the mail outbox
written once by key, each mail a proper bulk message (multipart, every header, both
unsubscribe headers, Turkish intact), a 4xx retried and delivered once, a 5xx marking the
address bounced, an outage that pauses and resumes without loss or repeat, and an
unsubscribed address skipped at its turn."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from pydantic import SecretStr
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.mailer import MailLimits, MailSender, MailSettings
from tests.smtp_server import Mailbox
from tracker.clock import Clock
from tracker.db import session_scope
from tracker.mail.message import UNSUBSCRIBE_PLACEHOLDER, MailIdentity
from tracker.mail.outbox import (
    MailDraft,
    drafts_for,
    enqueue_mail,
    enqueue_many,
    mail_counts,
)
from tracker.models import MailMessage, MailStatus, Subscriber
from tracker.unsubscribe import subscriber_of

NOW = datetime(2014, 4, 2, 7, 0, tzinfo=UTC)
SECRET = "test-secret-çok-gizli"
SENDER = "İzmir Kalkınma Ajansı <bulten@izka.example.org>"
SUBJECT = "İZKA Bülteni · 2014 1. çeyrek: Gıda kümesi büyüyor"
TEXT = ("Merhaba,\nÇeyreğin özeti: İğneada’dan Ödemiş’e üç etkinlik.\n"
        f"Ayrıl: {UNSUBSCRIBE_PLACEHOLDER}\n")
HTML = (f"<p>Merhaba,</p><p>Çeyreğin özeti: İğneada’dan Ödemiş’e üç etkinlik.</p>"
        f'<p><a href="{UNSUBSCRIBE_PLACEHOLDER}">Abonelikten çık</a></p>')
FAST = MailLimits(rate=200, backoff=(0.05, 0.1, 0.2), reconnect=(0.05, 0.1, 0.2),
                  reconnect_tries=3, poll=0.1, linger=3.0, idle_close=5.0)


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox()
    box.start()
    yield box
    box.stop()


def settings(box: Mailbox, limits: MailLimits = FAST, **options: object) -> MailSettings:
    identity = MailIdentity(sender=SENDER, reply_to="kumelenme@izka.example.org",
                            base_url="https://portal.izka.example.org", secret=SECRET)
    return MailSettings(identity=identity, host=box.host, port=box.port, security="none",
                        timeout=5.0, limits=limits, **options)  # type: ignore[arg-type]


def sender(engine: Engine, box: Mailbox, limits: MailLimits = FAST) -> MailSender:
    return MailSender(engine, Clock(NOW), settings(box, limits))


def subscribe(engine: Engine, addresses: list[str], name: str = "Ayşe Çığ Öztürk") -> list[int]:
    with session_scope(engine) as session:
        rows = [Subscriber(email=a, email_key=a.casefold(), name=name, consent_source="test",
                           consent_at=NOW) for a in addresses]
        session.add_all(rows)
        session.flush()
        return [r.id for r in rows]  # type: ignore[misc]


def write(engine: Engine, ids: list[int], addresses: list[str], period: str = "2014Q1") -> int:
    with session_scope(engine) as session:
        return enqueue_many(session, kind="bulletin", subject="bulletin", period=period, now=NOW,
                            mails=[MailDraft(address=a, subject_line=SUBJECT, text=TEXT,
                                             html=HTML, subscriber_id=i)
                                   for i, a in zip(ids, addresses, strict=True)])


def statuses(engine: Engine) -> dict[str, MailStatus]:
    with Session(engine) as session:
        return {m.address: m.status for m in session.exec(select(MailMessage)).all()}


async def test_each_mail_is_a_proper_bulk_message_with_turkish_intact(engine, mailbox):
    addresses = ["ayse@firma.example.com", "Mehmet@Firma.example.com"]
    ids = subscribe(engine, addresses)
    assert write(engine, ids, addresses) == 2
    report = await sender(engine, mailbox).drain()
    assert (report.sent, report.failed, report.halted) == (2, 0, None)

    messages = mailbox.messages()
    assert len(messages) == 2
    for message in messages:
        assert message.get_content_type() == "multipart/alternative"
        parts = [p.get_content_type() for p in message.iter_parts()]
        assert parts == ["text/plain", "text/html"]
        assert str(message["Subject"]) == SUBJECT
        assert message["From"].addresses[0].display_name == "İzmir Kalkınma Ajansı"
        assert message["From"].addresses[0].addr_spec == "bulten@izka.example.org"
        assert message["To"].addresses[0].display_name == "Ayşe Çığ Öztürk"
        assert str(message["Reply-To"]) == "kumelenme@izka.example.org"
        assert message["Message-ID"].endswith("@izka.example.org>")
        assert message["Date"].datetime == NOW
        assert str(message["List-Id"]) == "<bulten.izka.example.org>"
        assert str(message["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
        https, mailto = [p.strip(" <>") for p in str(message["List-Unsubscribe"]).split(",")]
        assert https.startswith("https://portal.izka.example.org/abonelik/iptal/")
        assert mailto == "mailto:bulten@izka.example.org?subject=unsubscribe"
        token = https.rsplit("/", 1)[1]
        address = message["To"].addresses[0].addr_spec
        assert subscriber_of(SECRET, token) == ids[addresses.index(address)]
        text = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        assert "İğneada’dan Ödemiş’e" in text and "İğneada’dan Ödemiş’e" in html
        assert https in text and f'href="{https}"' in html  # the visible link
        # The raw message is 7-bit: every Turkish letter travelled encoded.
        assert all(b < 128 for b in message.as_bytes())
    with Session(engine) as session:
        rows = session.exec(select(MailMessage)).all()
        assert {r.status for r in rows} == {MailStatus.SENT}
        assert {r.message_id for r in rows} == {str(m["Message-ID"]) for m in messages}


async def test_a_mail_is_written_once_whatever_the_case_of_its_address(engine):
    with session_scope(engine) as session:
        first = enqueue_mail(session, kind="bulletin", subject="bulletin", period="2014Q1",
                             address="Ali@Example.com", subject_line="x", text="t", html="h",
                             now=NOW)
        again = enqueue_mail(session, kind="bulletin", subject="bulletin", period="2014Q1",
                             address=" ali@example.COM ", subject_line="x", text="t",
                             html="h", now=NOW)
        other = enqueue_mail(session, kind="bulletin", subject="bulletin", period="2014Q2",
                             address="ali@example.com", subject_line="x", text="t", html="h",
                             now=NOW)
        assert (first, again, other) == (True, False, True)
        many = enqueue_many(session, kind="bulletin", subject="bulletin", period="2014Q1",
                            now=NOW, mails=[MailDraft("ALI@example.com", "x", "t", "h"),
                                            MailDraft("veli@example.com", "x", "t", "h"),
                                            MailDraft("Veli@example.com", "x", "t", "h")])
        assert many == 1
        assert mail_counts(session) == {MailStatus.PENDING: 3}


async def test_a_4xx_is_retried_and_the_mail_delivered_once(engine, mailbox):
    addresses = ["gecici@firma.example.com", "normal@firma.example.com"]
    ids = subscribe(engine, addresses)
    write(engine, ids, addresses)
    mailbox.refuse["gecici@firma.example.com"] = ["451 4.7.1 Greylisted, try again later"] * 2
    report = await sender(engine, mailbox).drain()
    assert (report.sent, report.retried, report.bounced) == (2, 2, 0)
    assert mailbox.per_address() == {a.casefold(): 1 for a in addresses}
    with Session(engine) as session:
        row = session.exec(select(MailMessage).where(
            MailMessage.address == "gecici@firma.example.com")).one()
        assert (row.status, row.attempts) == (MailStatus.SENT, 3)


async def test_a_5xx_marks_the_address_bounced_and_it_is_never_tried_again(engine, mailbox):
    addresses = ["yok@firma.example.com", "var@firma.example.com"]
    ids = subscribe(engine, addresses)
    write(engine, ids, addresses)
    mailbox.refuse["yok@firma.example.com"] = ["550 5.1.1 No such user here"]
    report = await sender(engine, mailbox).drain()
    assert (report.sent, report.bounced, report.retried) == (1, 1, 0)
    assert statuses(engine) == {"yok@firma.example.com": MailStatus.BOUNCED,
                                "var@firma.example.com": MailStatus.SENT}
    with Session(engine) as session:
        bounced = session.get(Subscriber, ids[0])
        assert bounced is not None and bounced.bounced_at is not None
        assert bounced.bounce_reason is not None and "550" in bounced.bounce_reason
    # The next bulletin: the bounced address is skipped at its turn, nothing is sent to it.
    write(engine, ids, addresses, period="2014Q2")
    again = await sender(engine, mailbox).drain()
    assert (again.sent, again.skipped) == (1, 1)
    assert mailbox.per_address() == {"var@firma.example.com": 2}


async def test_an_address_that_unsubscribed_before_its_turn_is_skipped(engine, mailbox):
    addresses = ["kalan@firma.example.com", "giden@firma.example.com"]
    ids = subscribe(engine, addresses)
    write(engine, ids, addresses)
    with session_scope(engine) as session:
        leaving = session.get(Subscriber, ids[1])
        assert leaving is not None
        leaving.unsubscribed_at = NOW
        session.add(leaving)
    report = await sender(engine, mailbox).drain()
    assert (report.sent, report.skipped) == (1, 1)
    assert mailbox.per_address() == {"kalan@firma.example.com": 1}
    assert statuses(engine)["giden@firma.example.com"] == MailStatus.SKIPPED


async def test_a_server_that_is_down_stops_a_drain_and_nothing_is_lost(engine, mailbox):
    addresses = [f"uye{i}@firma.example.com" for i in range(3)]
    ids = subscribe(engine, addresses)
    write(engine, ids, addresses)
    mailbox.stop()
    report = await sender(engine, mailbox).drain()
    assert (report.sent, report.halted) == (0, "unreachable")
    assert set(statuses(engine).values()) == {MailStatus.PENDING}
    mailbox.start()
    report = await sender(engine, mailbox).drain()
    assert report.sent == 3
    assert mailbox.per_address() == {a: 1 for a in addresses}


async def wait_until(condition, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


async def test_an_outage_pauses_the_running_sender_which_resumes_without_loss_or_repeat(
        engine, mailbox):
    addresses = [f"abone{i:02}@firma.example.com" for i in range(40)]
    ids = subscribe(engine, addresses)
    write(engine, ids, addresses)
    running = sender(engine, mailbox, MailLimits(rate=50, backoff=(0.05,), poll=0.1,
                                                  reconnect=(0.05, 0.1), idle_close=5.0))
    running.start()
    try:
        await wait_until(lambda: len(mailbox.received) >= 10, 20, "the first ten mails")
        mailbox.stop()  # the server goes away in the middle of the send
        down = len(mailbox.received)
        await asyncio.sleep(0.5)
        assert len(mailbox.received) == down
        waiting = statuses(engine)
        assert MailStatus.PENDING in waiting.values()
        mailbox.start()
        await wait_until(lambda: MailStatus.PENDING not in statuses(engine).values()
                         and MailStatus.SENDING not in statuses(engine).values(), 30,
                         "every mail to have an outcome")
    finally:
        await running.stop()
    final = statuses(engine)
    got = mailbox.per_address()
    # Nobody twice; everybody whose mail is sent got it once; at most the one mail on the
    # wire when the server went away is in doubt.
    assert all(count == 1 for count in got.values())
    sent = {a for a, s in final.items() if s == MailStatus.SENT}
    assert sent == {a for a in addresses if got[a] == 1} - {
        a for a, s in final.items() if s == MailStatus.UNKNOWN}
    assert len([s for s in final.values() if s == MailStatus.UNKNOWN]) <= 1
    assert len(sent) >= len(addresses) - 1


async def test_the_rate_is_held_on_one_connection(engine, mailbox):
    """Each message starts at least 1/rate after the one before (the sender waits for it,
    so however slow the machine, the spacing never shrinks), all on one connection."""
    addresses = [f"hiz{i:02}@firma.example.com" for i in range(11)]
    ids = subscribe(engine, addresses)
    write(engine, ids, addresses)
    paced = sender(engine, mailbox, MailLimits(rate=20, poll=0.1))
    starts: list[float] = []
    transmit = paced._transmit

    async def stamped(message, address):  # type: ignore[no-untyped-def]
        starts.append(time.monotonic())
        await transmit(message, address)

    paced._transmit = stamped  # type: ignore[method-assign]
    report = await paced.drain()
    assert report.sent == 11
    gaps = [later - earlier for earlier, later in zip(starts, starts[1:], strict=False)]
    assert min(gaps) >= 1 / 20 - 0.001
    assert mailbox.connections == 1


async def test_a_row_with_a_header_injection_is_sent_cleaned_never_split(engine, mailbox):
    ids = subscribe(engine, ["temiz@firma.example.com"], name="Ali\r\nBcc: kurban@example.com")
    with session_scope(engine) as session:
        enqueue_mail(session, kind="bulletin", subject="bulletin", period="2014Q1",
                     address="temiz@firma.example.com", subscriber_id=ids[0],
                     subject_line="Bülten\r\nBcc: kurban@example.com", text="t", html="<p>h</p>",
                     now=NOW)
        enqueue_mail(session, kind="bulletin", subject="bulletin", period="2014Q1",
                     address="kotu@example.com\r\nBcc: kurban@example.com", text="t",
                     subject_line="x", html="h", now=NOW)
    report = await sender(engine, mailbox).drain()
    assert (report.sent, report.failed) == (1, 1)
    [message] = mailbox.messages()
    assert message["Bcc"] is None
    assert str(message["Subject"]) == "Bülten Bcc: kurban@example.com"
    assert mailbox.per_address() == {"temiz@firma.example.com": 1}


def test_settings_come_from_the_configuration():
    from kume.config import load_config

    config = load_config(environ={"KUME_SMTP_HOST": "smtp.example.org", "KUME_SMTP_PORT": "587",
                                  "KUME_SMTP_PASSWORD": "pw", "KUME_SMTP_RATE": "2.5",
                                  "KUME_WEB_SECRET": "s"})
    made = MailSettings.from_config(config)
    assert (made.host, made.port, made.limits.rate, made.identity.secret) == (
        "smtp.example.org", 587, 2.5, "s")
    assert made.password == SecretStr("pw") and "pw" not in repr(made)


async def test_the_running_bot_sends_mail_next_to_telegram(engine, mailbox):
    """`kume run`: the application starts the mail sender with the Telegram one and stops
    both; a handler that queued mails wakes it."""
    from bot.app import build_application, start_polling_in_loop, stop_in_loop
    from bot.context import services_of
    from bot.settings import BotSettings
    from local_bot_api import LocalBotApi

    addresses = ["bot@firma.example.com"]
    async with LocalBotApi() as api:
        app = build_application(token=api.token, engine=engine, clock=Clock(NOW),
                                settings=BotSettings(tick_seconds=0, mail=settings(mailbox)),
                                base_url=api.base_url, base_file_url=api.base_file_url)
        app = await start_polling_in_loop(app)
        try:
            mailer = services_of(app).mailer
            assert mailer is not None and mailer.running
            write(engine, subscribe(engine, addresses), addresses)
            mailer.wake()
            await wait_until(lambda: mailbox.per_address() == {addresses[0]: 1}, 20,
                             "the mail from the running bot")
        finally:
            await stop_in_loop(app)
        assert not mailer.running
    assert statuses(engine) == {addresses[0]: MailStatus.SENT}


def test_drafts_for_leaves_out_who_unsubscribed_or_bounced(engine):
    ids = subscribe(engine, ["a@x.example.com", "b@x.example.com", "c@x.example.com"])
    with session_scope(engine) as session:
        rows = [session.get(Subscriber, i) for i in ids]
        rows[1].unsubscribed_at = NOW  # type: ignore[union-attr]
        rows[2].bounced_at = NOW  # type: ignore[union-attr]
        drafts = drafts_for(rows, subject_line="s", text="t", html="h")  # type: ignore[arg-type]
    assert [(d.address, d.subscriber_id) for d in drafts] == [("a@x.example.com", ids[0])]
