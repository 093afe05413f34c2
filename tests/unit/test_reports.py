"""The agency's report (tracker.reports): filters, data, summary, workbook, charts, files.

A small history is seeded on the bundled plan: 2014Q1 and 2014Q2 answers of İZKA, EBSO,
ESİAD, EÜ İİBF and KY Organik Gıda, including a corrected answer (two versions), a delayed
action, an action reported "in progress" at the same progress without evidence twice, figures
of the organic food cluster with an implausible jump, and the prompts the outbox sent.
"""

from __future__ import annotations

import io
import struct
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from local_bot_api.formatting import parse_html
from tracker import reports
from tracker.calendar import CalendarSettings
from tracker.db import session_scope
from tracker.errors import DomainError
from tracker.models import (
    Action,
    Cluster,
    Indicator,
    IndicatorValue,
    Notification,
    NotificationStatus,
    Organisation,
    OrganisationMember,
    OrgKind,
    Person,
    Plan,
    Role,
    Status,
    StatusUpdate,
)
from tracker.notifications.due import duties
from tracker.quarters import ISTANBUL, Quarter
from tracker.reports import ReportFilters
from tracker.texts import describe

SETTINGS = CalendarSettings()
# In 2014Q3, after 2014Q2 locked: the default report is on 2014Q2, "2014" covers Q1 and Q2.
NOW = datetime(2014, 8, 20, 10, 0, tzinfo=ISTANBUL)
Q1, Q2 = Quarter(2014, 1), Quarter(2014, 2)


def _by(session: Session, model, **where):
    query = select(model)
    for name, value in where.items():
        query = query.where(getattr(model, name) == value)
    return session.exec(query).one()


def _at(day: int, month: int, hour: int = 9) -> datetime:
    return datetime(2014, month, day, hour, 0, tzinfo=UTC)


def seed(engine) -> None:
    with session_scope(engine) as s:
        org = {short: _by(s, Organisation, short=short).id for short in
               ("İZKA", "EBSO", "ESİAD", "EÜ İİBF", "KY Organik Gıda")}
        act = {code: _by(s, Action, code=code).id for code in
               ("E1.1.1", "E1.2.1", "E1.2.3", "E1.2.4", "E3.1.1", "E3.1.2")}
        cluster = _by(s, Cluster, code="organik-gida")
        ind = {code: _by(s, Indicator, code=code).id for code in ("G01", "G05")}
        people = {
            "İZKA": Person(display_name="Ayşe Yılmaz", telegram_user_id=101,
                           organisation_id=org["İZKA"], role=Role.AGENCY),
            "EBSO": Person(display_name="Can <Öz> & Co", telegram_user_id=102,
                           organisation_id=org["EBSO"], role=Role.REPORTER),
            "KY Organik Gıda": Person(display_name="Deniz Kaya", telegram_user_id=103,
                                      organisation_id=org["KY Organik Gıda"],
                                      role=Role.REPORTER, cluster_id=cluster.id),
        }
        s.add_all(people.values())
        s.flush()

        def update(code, short, quarter, status, progress, *, version=1, when, **extra):
            s.add(StatusUpdate(action_id=act[code], organisation_id=org[short],
                               quarter=str(quarter), version=version, status=status,
                               progress=progress, created_at=when,
                               person_id=people[short].id if short in people else None,
                               narrative=extra.pop("narrative", f"{code} çalışması"), **extra))

        # Unchanged, no evidence, in progress in both quarters: a red flag.
        update("E1.2.3", "EBSO", Q1, Status.IN_PROGRESS, 40, when=_at(3, 4))
        update("E1.2.3", "EBSO", Q2, Status.IN_PROGRESS, 40, when=_at(4, 7))
        # Corrected: version 2 is the current one, and it is delayed.
        update("E3.1.1", "EBSO", Q2, Status.IN_PROGRESS, 30, when=_at(5, 7))
        update("E3.1.1", "EBSO", Q2, Status.DELAYED, 30, version=2, when=_at(8, 7, 12),
               blockers="Bütçe onayı gecikti")
        update("E1.1.1", "İZKA", Q2, Status.COMPLETED, 100, when=_at(6, 7),
               evidence_link="https://example.org/rapor")
        # Unchanged and in progress, but with evidence: no flag.
        update("E1.2.4", "İZKA", Q1, Status.IN_PROGRESS, 50, when=_at(2, 4),
               evidence_link="https://example.org/portal")
        update("E1.2.4", "İZKA", Q2, Status.IN_PROGRESS, 50, when=_at(7, 7),
               evidence_link="https://example.org/portal")
        update("E1.2.4", "EÜ İİBF", Q2, Status.IN_PROGRESS, 60, when=_at(9, 7))
        update("E3.1.2", "ESİAD", Q2, Status.COMPLETED, 100, when=_at(10, 7),
               evidence_file_name="tutanak.pdf", evidence_file_id="F-1",
               evidence_note="Toplantı tutanağı ve katılım listesi")
        update("E1.2.1", "KY Organik Gıda", Q2, Status.NOT_STARTED, 0, when=_at(11, 7))

        def figure(code, quarter, value, version=1):
            s.add(IndicatorValue(indicator_id=ind[code], cluster_id=cluster.id,
                                 organisation_id=org["KY Organik Gıda"],
                                 subject_key=f"c{cluster.id}", period=str(quarter),
                                 version=version, value=Decimal(value),
                                 person_id=people["KY Organik Gıda"].id,
                                 created_at=_at(12, 4 if quarter == Q1 else 7)))

        figure("G01", Q1, "40")
        figure("G01", Q2, "44")
        figure("G05", Q1, "1000000")
        figure("G05", Q2, "20000000")  # twenty times the last quarter: implausible

        for number, (kind, short) in enumerate([("prompt", "EBSO"), ("prompt", "İZKA"),
                                                ("reminder1", "EBSO")]):
            person = people[short]
            s.add(Notification(key=f"{kind}|{short}|2014Q2|{person.id}", kind=kind,
                               subject=short, period="2014Q2", person_id=person.id,
                               chat_id=person.telegram_user_id, text="…",
                               status=NotificationStatus.SENT, not_before=_at(1 + number, 7),
                               sent_at=_at(1 + number, 7)))


