"""tracker.portal's small rules: period names, what of a frozen mail is public, masked
addresses; web.links: the same page as a route and as a static file."""

from __future__ import annotations

import pytest

from tracker.models import Bulletin, BulletinStatus
from tracker.portal import PERIOD, bulletin_body, masked_address, period_label, summary
from web.links import Links

MARK = "https://kume.invalid/abonelik/iptal/KUME-UNSUBSCRIBE-LINK"


@pytest.mark.parametrize(("period", "label"), [
    ("2014Q1", "2014 1. Çeyrek"), ("2014-03", "Mart 2014"), ("2014-12", "Aralık 2014"),
    ("2014-13", "2014-13"), ("../x", "../x"),
])
def test_period_label(period, label):
    assert period_label(period) == label


def test_only_a_well_formed_period_names_a_page():
    assert [p for p in ("2014Q1", "2014-06", "2014Q5", "2014-00", "2014q1", "2014Q1.html",
                        "../2014Q1") if PERIOD.match(p)] == ["2014Q1", "2014-06"]


def _bulletin(html: str, text: str = "") -> Bulletin:
    return Bulletin(period="2014Q1", status=BulletinStatus.SENT, frozen_html=html,
                    frozen_text=text)


def test_the_public_body_is_the_mails_body_without_its_unsubscribe_link():
    html = (f'<html><head><style>p{{}}</style></head><body class="x"><p>Haber &lt;b&gt;</p>'
            f'<p style="a">Ajans</p><p style="b">İptal: <a href="{MARK}">{MARK}</a></p>'
            f'<div><a href="{MARK}">iptal</a> kalan</div></body></html>')
    assert bulletin_body(_bulletin(html)) == (
        '<p>Haber &lt;b&gt;</p><p style="a">Ajans</p><div> kalan</div>')
    assert bulletin_body(_bulletin("<p>no document</p>")) == "<p>no document</p>"


def test_the_summary_is_the_text_without_the_link_and_shortened():
    text = "Başlık\n\nHaber bir.\n\nİptal için: " + MARK
    assert summary(_bulletin("", text)) == "Başlık Haber bir."
    assert summary(_bulletin("", "söz " * 100), limit=20) == "söz söz söz söz söz…"


def test_masked_address():
    assert masked_address("ayse.yilmaz@example.com") == "a***@example.com"
    assert masked_address("garbled") == "***"


def test_a_page_is_a_route_live_and_a_relative_file_static():
    live = Links("https://portal.example.org/")
    assert live.url("bulletin", period="2014Q1") == "/bultenler/2014Q1"
    assert live.absolute("feed") == "https://portal.example.org/bultenler.atom"
    static = Links("https://izka.example.org/kume/", static=True)
    assert static.url("index") == "index.html"
    assert static.at(1).url("css") == "../site.css"
    assert static.at(1).absolute("bulletin", period="2014Q1") == (
        "https://izka.example.org/kume/bulletins/2014Q1.html")
    assert static.file("event_ics", event_id=7) == "events/7.ics"
