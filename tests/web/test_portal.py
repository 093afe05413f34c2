"""The portal's routes through Starlette's TestClient, on both databases: what a visitor sees,
what a feed or calendar reader gets, what the unsubscribe link stores, what /healthz says."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from icalendar import Calendar
from sqlmodel import Session

from tests.web.conftest import BASE_URL, NOW, ODD, SECRET, make_client
from tracker.models import (
    MailMessage,
    MailStatus,
    Notification,
    NotificationStatus,
    Person,
    Role,
    Subscriber,
)
from tracker.unsubscribe import unsubscribe_url

ATOM = "{http://www.w3.org/2005/Atom}"


def assert_page(html: str) -> None:
    """What every page must be: Turkish, sized for phones, nothing from elsewhere, escaped."""
    assert '<html lang="tr">' in html
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in html
    assert "<script>" not in html
    for url in re.findall(r'(?:src|href)="([^"]+)"', html):
        # Only the page's own links and the bulletins' own outbound links (never a stylesheet,
        # font or script from elsewhere).
        assert not url.startswith("//")
    assert not re.search(r'<(?:link|script|img)[^>]+(?:href|src)="https?://', html)


# -- the bulletin archive ----------------------------------------------------------------------


def test_the_index_lists_sent_bulletins_newest_first_and_never_a_draft(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    html = response.text
    assert_page(html)
    assert html.index("Haziran 2014") < html.index("2014 1. Çeyrek")
    assert 'href="/bultenler/2014-06"' in html and 'href="/bultenler/2014Q1"' in html
    assert "2014Q2" not in html and "Taslak gizli" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; “Ayşe”" in html  # the summary, escaped
    assert "Organik gıda ihracat semineri" in html  # upcoming events
    assert "Eylem planı" not in html  # progress is not public by default


def test_a_bulletin_page_shows_what_went_out_inside_the_site(client):
    html = client.get("/bultenler/2014-06").text
    assert_page(html)
    assert "<h1>Bülten: Haziran 2014</h1>" in html
    assert "&lt;b&gt;Yeni&lt;/b&gt; üyeler katıldı." in html  # stays as it was escaped
    assert html.count("<body") == 1 and "@media (max-width:600px)" not in html
    assert "Gönderildi: 2 Temmuz 2014" in html
    assert "İzmir Kalkınma Ajansı" in html  # the mail's footer, without its unsubscribe link
    assert "/abonelik/iptal/" not in html and "sonlandırabilirsiniz" not in html
    assert "/abonelik/iptal/" not in client.get("/").text  # nor in the index's summary
    assert "/abonelik/iptal/" not in client.get("/bultenler.atom").text  # nor in the feed


def test_a_draft_an_unknown_or_a_malformed_period_is_a_turkish_404(client):
    for path in ("/bultenler/2014Q2", "/bultenler/2015Q1", "/bultenler/..%2Fetc",
                 "/bultenler/2014Q1<x>", "/yok-boyle-sayfa"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "Sayfa bulunamadı" in response.text
        assert_page(response.text)


def test_the_atom_feed_lists_the_sent_bulletins_with_absolute_links(client):
    response = client.get("/bultenler.atom")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)
    assert feed.findtext(f"{ATOM}title") == "İzmir Kümelenme Portalı bültenleri"
    entries = feed.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries] == [
        "Bülten: Haziran 2014", "Bülten: 2014 1. Çeyrek"]
    assert entries[0].find(f"{ATOM}link").get("href") == f"{BASE_URL}/bultenler/2014-06"
    content = entries[0].find(f"{ATOM}content")
    assert content.get("type") == "html"
    assert "&lt;b&gt;Yeni&lt;/b&gt; üyeler" in content.text  # the HTML itself, as text
    assert feed.findtext(f"{ATOM}updated").startswith("2014-07-02T07:00:00")


# -- the events calendar -----------------------------------------------------------------------


def test_the_events_page_shows_published_events_upcoming_and_past(client):
    html = client.get("/etkinlikler").text
    assert_page(html)
    upcoming, past = html.split("<h2>Geçmiş etkinlikler</h2>")
    assert "Organik gıda ihracat semineri &lt;script&gt;" in upcoming
    assert "İzmir Ticaret Odası, Alsancak" in upcoming
    assert "Küme tanışma toplantısı" in past
    assert 'href="https://toplanti.example.org/kume"' in past
    for hidden in ("Onay bekleyen", "Reddedilen", "İptal edilen"):
        assert hidden not in html
    assert f"{BASE_URL}/etkinlikler.ics" in html


def test_each_public_event_has_its_calendar_file(client, portal_data):
    response = client.get(f"/etkinlikler/{portal_data.upcoming_id}.ics")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert f"etkinlik-{portal_data.upcoming_id}.ics" in response.headers["content-disposition"]
    (entry,) = Calendar.from_ical(response.content).walk("VEVENT")
    assert str(entry["summary"]) == "Organik gıda ihracat semineri " + ODD
    assert entry["dtstart"].dt == (NOW + timedelta(days=5)).astimezone(UTC)
    cancelled = client.get(f"/etkinlikler/{portal_data.cancelled_id}.ics")
    (entry,) = Calendar.from_ical(cancelled.content).walk("VEVENT")
    assert str(entry["status"]) == "CANCELLED"  # a calendar that has it drops it


def test_an_unapproved_or_unknown_event_has_no_calendar_file(client, portal_data):
    for path in (f"/etkinlikler/{portal_data.pending_id}.ics", "/etkinlikler/99999.ics",
                 "/etkinlikler/abc.ics"):
        assert client.get(path).status_code == 404, path


def test_the_calendar_feed_holds_every_upcoming_published_event(client, portal_data):
    response = client.get("/etkinlikler.ics")
    calendar = Calendar.from_ical(response.content)
    assert str(calendar["x-wr-calname"]) == "İzmir Kümelenme Portalı etkinlikleri"
    assert [str(e["uid"]) for e in calendar.walk("VEVENT")] == [
        f"kume-event-{portal_data.upcoming_id}@kume"]


# -- the plan progress page --------------------------------------------------------------------


def test_progress_is_not_public_unless_configured(client):
    assert client.get("/ilerleme").status_code == 404


def test_progress_shows_each_actions_latest_report_and_no_personal_data(portal_data):
    with make_client(portal_data.engine, public_progress=True) as client:
        html = client.get("/ilerleme").text
        assert 'href="/ilerleme"' in client.get("/").text
    assert_page(html)
    assert "Ö1 · Kümelenmenin Yönetişimi" in html and "H1.1 · " in html  # the plan's tree
    e123 = html.split("<strong>E1.2.3</strong>", 1)[1].split("</li>\n</ul>", 1)[0]
    assert "Tamamlandı" in e123 and "%100" in e123 and "2014 2. Çeyrek" in e123 and "EBSO" in e123
    assert "%60" not in e123 and "%40" not in e123  # only the latest version of the latest quarter
    assert "Henüz bildirim yok." in html  # actions nobody reported on
    assert "Gizli" not in html and "Ayşe Hanım" not in html  # no narrative, no person


# -- unsubscribing -----------------------------------------------------------------------------


def _unsubscribed_at(engine, subscriber_id: int) -> datetime | None:
    with Session(engine) as session:
        return session.get(Subscriber, subscriber_id).unsubscribed_at


def test_the_link_asks_first_and_the_form_unsubscribes_once(client, portal_data):
    path = portal_data.unsubscribe_path()
    page = client.get(path)
    assert page.status_code == 200
    assert_page(page.text)
    assert "A***@example.com" in page.text and "Ayse.Yilmaz" not in page.text
    assert f'<form method="post" action="{path}">' in page.text
    assert _unsubscribed_at(portal_data.engine, portal_data.subscriber_id) is None  # GET: nothing

    done = client.post(path)
    assert done.status_code == 200
    assert "Aboneliğiniz iptal edildi" in done.text
    assert _unsubscribed_at(portal_data.engine, portal_data.subscriber_id) == NOW

    again = client.post(path)
    assert again.status_code == 200 and "zaten iptal edilmiş" in again.text
    assert "zaten iptal edilmiş" in client.get(path).text
    assert _unsubscribed_at(portal_data.engine, portal_data.subscriber_id) == NOW  # the first time


def test_one_click_unsubscribe_by_a_mail_provider(client, portal_data):
    """RFC 8058: the provider POSTs `List-Unsubscribe=One-Click` to the header's https link."""
    response = client.post(portal_data.unsubscribe_path(),
                           content=b"List-Unsubscribe=One-Click",
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 200
    assert _unsubscribed_at(portal_data.engine, portal_data.subscriber_id) == NOW
    # ... also as multipart/form-data, as some providers send it
    response = client.post(portal_data.unsubscribe_path(portal_data.gone_subscriber_id),
                           files={"List-Unsubscribe": (None, "One-Click")})
    assert response.status_code == 200 and "zaten iptal edilmiş" in response.text


def test_a_forged_or_foreign_token_is_refused_politely(client, portal_data):
    real = portal_data.unsubscribe_path()
    foreign = unsubscribe_url(BASE_URL, "another-secret", portal_data.subscriber_id)
    nobody = unsubscribe_url(BASE_URL, SECRET, 99999)
    for path in (real[:-3] + "abc", "/abonelik/iptal/1", foreign.removeprefix(BASE_URL),
                 nobody.removeprefix(BASE_URL), "/abonelik/iptal/%3Cscript%3E"):
        for method in (client.get, client.post):
            response = method(path)
            assert response.status_code == 404, path
            assert "Bu abonelik bağlantısı geçerli değil" in response.text
            assert_page(response.text)
    assert _unsubscribed_at(portal_data.engine, portal_data.subscriber_id) is None


def test_without_a_secret_no_link_works(portal_data):
    with make_client(portal_data.engine, secret=None) as client:
        assert client.post(portal_data.unsubscribe_path()).status_code == 404
    assert _unsubscribed_at(portal_data.engine, portal_data.subscriber_id) is None


# -- /healthz ----------------------------------------------------------------------------------


def test_healthz_reports_the_database_the_schema_and_the_outboxes(client, portal_data):
    body = client.get("/healthz").json()
    assert body["ok"] is True and body["database"] is True
    assert body["schema"]["at_head"] is True and body["schema"]["revision"]
    assert body["outbox_oldest_due_seconds"] == {"telegram": None, "mail": None}

    with Session(portal_data.engine) as session:
        person = Person(display_name="x", role=Role.MEMBER)
        session.add(person)
        session.flush()
        for minutes, status in ((30, NotificationStatus.PENDING), (90, NotificationStatus.SENT),
                                (-10, NotificationStatus.PENDING)):
            session.add(Notification(key=f"k{minutes}", kind="k", subject="s", period="p",
                                     person_id=person.id, chat_id=1, text="t", status=status,
                                     not_before=NOW - timedelta(minutes=minutes)))
        session.add(MailMessage(key="m1", kind="bulletin", subject="s", period="2014Q1",
                                address="a@example.com", subject_line="s", text="t", html="h",
                                status=MailStatus.PENDING,
                                not_before=NOW - timedelta(hours=2)))
        session.commit()
    body = client.get("/healthz").json()
    assert body["outbox_oldest_due_seconds"] == {"telegram": 1800.0, "mail": 7200.0}


def test_healthz_is_503_when_the_database_is_away_or_behind(empty_engine, tmp_path):
    away = sa.create_engine(f"sqlite:///{tmp_path}/no-such-folder/kume.sqlite3")
    with make_client(away) as client:
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] is False and response.json()["ok"] is False
    with make_client(empty_engine) as client:  # reachable, never migrated
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] is True and response.json()["schema"]["at_head"] is False


def test_every_response_tells_the_browser_to_run_no_script(client, portal_data):
    for path in ("/", "/bultenler/2014Q1", "/etkinlikler", "/healthz", "/yok",
                 portal_data.unsubscribe_path()):
        headers = client.get(path).headers
        assert "script-src 'none'" in headers["content-security-policy"], path
        assert headers["x-content-type-options"] == "nosniff"


def test_the_stylesheet_is_the_sites_own(client):
    response = client.get("/site.css")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/css")
    assert "@import" not in response.text and "url(" not in response.text
