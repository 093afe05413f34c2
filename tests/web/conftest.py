"""The portal's fixtures: a database with sent and draft bulletins, events in every state,
subscribers and status reports, made directly with the models; the application around it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from tracker.models import (
    Action,
    Bulletin,
    BulletinStatus,
    Event,
    EventStatus,
    Organisation,
    Person,
    Role,
    Status,
    StatusUpdate,
    Subscriber,
)
from tracker.quarters import ISTANBUL
from tracker.rows import id_of
from tracker.unsubscribe import unsubscribe_url
from web.app import Portal, create_app

SECRET = "portal-test-secret"
BASE_URL = "https://portal.example.org"
NOW = datetime(2014, 7, 10, 10, 0, tzinfo=ISTANBUL)
ODD = "<script>alert(1)</script> & “Ayşe”"  # what a person might type
# Where each recipient's own link went in the frozen mail (tracker.bulletins' mark).
UNSUBSCRIBE_MARK = "https://kume.invalid/abonelik/iptal/KUME-UNSUBSCRIBE-LINK"


def mail_html(title: str, news: str) -> str:
    """A bulletin as the e-mail version goes out: a whole document, a 600 px table layout
    with its CSS inlined, the text already escaped when it was composed."""
    return f"""<!DOCTYPE html><html lang="tr"><head><meta charset="utf-8">
<title>{title}</title><style>@media (max-width:600px){{.w{{width:100%!important}}}}</style>
</head><body style="margin:0;background:#eef2f6">
<table role="presentation" width="600" class="w" style="width:600px;margin:0 auto;background:#fff">
<tr><td style="padding:16px;font-family:Arial,sans-serif">
<h1 style="font-size:22px;color:#0b5aa2">{title}</h1>
<h2 style="font-size:18px">Haberler</h2><p>{news}</p>
<h2 style="font-size:18px">Tamamlanan eylemler</h2>
<p>E1.2.3 · Ulusal ve uluslararası küme örgütleriyle işbirliği ağları: %100, Tamamlandı.</p>
<p><a href="https://ornek.example.org/haber">Ayrıntılar</a></p>
</td></tr>
<tr><td><p style="font-size:12px">İzmir Kalkınma Ajansı</p><p style="font-size:12px">Aboneliğinizi
buradan sonlandırabilirsiniz: <a href="{UNSUBSCRIBE_MARK}">{UNSUBSCRIBE_MARK}</a></p></td></tr>
</table></body></html>"""


@dataclass
class PortalData:
    engine: Engine
    subscriber_id: int
    gone_subscriber_id: int
    upcoming_id: int
    past_id: int
    pending_id: int
    cancelled_id: int

    def unsubscribe_path(self, subscriber_id: int | None = None) -> str:
        url = unsubscribe_url(BASE_URL, SECRET, subscriber_id or self.subscriber_id)
        return url.removeprefix(BASE_URL)


def _event(session: Session, title: str, starts: datetime, status: EventStatus,
           token: str, **extra: object) -> int:
    event = Event(title=title, starts_at=starts, status=status, checkin_token=token, **extra)
    session.add(event)
    session.flush()
    return id_of(event)


def fill(engine: Engine, odd: str = ODD) -> PortalData:
    """The portal's data; `odd` is what a person might type, put in every free text (the
    README's screenshots are taken without it)."""
    with Session(engine) as session:
        session.add(Bulletin(period="2014Q1", status=BulletinStatus.SENT,
                             sent_at=datetime(2014, 4, 15, 7, tzinfo=UTC),
                             frozen_html=mail_html("Bülten 2014 1. Çeyrek",
                                                   "Organik gıda kümesi fuara katıldı."),
                             frozen_text="Bülten 2014 1. Çeyrek\n\nOrganik gıda kümesi fuara "
                                         "katıldı. " + odd + "\n\nAboneliğinizi "
                                         "sonlandırın: " + UNSUBSCRIBE_MARK))
        session.add(Bulletin(period="2014-06", status=BulletinStatus.SENT,
                             sent_at=datetime(2014, 7, 2, 7, tzinfo=UTC),
                             frozen_html=mail_html("Bülten Haziran 2014",
                                                   "&lt;b&gt;Yeni&lt;/b&gt; üyeler katıldı."),
                             frozen_text="Bülten Haziran 2014\n\nYeni üyeler katıldı."))
        session.add(Bulletin(period="2014Q2", status=BulletinStatus.DRAFT,
                             frozen_html=mail_html("Taslak gizli", "Taslak gizli")))
        upcoming = _event(session, ("Organik gıda ihracat semineri " + odd).strip(),
                          NOW + timedelta(days=5),
                          EventStatus.PUBLISHED, "tok-up", place="İzmir Ticaret Odası, Alsancak",
                          description="İhracat destekleri anlatılacak.\n" + odd)
        past = _event(session, "Küme tanışma toplantısı", NOW - timedelta(days=20),
                      EventStatus.PUBLISHED, "tok-past",
                      online_url="https://toplanti.example.org/kume")
        pending = _event(session, "Onay bekleyen gizli etkinlik", NOW + timedelta(days=3),
                         EventStatus.PENDING_APPROVAL, "tok-pending")
        _event(session, "Reddedilen gizli etkinlik", NOW + timedelta(days=4),
               EventStatus.REJECTED, "tok-rejected")
        cancelled = _event(session, "İptal edilen etkinlik", NOW + timedelta(days=6),
                           EventStatus.CANCELLED, "tok-cancelled", revision=2)
        subscriber = Subscriber(email="Ayse.Yilmaz@example.com",
                                email_key="ayse.yilmaz@example.com", name="Ayşe Yılmaz",
                                consent_source="uyeler-2014.csv",
                                consent_at=datetime(2014, 1, 5, tzinfo=UTC))
        gone = Subscriber(email="gone@example.com", email_key="gone@example.com",
                          consent_source="portal", consent_at=datetime(2014, 1, 5, tzinfo=UTC),
                          unsubscribed_at=datetime(2014, 3, 1, tzinfo=UTC))
        session.add(subscriber)
        session.add(gone)
        ebso = session.exec(select(Organisation).where(Organisation.short == "EBSO")).one()
        reporter = Person(display_name="Gizli Kişi Adı", organisation_id=ebso.id,
                          role=Role.REPORTER)
        session.add(reporter)
        session.flush()
        action = session.exec(select(Action).where(Action.code == "E1.2.3")).one()
        for quarter, version, status, progress in [
            ("2014Q1", 1, Status.IN_PROGRESS, 40),
            ("2014Q2", 1, Status.IN_PROGRESS, 60),
            ("2014Q2", 2, Status.COMPLETED, 100),
        ]:
            session.add(StatusUpdate(action_id=id_of(action), organisation_id=id_of(ebso),
                                     quarter=quarter, version=version, status=status,
                                     progress=progress, person_id=reporter.id,
                                     narrative="Gizli anlatı: Ayşe Hanım ile görüşüldü."))
        session.commit()
        return PortalData(engine, id_of(subscriber), id_of(gone), upcoming, past, pending,
                          cancelled)


@pytest.fixture
def portal_data(engine: Engine) -> PortalData:
    return fill(engine)


def make_client(engine: Engine, public_progress: bool = False,
                secret: str | None = SECRET) -> TestClient:
    portal = Portal(engine=engine, now=lambda: NOW, base_url=BASE_URL,
                    public_progress=public_progress, secret=secret)
    return TestClient(create_app(portal), raise_server_exceptions=False)


@pytest.fixture
def client(portal_data: PortalData) -> Iterator[TestClient]:
    with make_client(portal_data.engine) as test_client:
        yield test_client