@pytest.fixture
def seeded(engine):
    seed(engine)
    return engine


def parse(engine, *words: str, now: datetime = NOW) -> ReportFilters:
    with session_scope(engine) as session:
        return reports.parse_filters(list(words), session=session, now=now, settings=SETTINGS)


def build(engine, filters: ReportFilters | None = None, *words: str,
          now: datetime = NOW) -> reports.Report:
    with session_scope(engine) as session:
        if filters is None:
            filters = reports.parse_filters(list(words), session=session, now=now,
                                            settings=SETTINGS)
        return reports.build_report(session, filters, now=now, settings=SETTINGS)


# -- filters --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ([], ReportFilters(period=Q2)),
        (["2014Q2"], ReportFilters(period=Q2)),
        (["2014-Ç1"], ReportFilters(period=Q1)),
        (["2.", "çeyrek", "2014"], ReportFilters(period=Q2)),
        (["2014"], ReportFilters(period=2014)),
        (["Ö2"], ReportFilters(period=Q2, scope="Ö2")),
        (["o2", "2014Q1"], ReportFilters(period=Q1, scope="Ö2")),
        (["h1.2"], ReportFilters(period=Q2, scope="H1.2")),
        (["E1.2.4"], ReportFilters(period=Q2, scope="E1.2.4")),
        (["gösterge"], ReportFilters(period=Q2, topic="gosterge")),
        (["KATILIM", "2014"], ReportFilters(period=2014, topic="katilim")),
        (["kume", "organik-gida"], ReportFilters(period=Q2, topic="kume", cluster="organik-gida")),
        (["küme", "Organik", "Gıda"],
         ReportFilters(period=Q2, topic="kume", cluster="organik-gida")),
        (["organik-gida"], ReportFilters(period=Q2, topic="kume", cluster="organik-gida")),
        (["gosterge", "inoviz"], ReportFilters(period=Q2, topic="gosterge", cluster="inoviz")),
    ],
)
def test_filters_read_the_words(engine, words, expected):
    assert parse(engine, *words) == expected


def test_default_period_is_the_reporting_quarter(engine):
    # While 2014Q1's window is open, and after 2014Q2 locked: the last ended quarter.
    assert parse(engine, now=datetime(2014, 4, 10, 10, tzinfo=ISTANBUL)).period == Q1
    assert parse(engine, now=datetime(2014, 9, 30, 10, tzinfo=ISTANBUL)).period == Q2
    # After the plan: its last quarter.
    assert parse(engine, now=datetime(2021, 3, 1, tzinfo=ISTANBUL)).period == Quarter(2018, 4)


@pytest.mark.parametrize(
    ("words", "reason"),
    [
        (["E9.9.9"], "“E9.9.9” kodu"),
        (["2014Q5"], "Çeyrek 1 ile 4 arasında olmalı"),
        (["2014Q4"], "henüz gelmedi"),
        (["2015"], "henüz gelmedi"),
        (["2010"], "hiçbir planın dönemine düşmüyor"),
        (["2014Q1", "2014Q2"], "Yalnızca bir dönem"),
        (["Ö1", "Ö2"], "Yalnızca bir kapsam"),
        (["gosterge", "katilim"], "Yalnızca bir konu"),
        (["kume"], "Küme raporu için bir küme yazın"),
        (["kume", "yok-boyle"], "“yok-boyle” adlı bir küme yok"),
        (["merhaba"], "“merhaba” anlaşılamadı"),
        (["katilim", "organik-gida"], "katılım raporu küme almaz"),
        (["gosterge", "Ö2"], "kapsam kodu olmadan"),
    ],
)
def test_wrong_words_raise_with_the_usage(engine, words, reason):
    with pytest.raises(DomainError) as caught:
        parse(engine, *words)
    assert caught.value.code == "report_usage"
    text = describe(caught.value)
    assert reason in text
    for example in ("/rapor 2014Q2", "/rapor 2014", "/rapor Ö2", "/rapor H1.2",
                    "/rapor E1.2.4", "/rapor gosterge", "/rapor katilim",
                    "/rapor kume organik-gida"):
        assert example in text


