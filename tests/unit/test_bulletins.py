"""Bulletins: the draft drawn from a seeded period, the three versions (escaped, split under
Telegram's limit, rendering for an empty period), sending once and freezing what went out,
scheduled bulletins going out when due."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlmodel import Session, col, select

from tracker.bulletins import draft as drafts
from tracker.bulletins.period import Period, PeriodError, parse_period
from tracker.bulletins.render import (
    UNSUBSCRIBE_PLACEHOLDER,
    email_html,
    plain_text,
    telegram_parts,
)
from tracker.bulletins.send import MailLinks, audience, send_bulletin, send_due, send_test
from tracker.bulletins.store import BulletinError, add_item, move_item, open_bulletin, schedule
from tracker.db import session_scope
from tracker.message_fit import size
from tracker.models import (
    Action,
    ActionResponsible,
    Bulletin,
    BulletinStatus,
    Cluster,
    ClusterFollow,
    Event,
    EventStatus,
    Indicator,
    IndicatorValue,
    MailMessage,
    Notification,
    Organisation,
    Person,
    Role,
    Rsvp,
    RsvpAnswer,
    Status,
    StatusUpdate,
    Subscriber,
)
from tracker.quarters import ISTANBUL
from tracker.unsubscribe import subscriber_of

NOW = datetime(2014, 4, 10, 10, 0, tzinfo=ISTANBUL)
Q1 = Period(2014, 1)
LINKS = MailLinks("https://portal.example", "s3cret")
EVIL = "<script>alert(1)</script> & <b>kalın</b>"


def seed(engine) -> None:
    """A first quarter of 2014: two actions reported on, an event held and one to come, a
    figure that moved, members who joined."""
    with session_scope(engine) as session:
        done, going, idle = session.exec(select(Action).order_by(Action.id).limit(3)).all()
        org_of = {a.id: session.exec(select(ActionResponsible.organisation_id).where(
            ActionResponsible.action_id == a.id)).first() for a in (done, going, idle)}

        def update(action, quarter, status, progress, words, version=1):
            session.add(StatusUpdate(action_id=action.id, organisation_id=org_of[action.id],
                                     quarter=quarter, version=version, status=status,
                                     progress=progress, narrative=words,
                                     created_at=datetime(2014, 3, 20, tzinfo=ISTANBUL)))

        update(done, "2014Q1", Status.COMPLETED, 100, "Çalıştay yapıldı.")
        update(going, "2013Q4", Status.IN_PROGRESS, 20, "Başladık.")
        update(going, "2014Q1", Status.IN_PROGRESS, 60, "Anket sahada.")
        update(idle, "2014Q1", Status.NOT_STARTED, 0, "Henüz yok.")
        member = Person(telegram_user_id=501, display_name="Üye", role=Role.MEMBER,
                        consent_at=NOW - timedelta(days=200))
        session.add(member)
        session.flush()
        held = Event(title="Kümelenme günü", starts_at=datetime(2014, 2, 5, 14, tzinfo=ISTANBUL),
                     status=EventStatus.PUBLISHED, checkin_token=secrets.token_hex(8),
                     all_members=True, manual_attendance=12)
        coming = Event(title="Yenilik atölyesi",
                       starts_at=datetime(2014, 5, 7, 10, tzinfo=ISTANBUL),
                       status=EventStatus.PUBLISHED, checkin_token=secrets.token_hex(8),
                       all_members=True, place="İzmir")
        session.add_all([held, coming])
        session.flush()
        session.add(Rsvp(event_id=held.id, person_id=member.id, answer=RsvpAnswer.YES,
                         satisfaction=4))
        cluster = session.exec(select(Cluster).order_by(Cluster.id)).first()
        indicator = session.exec(select(Indicator).where(Indicator.level == 1)
                                 .order_by(Indicator.id)).first()
        body = session.exec(select(Organisation)).first()
        for period, value in (("2013Q4", Decimal(40)), ("2014Q1", Decimal(50))):
            session.add(IndicatorValue(indicator_id=indicator.id, cluster_id=cluster.id,
                                       organisation_id=body.id, subject_key=f"c{cluster.id}",
                                       period=period, value=value))
        session.add(ClusterFollow(person_id=member.id, cluster_id=cluster.id,
                                  started_at=datetime(2014, 2, 1, tzinfo=ISTANBUL)))


def test_periods_are_quarters_or_months():
    assert str(parse_period("2014Q1")) == "2014Q1"
    assert str(parse_period("2014 1. çeyrek")) == "2014Q1"
    month = parse_period("2014-3")
    assert str(month) == "2014-03" and month.quarter == 1
    assert month.end == datetime(2014, 4, 1, tzinfo=ISTANBUL)
    assert parse_period("2014-12").end == datetime(2015, 1, 1, tzinfo=ISTANBUL)
    for bad in ("2014-13", "2014", "mart"):
        with pytest.raises(PeriodError):
            parse_period(bad)


def test_the_draft_holds_what_happened_in_the_period(engine):
    seed(engine)
    with Session(engine) as session:
        draft = drafts.compose(session, Q1, NOW)
    assert [(a.status, a.progress, a.previous, a.narrative) for a in draft.actions] == [
        ("completed", 100, None, "Çalıştay yapıldı."), ("in_progress", 60, 20, "Anket sahada.")]
    assert [(e.title, e.participants, e.attended, e.satisfaction) for e in draft.held] == [
        ("Kümelenme günü", 1, 12, Decimal(4))]
    assert [e.title for e in draft.upcoming] == ["Yenilik atölyesi"]
    (highlight,) = draft.highlights
    assert (highlight.before, highlight.after, highlight.relative) == (40, 50, Decimal("25.0"))
    assert highlight.unit
    assert [(g.before, g.after, g.joined) for g in draft.growth] == [(0, 1, 1)]
    text = plain_text(draft)
    for words in ("Çalıştay yapıldı.", "Kümelenme günü", "Memnuniyet: 4,0/5", "Yenilik atölyesi",
                  "+%25", highlight.unit):
        assert words in text
    with Session(engine) as session:  # a month: only what was written in it
        march = drafts.compose(session, parse_period("2014-03"), NOW)
        february = drafts.compose(session, parse_period("2014-02"), NOW)
    assert len(march.actions) == 2 and not february.actions
    assert [e.title for e in february.held] == ["Kümelenme günü"] and not march.held


def test_an_empty_period_renders_in_every_version(engine):
    with Session(engine) as session:
        draft = drafts.compose(session, Period(2030, 2), NOW)
    assert draft.empty
    (part,) = telegram_parts(draft)
    assert "2030 2. Çeyrek" in part and "henüz paylaşılacak bir gelişme yok" in part
    html = email_html(draft)
    assert 'lang="tr"' in html and UNSUBSCRIBE_PLACEHOLDER in html
    assert "style=" in html  # the CSS is inlined
    assert "henüz paylaşılacak" in plain_text(draft)
    month = drafts.BulletinDraft(period=parse_period("2014-03"))
    assert "Mart 2014" in plain_text(month)


def test_html_in_a_news_item_is_escaped_in_every_version(engine):
    with session_scope(engine) as session:
        bulletin = open_bulletin(session, Q1, None, NOW)
        add_item(session, bulletin, title=EVIL, body=EVIL, link="https://x.example/?a=1&b=\"2\"",
                 now=NOW)
        draft = drafts.compose(session, Q1, NOW, bulletin_id=bulletin.id)
    for html in (*telegram_parts(draft), email_html(draft)):
        assert "<script>" not in html and "<b>kalın</b>" not in html
        assert "&lt;script&gt;" in html
        assert 'href="https://x.example/?a=1&amp;b=' in html  # the quote cannot end it
        assert 'b="2"">' not in html and 'b="2" ' not in html
    assert EVIL in plain_text(draft)  # plain text is not HTML: shown as typed


def test_long_bulletins_are_split_at_sections_under_the_limit(engine):
    with session_scope(engine) as session:
        bulletin = open_bulletin(session, Q1, None, NOW)
        for i in range(20):
            add_item(session, bulletin, title=f"Haber {i}", body="uzun metin " * 180, now=NOW)
        draft = drafts.compose(session, Q1, NOW, bulletin_id=bulletin.id)
    parts = telegram_parts(draft)
    assert len(parts) > 5
    assert all(size(p) <= 4096 for p in parts)
    assert parts[0].startswith("📰") and "/abone" in parts[-1]
    joined = "".join(parts)
    assert all(f"Haber {i}" in joined for i in range(20))
    small = drafts.BulletinDraft(period=Q1, news=draft.news[:1])
    assert len(telegram_parts(small)) == 1  # header, one item and footer fit one message


def _people(engine) -> None:
    with session_scope(engine) as session:
        org = session.exec(select(Organisation)).first()
        session.add_all([
            Person(telegram_user_id=601, display_name="Üye A", role=Role.MEMBER, consent_at=NOW),
            Person(telegram_user_id=602, display_name="Üye kapalı", role=Role.MEMBER,
                   consent_at=NOW, bulletins=False),
            Person(telegram_user_id=603, display_name="Üye durdu", role=Role.MEMBER,
                   consent_at=NOW, stopped_at=NOW),
            Person(telegram_user_id=604, display_name="Sorumlu", role=Role.REPORTER,
                   organisation_id=org.id),
            Subscriber(email="Ayse@Example.com", email_key="ayse@example.com", name="Ayşe",
                       consent_source="test", consent_at=NOW),
            Subscriber(email="gitti@example.com", email_key="gitti@example.com",
                       consent_source="test", consent_at=NOW, unsubscribed_at=NOW),
        ])


def test_sending_writes_a_row_per_person_and_part_and_a_mail_per_subscriber(engine):
    seed(engine)
    _people(engine)
    with session_scope(engine) as session:
        bulletin = open_bulletin(session, Q1, None, NOW)
        delivery = send_bulletin(session, bulletin, NOW, LINKS)
        again = pytest.raises(BulletinError, send_bulletin, session, bulletin, NOW, LINKS)
        assert again.value.code == "bulletin_sent"
    assert (delivery.telegram, delivery.email, delivery.parts) == (3, 1, 1)
    with Session(engine) as session:
        rows = session.exec(select(Notification).where(Notification.kind == "bulletin")).all()
        assert sorted(r.chat_id for r in rows) == [501, 601, 604]
        (mail,) = session.exec(select(MailMessage)).all()
        assert mail.address == "Ayse@Example.com" and "Kümelenme Bülteni" in mail.subject_line
        link = next(w for w in mail.text.split() if "/abonelik/iptal/" in w)
        assert link.startswith("https://portal.example/abonelik/iptal/")
        assert subscriber_of("s3cret", link.rsplit("/", 1)[1]) == mail.subscriber_id
        assert link in mail.html and UNSUBSCRIBE_PLACEHOLDER not in mail.html
        stored = session.exec(select(Bulletin)).one()
        assert stored.status == BulletinStatus.SENT and stored.frozen_telegram == [rows[0].text]


def test_a_sent_bulletin_never_changes(engine):
    seed(engine)
    with session_scope(engine) as session:
        bulletin = open_bulletin(session, Q1, None, NOW)
        item = add_item(session, bulletin, title="İlk haber", now=NOW)
        send_bulletin(session, bulletin, NOW, LINKS)
        frozen = (bulletin.frozen_html, bulletin.frozen_text, bulletin.frozen_telegram)
        for change in (lambda: add_item(session, bulletin, title="Geç", now=NOW),
                       lambda: move_item(session, bulletin, item.id, True, NOW),
                       lambda: schedule(session, bulletin, NOW + timedelta(days=1), NOW)):
            with pytest.raises(BulletinError):
                change()
        # The data it was drawn from changes afterwards: what went out stays.
        session.exec(select(Event)).first().title = "Başka"
    with Session(engine) as session:
        stored = session.exec(select(Bulletin)).one()
        assert (stored.frozen_html, stored.frozen_text, stored.frozen_telegram) == frozen
        assert "İlk haber" in stored.frozen_text


def test_a_scheduled_bulletin_goes_out_when_due_and_once(engine):
    _people(engine)
    at = NOW + timedelta(hours=3)
    with session_scope(engine) as session:
        bulletin = open_bulletin(session, Q1, None, NOW)
        schedule(session, bulletin, at, NOW)
        assert audience(session, bulletin, LINKS, NOW).telegram == 2
    with session_scope(engine) as session:
        assert send_due(session, at - timedelta(minutes=1), LINKS) == []
    with session_scope(engine) as session:
        (delivery,) = send_due(session, at, LINKS)
        assert delivery.telegram == 2
    with session_scope(engine) as session:
        assert send_due(session, at + timedelta(minutes=1), LINKS) == []
        stored = session.exec(select(Bulletin)).one()
        assert stored.status == BulletinStatus.SENT and stored.sent_at == at
        assert len(session.exec(select(Notification).where(
            col(Notification.kind) == "bulletin")).all()) == 2


def test_a_test_goes_to_the_persons_chat_and_mail(engine):
    with session_scope(engine) as session:
        org = session.exec(select(Organisation)).first()
        person = Person(telegram_user_id=700, display_name="Ajans", role=Role.AGENCY,
                        organisation_id=org.id, email="ajans@example.com")
        session.add(person)
        bulletin = open_bulletin(session, Q1, person, NOW)
        result = send_test(session, bulletin, person, NOW, LINKS)
        second = send_test(session, bulletin, person, NOW + timedelta(minutes=2), LINKS)
    assert (result.parts, result.email, second.parts) == (1, "ajans@example.com", 1)
    with Session(engine) as session:
        rows = session.exec(select(Notification)).all()
        assert [r.chat_id for r in rows] == [700, 700]
        assert len(session.exec(select(MailMessage)).all()) == 2
        assert session.exec(select(Bulletin)).one().status == BulletinStatus.DRAFT


def test_of_two_senders_at_once_one_sends(engine):
    """The scheduler and a person's "Şimdi gönder" on the same bulletin: one of them sends."""
    _people(engine)
    with session_scope(engine) as session:
        open_bulletin(session, Q1, None, NOW)
    with Session(engine) as late:
        stale = late.exec(select(Bulletin)).one()  # read while it was still a draft
        with session_scope(engine) as first:
            send_bulletin(first, first.exec(select(Bulletin)).one(), NOW, LINKS)
        with pytest.raises(BulletinError) as refused:
            send_bulletin(late, stale, NOW, LINKS)
        assert refused.value.code == "bulletin_sent"
        late.rollback()
    with Session(engine) as session:
        assert len(session.exec(select(Notification)).all()) == 2
