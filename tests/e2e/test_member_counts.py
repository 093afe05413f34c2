"""Member counts per cluster and period, and how /gosterge offers them as figures."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlmodel import Session, select

from tracker.db import session_scope
from tracker.member_counts import member_counts
from tracker.models import Cluster, ClusterFollow, Dialog, Indicator, IndicatorValue, Person, Role
from tracker.quarters import ISTANBUL, Quarter

Q1, Q2 = Quarter(2014, 1), Quarter(2014, 2)


def at(month: int, day: int, year: int = 2014) -> datetime:
    return datetime(year, month, day, 12, tzinfo=ISTANBUL)


def seed_follows(engine, code: str = "organik-gida") -> int:
    """A and B follow since 2013; C joins in February, B leaves in March, D joins in March
    and leaves in May; E follows another cluster. The cluster's id."""
    with session_scope(engine) as session:
        cluster = session.exec(select(Cluster).where(Cluster.code == code)).one()
        other = session.exec(select(Cluster).where(Cluster.code == "inoviz")).one()
        people = []
        for n in range(5):
            person = Person(display_name=f"Üye {n}", role=Role.MEMBER, telegram_user_id=5000 + n,
                            consent_at=at(1, 1, 2013), consent_version="1")
            session.add(person)
            people.append(person)
        session.flush()
        a, b, c, d, e = (p.id for p in people)
        stints = [
            (a, cluster.id, at(12, 1, 2013), None),
            (b, cluster.id, at(12, 5, 2013), at(3, 1)),
            (c, cluster.id, at(2, 1), None),
            (d, cluster.id, at(3, 10), at(5, 2)),
            (e, other.id, at(1, 10), None),
            (None, cluster.id, at(1, 2), at(1, 3)),  # someone who has since used /sil
        ]
        for person_id, cluster_id, started, ended in stints:
            session.add(ClusterFollow(person_id=person_id, cluster_id=cluster_id,
                                      started_at=started, ended_at=ended))
        return cluster.id


def test_counts_per_cluster_and_period(engine):
    organik = seed_follows(engine)
    with Session(engine) as session:
        (q1,) = member_counts(session, Q1.start, Q1.end, [organik])
        (q2,) = member_counts(session, Q2.start, Q2.end, [organik])
        every = member_counts(session, Q1.start, Q1.end)
    assert (q1.active_before, q1.active, q1.joined, q1.left, q1.change) == (2, 3, 3, 2, 1)
    assert (q2.active_before, q2.active, q2.joined, q2.left, q2.change) == (3, 2, 0, 1, -1)
    assert len(every) == 6
    inoviz = next(c for c in every if c.cluster_code == "inoviz")
    assert (inoviz.active, inoviz.joined, inoviz.left) == (1, 1, 0)
    assert all(c.active == 0 for c in every if c.cluster_code not in ("organik-gida", "inoviz"))


async def test_gosterge_offers_member_counts_with_their_origin(bot_env):
    seed_follows(bot_env.engine)
    user = await bot_env.register(2001, "KY Organik Gıda", Role.REPORTER)
    await user.send("/gosterge")
    first = await user.next_message()
    assert "(1/22) Paydaş sayısı" in first["text"]
    assert "Öneri: 3 adet (kume üye kayıtları: 3 üye)." in first["text"]
    labels = [b["text"] for row in first["reply_markup"]["inline_keyboard"] for b in row]
    assert labels == ["Öneriyi kullan", "Atla"]
    # Offered, never written: nothing stored until the person confirms the summary.
    with Session(bot_env.engine) as session:
        assert session.exec(select(IndicatorValue)).all() == []

    await user.press(first, "Öneriyi kullan")
    message = await user.next_message()
    assert "(2/22)" in message["text"] and "Öneri:" not in message["text"]
    while "Küme paydaş sayısındaki artış/azalış" not in message["text"]:
        await user.press(message, "Atla")
        message = await user.next_message()
    assert ("kume üye kayıtları: dönem başında 2, sonunda 3 üye (3 katılan, 2 ayrılan)"
            in message["text"])
    await user.press(message, "Öneriyi kullan")
    summary = await user.next_message()
    while "Bilgiler doğruysa" not in summary["text"] and "Atla" in str(summary["reply_markup"]):
        await user.press(summary, "Atla")
        summary = await user.next_message()
    assert "G01 Paydaş sayısı: 3 adet" in summary["text"]
    with Session(bot_env.engine) as session:
        assert session.exec(select(IndicatorValue)).all() == []
        assert session.exec(select(Dialog)).one().step == "summary"
    await user.press(summary, "✅ Onayla")
    await user.next_message()
    with Session(bot_env.engine) as session:
        stored = {
            code: value for code, value in session.exec(
                select(Indicator.code, IndicatorValue.value)
                .join(Indicator, Indicator.id == IndicatorValue.indicator_id))
        }
    assert stored == {"G01": Decimal(3), "G22": Decimal(1)}


async def test_no_member_records_no_proposal(bot_env):
    user = await bot_env.register(2001, "KY Organik Gıda", Role.REPORTER)
    await user.send("/gosterge")
    first = await user.next_message()
    assert "Öneri" not in first["text"]
    await user.press_raw(first["message_id"], _prop_data(bot_env, first))
    again = await user.next_message()
    assert again["text"].startswith("⚠️")
    with Session(bot_env.engine) as session:
        assert session.exec(select(IndicatorValue)).all() == []


def _prop_data(env, message: dict) -> str:
    """A forged "Öneriyi kullan" on a question that offers none."""
    data = message["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    return data.rsplit(":", 1)[0] + ":prop"


def test_the_report_has_a_members_sheet_and_a_summary_line(engine):
    import io

    import openpyxl

    from tracker import reports
    from tracker.calendar import CalendarSettings
    from tracker.reports import ReportFilters

    seed_follows(engine)
    now = at(4, 10)
    with session_scope(engine) as session:
        report = reports.build_report(session, ReportFilters(period=Q1), now=now,
                                      settings=CalendarSettings())
        one = reports.build_report(
            session, ReportFilters(period=Q1, topic="kume", cluster="organik-gida"), now=now,
            settings=CalendarSettings())
    organik = next(m for m in report.members if m.cluster_code == "organik-gida")
    assert (organik.active_before, organik.active, organik.joined, organik.left) == (2, 3, 3, 2)
    assert len(report.members) == 6
    assert [m.cluster_code for m in one.members] == ["organik-gida"]

    summary = reports.summary_text(report)
    assert "👥 Küme üyeleri: 4 (bu dönemde 4 katılan, 2 ayrılan)" in summary
    assert "👥 Küme üyeleri: 3 (bu dönemde 3 katılan, 2 ayrılan)" in reports.summary_text(one)

    book = openpyxl.load_workbook(io.BytesIO(reports.workbook_bytes(report)))
    rows = list(book["Üyeler"].iter_rows(values_only=True))
    assert rows[0] == ("Küme kodu", "Küme", "Dönem başında üye", "Dönem sonunda üye", "Katılan",
                       "Ayrılan", "Değişim (üye)")
    assert ("organik-gida", "İzmir Organik Gıda Kümesi", 2, 3, 3, 2, 1) in rows