# -- what a report holds ---------------------------------------------------------------------


def test_a_quarter_holds_its_answers_and_both_versions(seeded):
    report = build(seeded, ReportFilters(period=Q2))
    assert report.quarters == (Q2,)
    assert [a.code for a in report.actions][:3] == ["E1.1.1", "E1.1.2", "E1.1.3"]
    assert len(report.actions) == 26
    assert {r.quarter for r in report.history} == {Q2}
    corrected = [r for r in report.history if r.action_code == "E3.1.1"]
    assert [(r.version, r.status, r.current) for r in corrected] == [
        (1, "in_progress", False), (2, "delayed", True)]
    latest = {(r.action_code, r.organisation_short): r for r in report.latest}
    assert latest[("E3.1.1", "EBSO")].version == 2
    assert len(latest) == 7
    state = {s.action.code: s for s in report.statuses}
    assert state["E3.1.1"].state == "delayed"
    assert state["E1.1.1"].state == "completed"
    assert (state["E1.2.4"].state, state["E1.2.4"].progress) == ("in_progress", 55.0)
    assert state["E1.1.2"].state == "no_answer"
    assert report.timeline[(state["E1.2.3"].action.id, Q1)] == "in_progress"


def test_red_flags(seeded):
    flags = build(seeded, ReportFilters(period=Q2)).flags
    assert [(f.action_code, f.organisations) for f in flags.delayed] == [("E3.1.1", ("EBSO",))]
    assert flags.unassigned == ("E2.1.1", "E2.1.2", "E2.1.3", "E2.2.1", "E2.2.2", "E2.2.3")
    assert [(f.action_code, f.organisation_short, f.progress) for f in flags.stale] == [
        ("E1.2.3", "EBSO", 40)]
    assert [(r.indicator_code, r.previous_value, r.value, r.implausible)
            for r in flags.implausible] == [("G05", Decimal(1000000), Decimal(20000000), "above")]


def test_participation(seeded):
    report = build(seeded, ReportFilters(period=Q2))
    with Session(seeded) as session:
        owed = duties(session, Q2)
    rows = {p.organisation_short: p for p in report.participation}
    assert set(rows) == {d.organisation.short for d in owed.values()}
    assert rows["ESİAD"].state == "complete"
    assert rows["EBSO"].state == "partial"
    assert rows["EBSO"].actions_answered == ("E1.2.3", "E3.1.1")
    assert rows["EBSO"].contacts == ("Can <Öz> & Co",)
    assert (rows["EBSO"].prompts_sent, rows["EBSO"].reminders_sent) == (1, 1)
    assert rows["EBSO"].first_answer == _at(4, 7)
    assert rows["EBSO"].last_answer == _at(8, 7, 12)
    assert rows["KY Organik Gıda"].figures_asked and rows["KY Organik Gıda"].figures_answered
    assert rows["İZTO"].state == "none" and rows["İZTO"].contacts == ()


def test_a_year_covers_its_ended_quarters(seeded):
    report = build(seeded, ReportFilters(period=2014))
    assert report.quarters == (Q1, Q2)
    assert {r.quarter for r in report.history} == {Q1, Q2}
    assert {p.quarter for p in report.participation} == {Q1, Q2}
    # The latest answer of the year stands for the action.
    latest = {(r.action_code, r.organisation_short): r.quarter for r in report.latest}
    assert latest[("E1.2.3", "EBSO")] == Q2


@pytest.mark.parametrize(
    ("scope", "codes", "answered"),
    [
        ("Ö2", ["E2.1.1", "E2.1.2", "E2.1.3", "E2.2.1", "E2.2.2", "E2.2.3"], set()),
        ("H1.2", ["E1.2.1", "E1.2.2", "E1.2.3", "E1.2.4"], {"E1.2.1", "E1.2.3", "E1.2.4"}),
        ("E1.2.4", ["E1.2.4"], {"E1.2.4"}),
    ],
)
def test_scope_selects_plan_items(seeded, scope, codes, answered):
    report = build(seeded, ReportFilters(period=Q2, scope=scope))
    assert [a.code for a in report.actions] == codes
    # Every 2014Q2 answer about the scope's actions, none about others.
    assert {r.action_code for r in report.history} == answered
    assert report.indicators == ()  # figures are not about plan items
    if scope == "E1.2.4":
        assert {p.organisation_short for p in report.participation} == {"İZKA", "EÜ İİBF",
                                                                         *_managements(seeded)}
        assert report.scope_title == "Kümelenme Portalının etkinliğinin artırılması"


