"""Issue 11 end to end: a bulletin sent from the tracker reaches a subscriber through a real
SMTP server (aiosmtpd), the unsubscribe link in that mail works through the portal (one-click
POST, RFC 8058), the archive shows the bulletin, and the next bulletin is not mailed to the
address that left — while the one who stayed gets it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
from sqlmodel import Session, select
from starlette.testclient import TestClient

from bot.mailer import MailLimits, MailSender, MailSettings
from tests.smtp_server import Mailbox
from tracker.bulletins.period import parse_period
from tracker.bulletins.send import MailLinks, send_bulletin
from tracker.bulletins.store import add_item, open_bulletin
from tracker.clock import Clock
from tracker.db import session_scope
from tracker.mail.message import MailIdentity
from tracker.models import MailMessage, MailStatus, Subscriber
from tracker.quarters import ISTANBUL
from web.app import Portal, create_app

NOW = datetime(2014, 4, 10, 10, 0, tzinfo=ISTANBUL)
BASE_URL = "https://portal.izka.example.org"
SECRET = "uçtan-uca-gizli"
FAST = MailLimits(rate=200, backoff=(0.05, 0.1), reconnect=(0.05, 0.1), reconnect_tries=2,
                  poll=0.1, linger=2.0, idle_close=5.0)
LEAVER, STAYER = "ayse@firma.example.com", "mehmet@firma.example.com"


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox()
    box.start()
    yield box
    box.stop()


def _mail_sender(engine, box: Mailbox) -> MailSender:
    identity = MailIdentity(sender="İzmir Kalkınma Ajansı <bulten@izka.example.org>",
                            reply_to="kumelenme@izka.example.org", base_url=BASE_URL,
                            secret=SECRET)
    settings = MailSettings(identity=identity, host=box.host, port=box.port, security="none",
                            timeout=5.0, limits=FAST)
    return MailSender(engine, Clock(NOW), settings)


def _send(engine, period: str, news: str) -> None:
    with session_scope(engine) as session:
        bulletin = open_bulletin(session, parse_period(period), None, NOW)
        add_item(session, bulletin, title=news, body="<b>kalın değil</b> & düz metin", now=NOW)
        send_bulletin(session, bulletin, NOW, MailLinks(base_url=BASE_URL, secret=SECRET))


async def test_a_subscriber_gets_the_bulletin_leaves_by_its_link_and_gets_no_more(
        engine, mailbox):
    with session_scope(engine) as session:
        for address in (LEAVER, STAYER):
            session.add(Subscriber(email=address, email_key=address, name="Abone",
                                   consent_source="test", consent_at=NOW))
    _send(engine, "2014Q1", "Kümelenme Portalı yenilendi")
    report = await _mail_sender(engine, mailbox).drain()
    assert (report.sent, report.failed) == (2, 0)

    [mail] = [m for m in mailbox.messages() if m["To"].addresses[0].addr_spec == LEAVER]
    html = mail.get_body(("html",)).get_content()
    assert "Kümelenme Portalı yenilendi" in html
    assert "&lt;b&gt;kalın değil&lt;/b&gt; &amp; düz metin" in html  # escaped, not markup
    link = str(mail["List-Unsubscribe"]).split(",")[0].strip(" <>")
    assert link.startswith(f"{BASE_URL}/abonelik/iptal/") and link in html  # visible too

    portal = Portal(engine=engine, now=lambda: NOW, base_url=BASE_URL, secret=SECRET)
    with TestClient(create_app(portal), base_url=BASE_URL) as client:
        path = link.removeprefix(BASE_URL)
        assert client.get(path).status_code == 200  # the confirmation page changes nothing
        with Session(engine) as session:
            assert session.exec(select(Subscriber).where(
                Subscriber.email == LEAVER)).one().unsubscribed_at is None
        one_click = client.post(path, data={"List-Unsubscribe": "One-Click"})
        assert one_click.status_code == 200
        forged = client.post(path[:-3] + "xyz", data={"List-Unsubscribe": "One-Click"})
        assert forged.status_code == 404
        archive = client.get("/")
        assert "2014" in archive.text and client.get("/bultenler/2014Q1").status_code == 200

    _send(engine, "2014Q2", "İkinci çeyrek haberleri")
    report = await _mail_sender(engine, mailbox).drain()
    second = [m["To"].addresses[0].addr_spec for m in mailbox.messages()
              if "İkinci çeyrek haberleri" in m.get_body(("html",)).get_content()]
    assert second == [STAYER]
    with Session(engine) as session:
        statuses = {(m.period, m.address): m.status
                    for m in session.exec(select(MailMessage)).all()}
    assert statuses[("2014Q1", LEAVER)] == MailStatus.SENT
    assert ("2014Q2", LEAVER) not in statuses  # never even written
    assert statuses[("2014Q2", STAYER)] == MailStatus.SENT
