"""/rapor's events: the Etkinlikler sheet (text cells, whatever a title holds), the summary's
lines per cluster and per action, and the scope of a plan item or a cluster."""

from __future__ import annotations

import io
import secrets
from datetime import datetime

import openpyxl
from sqlmodel import Session, select

from tracker import reports
from tracker.calendar import CalendarSettings
from tracker.db import session_scope
from tracker.models import (
    Action,
    Cluster,
    Event,
    EventAudience,
    EventStatus,
    Notification,
    NotificationStatus,
    Person,
    Role,
    Rsvp,
    RsvpAnswer,
)
from tracker.quarters import ISTANBUL, Quarter
from tracker.reports import ReportFilters

NOW = datetime(2014, 7, 20, 10, 0, tzinfo=ISTANBUL)
Q2 = Quarter(2014, 2)
FORMULA = "=HYPERLINK(\"http://x\",\"<b>tıkla</b>\")"


def seed(engine) -> dict[str, str]:
    with session_scope(engine) as session:
        e314 = session.exec(select(Action).where(Action.code == "E3.1.4")).one()
        e315 = session.exec(select(Action).where(Action.code == "E3.1.5")).one()
        first, second = session.exec(select(Cluster).order_by(Cluster.id).limit(2)).all()
        people = [Person(telegram_user_id=100 + i, display_name=f"Üye {i}", role=Role.MEMBER,
                         consent_at=NOW) for i in range(4)]
        session.add_all(people)
        session.flush()

        def event(title, day, action, clusters, manual=None, status=EventStatus.PUBLISHED):
            row = Event(title=title, starts_at=datetime(2014, 5, day, 14, tzinfo=ISTANBUL),
                        action_id=action.id, status=status, all_members=not clusters,
                        checkin_token=secrets.token_hex(8), manual_attendance=manual)
            session.add(row)
            session.flush()
            for c in clusters:
                session.add(EventAudience(event_id=row.id, cluster_id=c.id))
            return row

        a = event(FORMULA, 5, e314, [first], manual=20)
        b = event("İkinci", 12, e314, [first, second])
        c = event("Herkese", 19, e315, [])
        event("İptal", 20, e314, [first], status=EventStatus.CANCELLED)
        answers = (
            (people[0], a, RsvpAnswer.YES, True, 5), (people[1], a, RsvpAnswer.YES, True, 4),
            (people[2], a, RsvpAnswer.NO, False, None), (people[0], b, RsvpAnswer.YES, True, 3),
            (None, b, RsvpAnswer.YES, True, None), (people[3], c, RsvpAnswer.WAITING, False, None),
        )
        for person, ev, answer, came, score in answers:
            session.add(Rsvp(event_id=ev.id, person_id=person.id if person else None,
                             answer=answer, attended_at=NOW if came else None,
                             satisfaction=score))
            if person is not None:
                session.add(Notification(
                    key=f"event_notice|event:{ev.id}|1|{person.id}", kind="event_notice",
                    subject=f"event:{ev.id}", period="1", person_id=person.id,
                    chat_id=person.telegram_user_id, text="x", status=NotificationStatus.SENT,
                    not_before=NOW))
        return {"first": first.code, "second": second.code}


def build(engine, **filters) -> reports.Report:
    with session_scope(engine) as session:
        return reports.build_report(session, ReportFilters(**filters), now=NOW,
                                    settings=CalendarSettings())


def test_the_events_sheet_and_summary(engine):
    codes = seed(engine)
    report = build(engine, period=Q2)
    assert [e.title for e in report.events] == [FORMULA, "İkinci", "Herkese"]
    book = openpyxl.load_workbook(io.BytesIO(reports.workbook_bytes(report)))
    sheet = book["Etkinlikler"]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0] == ["Tarih", "Etkinlik", "Kümeler", "Eylem kodu", "Duyurulan",
                       "Katılacağını bildiren", "Kodla yoklama", "Elle sayım", "Katılan",
                       "Memnuniyet (1-5)", "Memnuniyet yanıtı"]
    assert rows[1][1:] == [FORMULA, codes["first"], "E3.1.4", 3, 2, 2, 20, 22, 4.5, 2]
    assert sheet.cell(2, 2).data_type == "s"  # a formula-like title stays text
    assert rows[2][1:] == ["İkinci", "; ".join(sorted([codes["first"], codes["second"]])),
                           "E3.1.4", 1, 2, 2, None, 2, 3, 1]
    assert rows[3][1:] == ["Herkese", "tüm üyeler", "E3.1.5", 1, 0, 0, None, 0, None, 0]
    assert rows[1][0] == datetime(2014, 5, 5, 14, 0)
    summary = reports.summary_text(report)
    assert "<b>Etkinlikler</b>" in summary
    assert "3 etkinlik · katılacağını bildiren 4 · katılan 24 · memnuniyet 4,0/5" in summary
    assert f"{codes['first']} 2 etkinlik, 24 katılan" in summary
    assert "E3.1.4 2 etkinlik, 24 katılan; E3.1.5 1 etkinlik, 0 katılan" in summary
    overview = [[c.value for c in row][:2] for row in book["Özet"].iter_rows()]
    assert ["Etkinlik sayısı", 3] in overview and ["Etkinlik katılımı", 24] in overview


def test_the_events_follow_the_reports_scope(engine):
    codes = seed(engine)
    assert [e.title for e in build(engine, period=Q2, scope="E3.1.5").events] == ["Herkese"]
    in_cluster = build(engine, period=Q2, topic="kume", cluster=codes["second"]).events
    assert [e.title for e in in_cluster] == ["İkinci", "Herkese"]
    assert build(engine, period=Quarter(2014, 1)).events == ()
    with Session(engine) as session:
        assert session.exec(select(Event)).first() is not None