def _managements(engine) -> set[str]:
    with Session(engine) as session:
        return {o.short for o in session.exec(select(Organisation).where(
            sa.column("kind") == "cluster_management"))}


def test_cluster_topic_keeps_to_the_cluster(seeded):
    report = build(seeded, ReportFilters(period=Q2, topic="kume", cluster="organik gıda"))
    assert report.cluster is not None and report.cluster.code == "organik-gida"
    assert report.cluster.managements == ("KY Organik Gıda",)
    assert {p.organisation_short for p in report.participation} == {"KY Organik Gıda"}
    assert {r.organisation_short for r in report.history} == {"KY Organik Gıda"}
    assert "E1.2.1" in [a.code for a in report.actions]
    assert "E3.1.2" not in [a.code for a in report.actions]  # not a cluster management's
    assert {r.subject for r in report.indicators} == {"İzmir Organik Gıda Kümesi"}
    assert report.title == "2014 2. Çeyrek · İzmir Organik Gıda Kümesi"
    assert report.stem == "2014Q2-kume-organik-gida"


def test_indicator_changes(seeded):
    report = build(seeded, ReportFilters(period=Q2, topic="gosterge"))
    rows = {r.indicator_code: r for r in report.indicators}
    assert set(rows) == {"G01", "G05"}
    assert rows["G01"].previous_period == Q1
    assert rows["G01"].change == Decimal(4)
    assert rows["G01"].change_percent == pytest.approx(10.0)
    assert report.main_indicators[:2] == ("G01", "G05")
    trend = next(t for t in report.trends if t.indicator_code == "G05")
    assert trend.points == ((Q1, 1_000_000.0), (Q2, 20_000_000.0))


def test_query_count_is_fixed(engine):
    """Building costs the same number of SELECTs on an empty and on a seeded database."""
    counts = []

    def count(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT"):
            counts[-1] += 1

    def counted(f: ReportFilters) -> None:
        counts.append(0)
        sa.event.listen(engine, "before_cursor_execute", count)
        try:
            build(engine, f)
        finally:
            sa.event.remove(engine, "before_cursor_execute", count)

    filters = [ReportFilters(period=Q2), ReportFilters(period=2014),
               ReportFilters(period=Q2, topic="kume", cluster="organik-gida")]
    for f in filters:
        counted(f)
    seed(engine)
    for f in filters:
        counted(f)
    assert len(set(counts)) == 1, counts
    # One statement per query group: plan, updates, figures, turnout, members, events, …
    assert counts[0] <= 17


def _statements(engine, filters: ReportFilters) -> tuple[int, reports.Report]:
    """How many SQL statements building the report sends, and the report."""
    sent = 0

    def count(*_args) -> None:
        nonlocal sent
        sent += 1

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        report = build(engine, filters)
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    return sent, report


def _more_organisations(engine, count: int) -> None:
    """`count` more universities in the group "Üniversiteler", each with a contact, answering
    every action they owe in 2014Q2, and a cluster whose management gives its figures."""
    with session_scope(engine) as s:
        group = _by(s, Organisation, short="Üniversiteler")
        cluster = Cluster(code="yeni-kume", name="İzmir Yeni Küme", position=99)
        s.add(cluster)
        s.flush()
        management = Organisation(short="KY Yeni", short_key="ky yeni", name="Yeni Küme Yönetimi",
                                  kind=OrgKind.CLUSTER_MANAGEMENT, cluster_id=cluster.id,
                                  position=998)
        s.add(management)
        for number in range(count):
            short = f"Yeni Üniversite {number}"
            org = Organisation(short=short, short_key=f"yeni universite {number}", name=short,
                               kind=OrgKind.UNIVERSITY, position=1000 + number)
            s.add(org)
            s.flush()
            s.add(OrganisationMember(group_id=group.id, member_id=org.id, position=100 + number))
            s.add(Person(display_name=f"Kişi {number}", telegram_user_id=5000 + number,
                         organisation_id=org.id, role=Role.REPORTER))
        s.flush()
        g01 = _by(s, Indicator, code="G01")
        s.add(IndicatorValue(indicator_id=g01.id, cluster_id=cluster.id,
                             organisation_id=management.id, subject_key=f"c{cluster.id}",
                             period=str(Q2), value=Decimal(7), created_at=_at(13, 7)))
        for org_id, duty in duties(s, Q2).items():
            if s.get(Organisation, org_id).short.startswith("Yeni Üniversite"):
                for action in duty.actions:
                    s.add(StatusUpdate(action_id=action.id, organisation_id=org_id,
                                       quarter=str(Q2), status=Status.IN_PROGRESS, progress=10,
                                       narrative="başladı", created_at=_at(14, 7)))


def test_statements_do_not_grow_with_the_organisations(seeded):
    """A report reads every organisation, answer and figure in the same statements, however
    many organisations answer: thirty more universities and a cluster add none."""
    filters = [ReportFilters(period=Q2), ReportFilters(period=2014, topic="katilim"),
               ReportFilters(period=Q2, topic="gosterge")]
    before = [_statements(seeded, f) for f in filters]
    _more_organisations(seeded, 30)
    after = [_statements(seeded, f) for f in filters]
    assert [sent for sent, _ in after] == [sent for sent, _ in before]
    # The new organisations are in the report: it read them, in the same statements.
    new = {f"Yeni Üniversite {n}" for n in range(30)}
    assert new <= {p.organisation_short for p in after[0][1].participation}
    assert new <= {r.organisation_short for r in after[0][1].history}
    assert "İzmir Yeni Küme" in {r.subject for r in after[2][1].indicators}


# -- summary ---------------------------------------------------------------------------------


def test_summary_says_what_a_manager_needs(seeded):
    report = build(seeded, ReportFilters(period=Q2))
    text = reports.summary_text(report)
    with Session(seeded) as session:
        asked = len(duties(session, Q2))
    assert "<b>2014 2. Çeyrek</b>" in text
    assert "<b>Ö1</b> Kümelenmenin Yönetişimi" in text
    assert ("7 eylem · ort. ilerleme %48,8: Başlamadı 1 · Devam ediyor 2 · Tamamlandı 1 · "
            "Yanıt yok 3") in text
    assert "6 eylem: Yanıt yok 6" in text
    assert f"<b>1 / {asked}</b> kuruluş eksiksiz yanıtladı" in text
    assert "Kısmen: İZKA (2/16), KY Organik Gıda (2/19), EBSO (2/4), EÜ İİBF (1/2)" in text
    assert "Yanıt vermeyen: " in text and "İZTO" in text
    assert "🔴 Gecikmede: E3.1.1 (EBSO)" in text
    assert "Sorumlu kuruluşu olmayan: E2.1.1, E2.1.2" in text
    assert "E1.2.3 · EBSO (%40)" in text
    assert "G05 · İzmir Organik Gıda Kümesi (2014 2. Çeyrek): 1.000.000 → 20.000.000" in text
    assert "Henüz yanıt yok" not in text
    assert len(text) < 4096
    parse_html(text)  # Telegram would take it


def test_summary_of_each_topic(seeded):
    gosterge = reports.summary_text(build(seeded, ReportFilters(period=Q2, topic="gosterge")))
    assert "<b>1 / 6</b> küme gösterge girdi" in gosterge
    assert "Girmeyen: KY İNOVİZ" in gosterge
    assert "G01 Paydaş sayısı · İzmir Organik Gıda Kümesi: 40 → 44 adet (+%10)" in gosterge
    assert "Eylem durumları" not in gosterge

    katilim = reports.summary_text(build(seeded, ReportFilters(period=Q2, topic="katilim")))
    assert "Gönderilen bildirim: 2 · hatırlatma: 1" in katilim
    assert "Kayıtlı kişisi olmayan: " in katilim and "İZTO" in katilim

    kume = reports.summary_text(build(seeded, ReportFilters(period=Q2, topic="kume",
                                                            cluster="organik-gida")))
    assert "<b>2014 2. Çeyrek · İzmir Organik Gıda Kümesi</b>" in kume
    assert "Küme yönetimi: KY Organik Gıda · kayıtlı kişi: 1" in kume
    assert "G05 İhracat değeri: 1.000.000 → 20.000.000 TL (+%1.900)" in kume
    assert "Başlamadı 1 · Yanıt yok 17" in kume
    for text in (gosterge, katilim, kume):
        parse_html(text)


def test_summary_escapes_names(seeded):
    """Names the summary shows (an organisation's short name, the plan's title) stay text."""
    with session_scope(seeded) as s:
        _by(s, Organisation, short="EBSO").short = "EB<SO> & Co"
        s.exec(select(Plan)).one().title = "<i>Strateji</i>"
    text = reports.summary_text(build(seeded, ReportFilters(period=Q2)))
    assert "🔴 Gecikmede: E3.1.1 (EB&lt;SO&gt; &amp; Co)" in text
    assert "\n&lt;i&gt;Strateji&lt;/i&gt;\n" in text
    assert "<SO>" not in text and "<i>" not in text
    parse_html(text)  # Telegram would take it
    plain = reports.plain_text(text)  # what ozet.txt shows
    assert "Gecikmede: E3.1.1 (EB<SO> & Co)" in plain and "\n<i>Strateji</i>\n" in plain


def test_empty_database_gives_a_report(engine):
    report = build(engine)
    assert not report.answered
    text = reports.summary_text(report)
    assert "Henüz yanıt yok" in text
    assert "<b>0 / " in text
    assert "26 eylem" in text
    openpyxl.load_workbook(io.BytesIO(reports.workbook_bytes(report)))
    assert [c.name for c in reports.charts(report)] == ["durum", "takvim"]
    for topic, cluster in (("gosterge", None), ("katilim", None), ("kume", "inoviz")):
        empty = build(engine, ReportFilters(period=Q2, topic=topic, cluster=cluster))
        assert "Henüz yanıt yok" in reports.summary_text(empty)


# -- workbook --------------------------------------------------------------------------------


def _sheet_rows(sheet) -> list[dict]:
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=False)) for row in rows[1:]]


def test_workbook(seeded):
    report = build(seeded, ReportFilters(period=Q2))
    data = reports.workbook_bytes(report)
    assert data == reports.workbook_bytes(report)  # the same report, the same bytes
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["Özet", "Eylemler", "Güncellemeler", "Göstergeler", "Katılım",
                               "Üyeler", "Etkinlikler"]
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2"
        assert sheet.auto_filter.ref.startswith("A1:")
        assert all(cell.font.bold for cell in sheet[1] if cell.value is not None)
        assert sheet.column_dimensions["A"].width >= 6

    summary = book["Özet"]
    assert [c.value for c in summary[1]][:4] == ["Öncelik", "Öncelik adı", "Eylem sayısı",
                                                 "Başlamadı"]
    assert [c.value for c in summary[2]][:3] == ["Ö1", "Kümelenmenin Yönetişimi", 7]
    assert summary.auto_filter.ref == "A1:J5"  # the priorities and their total

    actions = {r["Eylem kodu"]: r for r in _sheet_rows(book["Eylemler"])}
    assert len(actions) == 26
    assert actions["E3.1.1"]["Durum"] == "Gecikmede"
    assert actions["E1.2.4"]["İlerleme (%)"] == 55
    assert actions["E1.1.1"]["Sorumlu kuruluşlar"] == "İZKA; Küme Yönetimleri"
    assert actions["E1.1.1"]["Takvim"] == "2013Q1 – 2018Q4"
    assert actions["E2.1.1"]["Durum"] == "Yanıt yok"

    history = _sheet_rows(book["Güncellemeler"])
    assert len(history) == len(report.history) == 8
    corrected = [r for r in history if r["Eylem kodu"] == "E3.1.1"]
    assert [(r["Sürüm"], r["Durum"], r["Güncel"]) for r in corrected] == [
        (1, "Devam ediyor", "hayır"), (2, "Gecikmede", "evet")]
    assert corrected[1]["Engeller"] == "Bütçe onayı gecikti"
    (closed,) = [r for r in history if r["Eylem kodu"] == "E3.1.2"]
    assert (closed["Kanıt dosyası"], closed["Kanıt açıklaması"]) == (
        "tutanak.pdf", "Toplantı tutanağı ve katılım listesi")
    assert corrected[1]["Bildiren"] == "Can <Öz> & Co"
    assert isinstance(corrected[1]["İlerleme (%)"], int) and corrected[1]["İlerleme (%)"] == 30
    # 12:00 UTC is 15:00 in İstanbul (UTC+3 in July).
    assert corrected[1]["Kayıt zamanı"] == datetime(2014, 7, 8, 15, 0)

    figures = {r["Gösterge kodu"]: r for r in _sheet_rows(book["Göstergeler"])}
    assert figures["G05"]["Değer"] == 20000000
    assert figures["G05"]["Önceki değer"] == 1000000
    assert figures["G05"]["Değişim (%)"] == 1900
    assert figures["G05"]["Olağandışı"] == "evet"
    assert isinstance(figures["G01"]["Kayıt zamanı"], datetime)

    turnout = {r["Kuruluş"]: r for r in _sheet_rows(book["Katılım"])}
    assert turnout["EBSO"]["Kayıtlı kişi"] == 1
    assert turnout["EBSO"]["Sorulan eylem"] == 4
    assert turnout["EBSO"]["Yanıtlanan eylem"] == 2
    assert turnout["EBSO"]["İlk yanıt"] == datetime(2014, 7, 4, 12, 0)
    assert turnout["İZTO"]["Yanıt durumu"] == "Yanıt yok"

    cells = {c.coordinate: c for c in book["Güncellemeler"][2]}
    # Kayıt zamanı, the 15th column, is a date; İlerleme a number.
    assert cells["O2"].is_date and cells["F2"].data_type == "n"


# -- charts and files ------------------------------------------------------------------------


def _png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert png[12:16] == b"IHDR"
    return struct.unpack(">II", png[16:24])


@pytest.mark.parametrize(
    ("filters", "names"),
    [
        (ReportFilters(period=Q2), ["durum", "takvim"]),
        (ReportFilters(period=Q2, topic="gosterge"), ["gosterge_G01", "gosterge_G05"]),
        (ReportFilters(period=2014, topic="katilim"), ["katilim"]),
        (ReportFilters(period=Q2, topic="kume", cluster="organik-gida"),
         ["durum", "gosterge_G01", "gosterge_G05"]),
    ],
)
def test_charts_are_phone_sized_pngs(seeded, filters, names):
    drawn = reports.charts(build(seeded, filters))
    assert [c.name for c in drawn] == names
    for chart in drawn:
        width, height = _png_size(chart.png)
        assert 800 <= width <= 1400 and 300 <= height <= 2400
        assert 10_000 <= len(chart.png) <= 2_000_000
        assert chart.title


def test_write_report(seeded, tmp_path: Path):
    report = build(seeded, ReportFilters(period=Q2))
    paths = reports.write_report(report, tmp_path / "rapor")
    assert [p.name for p in paths] == ["ozet.txt", "rapor.xlsx", "durum.png", "takvim.png"]
    text = paths[0].read_text(encoding="utf-8")
    assert "<b>" not in text and "&amp;" not in text
    assert "2014 2. Çeyrek" in text and "Gecikmede: E3.1.1 (EBSO)" in text
    assert paths[1].read_bytes()[:2] == b"PK"


def test_cluster_report_warns_only_about_its_management(engine):
    """/rapor kume organik-gida 2014Q1: warnings, answers and sheets of that cluster only.

    Other organisations' delays and stale answers, other clusters' and organisations'
    implausible figures stay out; "no responsible body" is plan-wide, so it is left out too.
    """
    with session_scope(engine) as s:
        org = {short: _by(s, Organisation, short=short).id for short in
               ("EBSO", "KY Organik Gıda", "KY İNOVİZ")}
        act = {code: _by(s, Action, code=code).id for code in
               ("E1.1.1", "E1.2.1", "E1.2.3", "E1.2.4")}
        cluster = {code: _by(s, Cluster, code=code).id for code in ("organik-gida", "inoviz")}
        ind = {code: _by(s, Indicator, code=code).id for code in ("G01", "G05", "G23")}
        people = {
            "EBSO": Person(display_name="Can Öz", telegram_user_id=201,
                           organisation_id=org["EBSO"], role=Role.REPORTER),
            "KY Organik Gıda": Person(display_name="Deniz Kaya", telegram_user_id=202,
                                      organisation_id=org["KY Organik Gıda"],
                                      role=Role.REPORTER, cluster_id=cluster["organik-gida"]),
            "KY İNOVİZ": Person(display_name="Ece Ak", telegram_user_id=203,
                                organisation_id=org["KY İNOVİZ"], role=Role.REPORTER,
                                cluster_id=cluster["inoviz"]),
        }
        s.add_all(people.values())
        s.flush()

        def update(code, short, quarter, status, progress):
            s.add(StatusUpdate(action_id=act[code], organisation_id=org[short],
                               quarter=quarter, status=status, progress=progress,
                               person_id=people[short].id, narrative=f"{code} · {short}",
                               created_at=_at(3, 4)))

        update("E1.2.3", "EBSO", "2014Q1", Status.DELAYED, 20)
        update("E1.1.1", "KY Organik Gıda", "2014Q1", Status.DELAYED, 10)
        # In progress at the same progress without evidence in 2013Q4 and 2014Q1: stale.
        for quarter in ("2013Q4", "2014Q1"):
            update("E1.2.4", "EBSO", quarter, Status.IN_PROGRESS, 40)
            update("E1.2.1", "KY Organik Gıda", quarter, Status.IN_PROGRESS, 20)

        def figure(code, short, quarter, value, cluster_code=None):
            cluster_id = cluster[cluster_code] if cluster_code else None
            s.add(IndicatorValue(
                indicator_id=ind[code], cluster_id=cluster_id, organisation_id=org[short],
                subject_key=f"c{cluster_id}" if cluster_id else f"o{org[short]}",
                period=quarter, value=Decimal(value), person_id=people[short].id,
                created_at=_at(3, 4)))

        # Implausible jumps: inoviz's, EBSO's own (level 2) and organik-gida's.
        figure("G05", "KY İNOVİZ", "2013Q4", "1000000", "inoviz")
        figure("G05", "KY İNOVİZ", "2014Q1", "50000000", "inoviz")
        figure("G23", "EBSO", "2013Q4", "1")
        figure("G23", "EBSO", "2014Q1", "50")
        figure("G01", "KY Organik Gıda", "2013Q4", "10", "organik-gida")
        figure("G01", "KY Organik Gıda", "2014Q1", "200", "organik-gida")

    # The whole plan's report warns about all of them.
    everything = build(engine, None, "2014Q1").flags
    assert {(f.action_code, f.organisations) for f in everything.delayed} == {
        ("E1.1.1", ("KY Organik Gıda",)), ("E1.2.3", ("EBSO",))}
    assert {(f.action_code, f.organisation_short) for f in everything.stale} == {
        ("E1.2.1", "KY Organik Gıda"), ("E1.2.4", "EBSO")}
    assert {(r.indicator_code, r.organisation_short) for r in everything.implausible} == {
        ("G01", "KY Organik Gıda"), ("G05", "KY İNOVİZ"), ("G23", "EBSO")}
    assert everything.unassigned

    report = build(engine, None, "kume", "organik-gida", "2014Q1")
    assert report.filters == ReportFilters(period=Q1, topic="kume", cluster="organik-gida")
    flags = report.flags
    assert [(f.action_code, f.organisations) for f in flags.delayed] == [
        ("E1.1.1", ("KY Organik Gıda",))]
    assert [(f.action_code, f.organisation_short, f.progress) for f in flags.stale] == [
        ("E1.2.1", "KY Organik Gıda", 20)]
    assert [(r.indicator_code, r.subject, r.organisation_short) for r in flags.implausible] == [
        ("G01", "İzmir Organik Gıda Kümesi", "KY Organik Gıda")]
    assert flags.unassigned == ()  # plan-wide: not a cluster's warning
    assert flags.count == 3
    # The answers, figures and participation are the management's too.
    assert {r.organisation_short for r in report.history} == {"KY Organik Gıda"}
    assert {r.organisation_short for r in report.latest} == {"KY Organik Gıda"}
    assert {r.organisation_short for r in report.indicators} == {"KY Organik Gıda"}
    assert {p.organisation_short for p in report.participation} == {"KY Organik Gıda"}
    state = {s.action.code: s for s in report.statuses}
    assert state["E1.2.4"].state == "no_answer" and state["E1.2.4"].latest == ()
    # A management's action EBSO answered as delayed: the cluster's management did not answer.
    assert state["E1.2.3"].state == "no_answer" and state["E1.2.3"].latest == ()

    text = reports.summary_text(report)
    parse_html(text)
    assert "(küme yönetiminden yanıt beklenen 18 eylem)" in text
    warnings = text.split("<b>⚠️ Uyarılar</b>")[1]
    assert warnings.split("\n")[1:4] == [
        "🔴 Gecikmede: E1.1.1 (KY Organik Gıda)",
        "🟠 İki çeyrektir “Devam ediyor”, ilerleme değişmedi, kanıt yok: "
        "E1.2.1 · KY Organik Gıda (%20)",
        "📈 Olağandışı gösterge değişimi (10 kattan fazla ya da işaret değişti):"]
    for other in ("E1.2.3", "E1.2.4", "EBSO", "İNOVİZ", "G05", "G23", "Sorumlu kuruluşu"):
        assert other not in warnings, other
    assert "EBSO" not in text and "İNOVİZ" not in text

    book = openpyxl.load_workbook(io.BytesIO(reports.workbook_bytes(report)))
    actions = {r["Eylem kodu"]: r for r in _sheet_rows(book["Eylemler"])}
    assert actions["E1.1.1"]["Durum"] == "Gecikmede"
    assert actions["E1.1.1"]["Yanıtlayan kuruluşlar"] == "KY Organik Gıda"
    assert actions["E1.1.1"]["Yapılanlar"] == "E1.1.1 · KY Organik Gıda"
    assert actions["E1.2.4"]["Durum"] == "Yanıt yok"
    assert {r["Yanıtlayan kuruluşlar"] for r in actions.values()} <= {None, "",
                                                                      "KY Organik Gıda"}
    assert all("EBSO" not in (r["Yapılanlar"] or "") for r in actions.values())
    history = _sheet_rows(book["Güncellemeler"])
    assert {(r["Eylem kodu"], r["Kuruluş"]) for r in history} == {
        ("E1.1.1", "KY Organik Gıda"), ("E1.2.1", "KY Organik Gıda")}
    figures = _sheet_rows(book["Göstergeler"])
    assert {(r["Gösterge kodu"], r["Kuruluş"]) for r in figures} == {("G01", "KY Organik Gıda")}
    turnout = _sheet_rows(book["Katılım"])
    assert {r["Kuruluş"] for r in turnout} == {"KY Organik Gıda"}
    summary = [row for row in book["Özet"].iter_rows(values_only=True) if row[0] in (
        "Gecikmede", "Sorumlu atanmamış", "İlerleme yok, kanıt yok",
        "Olağandışı gösterge değeri")]
    assert [row[:3] for row in summary] == [
        ("Gecikmede", "E1.1.1", "KY Organik Gıda"),
        ("İlerleme yok, kanıt yok", "E1.2.1", "KY Organik Gıda"),
        ("Olağandışı gösterge değeri", "G01", "İzmir Organik Gıda Kümesi")]
