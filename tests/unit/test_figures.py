"""Indicator figures: who enters what, checking typed figures, versions; the /gosterge engine."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from tracker import texts
from tracker.calendar import CalendarSettings
from tracker.dialogs import service
from tracker.dialogs.base import ChoiceInput, Context, Input, Prompt, TextInput
from tracker.dialogs.figures import FiguresDialog
from tracker.indicator_figures import (
    FigureError,
    FiguresForbidden,
    check_figure,
    figure_scope,
    implausibility,
    indicators_for,
    indicators_for_person,
    is_implausible,
    previous_value,
    record_figures,
)
from tracker.models import (
    Cluster,
    Dialog,
    Indicator,
    IndicatorType,
    IndicatorValue,
    Organisation,
    Person,
    Role,
)
from tracker.quarters import ISTANBUL, Quarter
from tracker.texts import describe

Q1 = Quarter(2014, 1)
NOW = datetime(2014, 4, 10, 10, 0, tzinfo=ISTANBUL)
LEVEL_2 = ["G12", "G15", "G23", "G26"]


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


def person(session: Session, organisation: str, role: Role) -> Person:
    org = session.exec(select(Organisation).where(Organisation.short == organisation)).one()
    row = Person(display_name="Ayşe", organisation_id=org.id, role=role)
    session.add(row)
    session.flush()
    return row


def indicator(session: Session, code: str) -> Indicator:
    return session.exec(select(Indicator).where(Indicator.code == code)).one()


def cluster(session: Session, code: str = "organik-gida") -> Cluster:
    return session.exec(select(Cluster).where(Cluster.code == code)).one()


def store(
    session: Session, who: Person, code: str, period: str, value: str, version: int = 1, at=None
) -> IndicatorValue:
    target = cluster(session, at or "organik-gida")
    row = IndicatorValue(
        indicator_id=indicator(session, code).id,
        cluster_id=target.id,
        organisation_id=who.organisation_id,
        subject_key=f"c{target.id}",
        period=period,
        version=version,
        value=Decimal(value),
        person_id=who.id,
    )
    session.add(row)
    session.flush()
    return row


# -- who enters what ---------------------------------------------------------------------------


def test_a_cluster_management_reporter_enters_its_clusters_level_1_indicators(session):
    reporter = person(session, "KY Organik Gıda", Role.REPORTER)
    scope = figure_scope(session, reporter)
    assert scope.level == 1
    assert [c.code for c in scope.clusters] == ["organik-gida"]
    shown = indicators_for_person(session, reporter, Q1)
    assert len(shown) == 22
    assert {i.level for i in shown} == {1}
    assert [i.code for i in shown[:4]] == ["G01", "G02", "G03", "G04"]
    assert not {i.code for i in shown} & set(LEVEL_2)


@pytest.mark.parametrize("role", [Role.AGENCY, Role.ADMIN])
def test_the_agency_enters_level_2_indicators_for_any_cluster(session, role):
    staff = person(session, "İZKA", role)
    scope = figure_scope(session, staff)
    assert scope.level == 2
    assert len(scope.clusters) == 6 and scope.clusters[0].code == "organik-gida"
    assert [i.code for i in indicators_for_person(session, staff, Q1)] == LEVEL_2


@pytest.mark.parametrize(
    ("organisation", "role"),
    [("EBSO", Role.REPORTER), ("KY Organik Gıda", Role.SECRETARY), ("İZKA", Role.REPORTER)],
)
def test_others_may_not_enter_figures(session, organisation, role):
    someone = person(session, organisation, role)
    with pytest.raises(FiguresForbidden) as caught:
        figure_scope(session, someone)
    assert f"{organisation} için /gosterge açık değil" in describe(caught.value)


def test_only_plans_active_in_the_period_count(session):
    assert indicators_for(session, 1, Quarter(2012, 4)) == []
    assert indicators_for(session, 1, Quarter(2019, 1)) == []
    assert len(indicators_for(session, 1, Quarter(2018, 4))) == 22


# -- checking a typed figure -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "text", "expected"),
    [
        ("G01", "45", "45"),
        ("G01", "1.234", "1234"),
        ("G06", "12.500 kişi", "12500"),
        ("G05", "1.234.567", "1234567"),
        ("G05", "1,2 milyon", "1200000"),
        ("G05", "2,5 milyon TL", "2500000"),
        ("G05", "1.234.567,89", "1234567.89"),
        ("G14", "12,5", "12.5"),
        ("G14", "%12,5", "12.5"),
        ("G13", "-4,5", "-4.5"),
        ("G21", "%-2", "-2"),
        ("G22", "-3", "-3"),
        ("G12", "3,5", "3.5"),
        ("G01", "0", "0"),
        ("G01", "100.000", "100000"),
    ],
)
def test_check_figure_reads_turkish_numbers(session, code, text, expected):
    assert check_figure(indicator(session, code), text) == Decimal(expected)


@pytest.mark.parametrize(
    ("code", "text", "reason"),
    [
        ("G01", "abc", "“abc” sayı olarak okunamadı. Örnek: 1.234.567"),
        ("G01", "1,2,3", "Binlik ayırıcı olarak nokta, ondalık için tek bir virgül kullanın."),
        ("G01", "", "Sayı boş olamaz."),
        (
            "G01",
            "150.000",
            "150.000 geçerli aralığın dışında: değer 0 ile 100.000 arasında olmalı",
        ),
        ("G01", "-1", "-1 geçerli aralığın dışında"),
        ("G12", "6", "6 geçerli aralığın dışında: değer 1 ile 5 arasında olmalı (1-5 puan)."),
        ("G14", "%120", "120 geçerli aralığın dışında: değer 0 ile 100 arasında olmalı."),
        ("G01", "12,5", "Bu gösterge tam sayı ister (12,5 yazdınız)."),
        ("G22", "2,5", "Bu gösterge tam sayı ister (2,5 yazdınız)."),
        ("G01", "%12", "“Paydaş sayısı” yüzde değil; % işareti olmadan yazın."),
        ("G05", "%12", "“İhracat değeri” yüzde değil"),
        ("G01", "5 TL", "Bu göstergenin birimi adet; TL yazmayın"),
        ("G05", "5 kişi", "Bu göstergenin birimi TL; kişi yazmayın"),
        ("G05", "1,1234567", "En fazla 6 ondalık basamak yazılabilir."),
        ("G01", "aynı", "“aynı” sayı olarak okunamadı."),
    ],
)
def test_check_figure_explains_in_turkish(session, code, text, reason):
    with pytest.raises(FigureError) as caught:
        check_figure(indicator(session, code), text)
    assert reason in describe(caught.value)


def test_check_figure_one_sided_ranges_and_same_as_before():
    open_top = Indicator(
        plan_id=1,
        code="X1",
        title="X",
        level=1,
        value_type=IndicatorType.MONEY,
        unit="TL",
        min_value=Decimal(0),
    )
    open_bottom = Indicator(
        plan_id=1,
        code="X2",
        title="Y",
        level=1,
        value_type=IndicatorType.COUNT,
        unit="adet",
        max_value=Decimal(10),
    )
    assert check_figure(open_top, "5 milyar") == Decimal("5000000000")
    with pytest.raises(FigureError) as caught:
        check_figure(open_top, "-5")
    assert "değer en az 0 olmalı (TL)" in describe(caught.value)
    with pytest.raises(FigureError) as caught:
        check_figure(open_bottom, "11")
    assert "değer en fazla 10 olmalı (adet)" in describe(caught.value)
    assert check_figure(open_bottom, "aynı", Decimal(7)) == Decimal(7)
    assert check_figure(open_bottom, "Aynı", Decimal(7)) == Decimal(7)


@pytest.mark.parametrize(
    ("value", "previous", "value_type", "expected"),
    [
        ("150", "12", "count", "above"),
        ("121", "12", "count", "above"),
        ("120", "12", "count", None),  # exactly ten times: still plausible
        ("1,2", "12", "money", None),  # a tenth exactly
        ("1", "12", "count", "below"),
        ("0", "12", "count", "below"),
        ("12", "12", "count", None),
        ("15", "12", "count", None),
        ("5", None, "count", None),
        ("5000", "0", "count", None),  # nothing to compare with
        ("-5", "12", "percent", "below"),  # sign flip
        ("4", "-3", "percent", "above"),
        ("-5", "12", "change_count", None),  # changes swing either way
        ("-500", "12", "change_percent", "below"),  # but not by a factor of ten
        ("4,5", "3,5", "scale", None),
    ],
)
def test_implausibility(value, previous, value_type, expected):
    typed = Decimal(value.replace(",", "."))
    before = Decimal(previous.replace(",", ".")) if previous is not None else None
    assert implausibility(typed, before, value_type) == expected
    assert is_implausible(typed, before, value_type) is (expected is not None)


def test_the_implausibility_rule_without_a_type_checks_signs_too():
    assert is_implausible(Decimal(-1), Decimal(2))
    assert not is_implausible(Decimal(3), Decimal(2))


# -- previous values and storing ---------------------------------------------------------------


def test_previous_value_is_the_current_version_of_the_latest_earlier_period(session):
    reporter = person(session, "KY Organik Gıda", Role.REPORTER)
    g04 = indicator(session, "G04")
    store(session, reporter, "G04", "2013Q3", "7")
    store(session, reporter, "G04", "2013Q4", "10", version=1)
    store(session, reporter, "G04", "2013Q4", "12", version=2)
    store(session, reporter, "G04", "2014Q1", "99")  # this period: not "previous"
    store(session, reporter, "G04", "2014Q2", "98")
    store(session, reporter, "G04", "2013Q4", "55", at="inoviz")  # another cluster
    here = cluster(session)
    assert previous_value(session, g04, here, Q1) == Decimal(12)
    assert previous_value(session, g04, here, Quarter(2013, 4)) == Decimal(7)
    assert previous_value(session, g04, here, Quarter(2013, 3)) is None
    assert previous_value(session, indicator(session, "G01"), here, Q1) is None
    assert previous_value(session, g04, cluster(session, "inoviz"), Q1) == Decimal(55)


def test_record_figures_stores_versions_and_is_idempotent(session):
    reporter = person(session, "KY Organik Gıda", Role.REPORTER)
    here = cluster(session)
    g01, g05 = indicator(session, "G01"), indicator(session, "G05")
    values = {g01.id: Decimal(45), g05.id: Decimal("1234567.89")}
    first = record_figures(session, reporter, here, Q1, values, NOW, "dialog:1:7")
    assert [(r.indicator_id, r.version) for r in first] == [(g01.id, 1), (g05.id, 1)]
    assert [r.source_key for r in first] == ["dialog:1:7:G01", "dialog:1:7:G05"]
    row = first[1]
    assert (row.cluster_id, row.subject_key, row.period) == (here.id, f"c{here.id}", "2014Q1")
    assert (row.organisation_id, row.person_id) == (reporter.organisation_id, reporter.id)

    again = record_figures(session, reporter, here, Q1, values, NOW, "dialog:1:7")
    assert [r.id for r in again] == [r.id for r in first]

    second = record_figures(session, reporter, here, Q1, {g01.id: Decimal(46)}, NOW, "dialog:2:3")
    assert [(r.value, r.version) for r in second] == [(Decimal(46), 2)]
    session.expire_all()
    rows = session.exec(select(IndicatorValue).order_by(col(IndicatorValue.id))).all()
    assert [(r.indicator_id, r.version, r.value) for r in rows] == [
        (g01.id, 1, Decimal(45)),
        (g05.id, 1, Decimal("1234567.89")),
        (g01.id, 2, Decimal(46)),
    ]
    assert record_figures(session, reporter, here, Q1, {}, NOW, "dialog:3:1") == []


def test_record_figures_refuses_what_the_person_may_not_enter(session):
    reporter = person(session, "KY Organik Gıda", Role.REPORTER)
    g01, g12 = indicator(session, "G01"), indicator(session, "G12")
    with pytest.raises(FiguresForbidden) as caught:
        record_figures(
            session, reporter, cluster(session, "inoviz"), Q1, {g01.id: Decimal(1)}, NOW, "k1"
        )
    assert "İNOVİZ – Sağlık için İzmir için gösterge" in describe(caught.value)
    with pytest.raises(FiguresForbidden) as caught:
        record_figures(session, reporter, cluster(session), Q1, {g12.id: Decimal(3)}, NOW, "k2")
    assert "1 gösterge sizin girebileceğiniz" in describe(caught.value)
    with pytest.raises(FigureError) as caught:
        record_figures(session, reporter, cluster(session), Q1, {g01.id: Decimal(-1)}, NOW, "k3")
    assert "geçerli aralığın dışında" in describe(caught.value)
    ebso = person(session, "EBSO", Role.REPORTER)
    with pytest.raises(FiguresForbidden):
        record_figures(session, ebso, cluster(session), Q1, {g01.id: Decimal(1)}, NOW, "k4")
    assert session.exec(select(IndicatorValue)).all() == []


def test_the_agency_records_level_2_figures_for_a_cluster(session):
    staff = person(session, "İZKA", Role.AGENCY)
    g12 = indicator(session, "G12")
    rows = record_figures(
        session, staff, cluster(session, "inoviz"), Q1, {g12.id: Decimal("3.5")}, NOW, "a:1"
    )
    assert rows[0].subject_key == f"c{cluster(session, 'inoviz').id}"
    assert rows[0].organisation_id == staff.organisation_id


# -- the /gosterge engine, without Telegram ----------------------------------------------------


def context(who: Person, now: datetime = NOW) -> Context:
    return Context(person=who, now=now, settings=SimpleNamespace(calendar=CalendarSettings()))


ENGINE = FiguresDialog()


def start(session: Session, ctx: Context) -> tuple[Dialog | None, Prompt]:
    turn = ENGINE.start(session, ctx, None)
    return turn.dialog, turn.prompt


def handle(session: Session, dlg: Dialog, ctx: Context, value: Input) -> Prompt:
    """The next prompt; the dialog stays active (ENGINE.handle's Turn says when it ends)."""
    turn = ENGINE.handle(session, dlg, ctx, value)
    assert turn.dialog is dlg
    return turn.prompt


def text_of(prompt: Prompt) -> str:
    """What the person reads: the rendered HTML without tags."""
    return html.unescape(re.sub(r"<[^>]+>", "", texts.render(prompt.template, **prompt.params)))


def labels(prompt: Prompt) -> list[str]:
    return [choice.label for row in prompt.choices for choice in row]


def key_of(prompt: Prompt, label: str) -> str:
    return next(c.key for row in prompt.choices for c in row if c.label == label)


def test_the_engine_refuses_without_an_open_quarter(session):
    reporter = person(session, "KY Organik Gıda", Role.REPORTER)
    dlg, prompt = start(session, context(reporter, NOW + timedelta(days=60)))
    assert dlg is None
    assert "gösterge girişine açık bir dönem yok" in text_of(prompt)


def test_the_engine_walks_asks_again_confirms_and_saves(session):
    reporter = person(session, "KY Organik Gıda", Role.REPORTER)
    store(session, reporter, "G02", "2013Q4", "12")
    ctx = context(reporter)
    dlg, prompt = start(session, ctx)
    assert dlg is not None and dlg.subject == "organik-gida@2014Q1"
    assert "(1/22) Paydaş sayısı — birim: adet; geçerli aralık: 0 – 100.000" in text_of(prompt)
    assert labels(prompt) == ["Atla"]

    prompt = handle(session, dlg, ctx, TextInput("12,5"))
    assert "Bu gösterge tam sayı ister" in text_of(prompt) and dlg.data["answers"] == {}
    prompt = handle(session, dlg, ctx, TextInput("45"))
    assert "(2/22) Patent sayısı" in text_of(prompt) and "geçen dönem: 12" in text_of(prompt)
    assert labels(prompt) == ["Atla", "Geçen dönemle aynı (12)", "↩︎ Geri"]

    prompt = handle(session, dlg, ctx, TextInput("500"))  # 12 -> 500
    assert dlg.step == "odd"
    assert "Bu değer geçen dönemin (12) çok üstünde. Doğru mu?" in text_of(prompt)
    assert labels(prompt) == ["Evet, doğru", "Yeniden yaz"]
    prompt = handle(session, dlg, ctx, ChoiceInput("no"))
    assert dlg.step == "figure" and "(2/22)" in text_of(prompt)
    prompt = handle(session, dlg, ctx, TextInput("1"))
    assert "çok altında" in text_of(prompt)
    prompt = handle(session, dlg, ctx, TextInput("13"))  # typed instead of a button
    assert "(3/22)" in text_of(prompt)

    prompt = handle(session, dlg, ctx, ChoiceInput("prev"))
    assert "(2/22)" in text_of(prompt) and "Şu anki yanıtınız: 13 adet" in text_of(prompt)
    prompt = handle(session, dlg, ctx, ChoiceInput("same"))
    assert "(3/22)" in text_of(prompt)
    for _ in range(20):
        prompt = handle(session, dlg, ctx, ChoiceInput("skip"))
    assert dlg.step == "summary"
    summary = text_of(prompt)
    assert "Özet: 2 değer girildi, 20 atlandı." in summary
    assert "G01 Paydaş sayısı: 45 adet" in summary
    assert "G02 Patent sayısı: 12 adet" in summary
    assert "G03 Faydalı model sayısı: atlandı" in summary

    prompt = handle(session, dlg, ctx, ChoiceInput("edit"))
    assert len(labels(prompt)) == 23 and labels(prompt)[0] == "✅ G01 · Paydaş sayısı"
    prompt = handle(
        session, dlg, ctx, ChoiceInput(key_of(prompt, "✅ G01 · Paydaş sayısı"))
    )
    assert "(1/22)" in text_of(prompt) and labels(prompt) == ["Atla", "↩︎ Özete dön"]
    prompt = handle(session, dlg, ctx, TextInput("47"))
    assert dlg.step == "summary" and "G01 Paydaş sayısı: 47 adet" in text_of(prompt)

    turn = ENGINE.handle(session, dlg, ctx, ChoiceInput("ok"))
    assert turn.dialog is None and "Kaydedildi: 2 değer, 20 atlandı." in text_of(turn.prompt)
    rows = session.exec(
        select(IndicatorValue)
        .where(IndicatorValue.period == "2014Q1")
        .order_by(col(IndicatorValue.indicator_id))
    ).all()
    assert [(r.value, r.version, r.person_id) for r in rows] == [
        (Decimal(47), 1, reporter.id),
        (Decimal(12), 1, reporter.id),
    ]
    assert session.exec(select(Dialog)).all() == []


def test_a_draft_resumes_at_the_same_question(session):
    reporter = person(session, "KY Organik Gıda", Role.REPORTER)
    ctx = context(reporter)
    dlg, _ = start(session, ctx)
    handle(session, dlg, ctx, TextInput("45"))
    handle(session, dlg, ctx, ChoiceInput("skip"))
    service.suspend_active(session, reporter, NOW)  # /iptal
    again, prompt = start(session, ctx)
    assert again is not None and again.id == dlg.id
    assert "Yarım kalan gösterge girişinize devam ediyoruz." in text_of(prompt)
    assert "(3/22)" in text_of(prompt)


def test_confirming_nothing_is_refused_and_later_keeps_a_draft(session):
    reporter = person(session, "KY Organik Gıda", Role.REPORTER)
    ctx = context(reporter)
    dlg, _ = start(session, ctx)
    for _ in range(22):
        prompt = handle(session, dlg, ctx, ChoiceInput("skip"))
    prompt = handle(session, dlg, ctx, ChoiceInput("ok"))
    assert "Henüz hiçbir değer girmediniz." in text_of(prompt)
    prompt = handle(session, dlg, ctx, TextInput("45"))
    assert "Lütfen aşağıdaki düğmelerden birini seçin." in text_of(prompt)
    turn = ENGINE.handle(session, dlg, ctx, ChoiceInput("later"))
    assert turn.dialog is None and "taslak olarak saklandı" in text_of(turn.prompt)
    assert session.get(Dialog, dlg.id).status == "draft"


def test_a_locked_quarter_keeps_the_answers_as_a_draft(session):
    reporter = person(session, "KY Organik Gıda", Role.REPORTER)
    ctx = context(reporter)
    dlg, _ = start(session, ctx)
    handle(session, dlg, ctx, TextInput("45"))
    for _ in range(21):
        handle(session, dlg, ctx, ChoiceInput("skip"))
    late = context(reporter, datetime(2014, 5, 20, 10, 0, tzinfo=ISTANBUL))
    turn = ENGINE.handle(session, dlg, late, ChoiceInput("ok"))
    assert turn.dialog is None and "kilitlendiği için" in text_of(turn.prompt)
    assert session.exec(select(IndicatorValue)).all() == []


def test_the_agency_picks_a_cluster_in_the_same_dialog(session):
    staff = person(session, "İZKA", Role.AGENCY)
    ctx = context(staff)
    dlg, prompt = start(session, ctx)
    assert dlg is not None and dlg.step == "pick"
    assert "Hangi kümenin değerlerini" in text_of(prompt)
    assert labels(prompt)[0] == "İzmir Organik Gıda Kümesi"
    prompt = handle(session, dlg, ctx, ChoiceInput("x1"))
    assert "Lütfen listeden bir küme seçin." in text_of(prompt)
    inoviz = cluster(session, "inoviz")
    prompt = handle(session, dlg, ctx, ChoiceInput(f"c{inoviz.id}"))
    assert dlg.subject == "inoviz@2014Q1" and dlg.step == "figure"
    assert "(1/4) Kümelenmeyle ilgili memnuniyet düzeyi" in text_of(prompt)
    assert "birim: 1-5 puan; geçerli aralık: 1 – 5" in text_of(prompt)
    handle(session, dlg, ctx, TextInput("3,5"))
    service.suspend_active(session, staff, NOW)

    pick, prompt = start(session, ctx)
    assert pick is not None and pick.id != dlg.id
    assert "✏️ İNOVİZ – Sağlık için İzmir" in labels(prompt)
    prompt = handle(session, pick, ctx, ChoiceInput(f"c{inoviz.id}"))
    assert "(2/4)" in text_of(prompt) and "devam ediyoruz" in text_of(prompt)
    assert session.get(Dialog, dlg.id) is None  # the draft's answers moved to this dialog
    assert pick.data["answers"] == {str(indicator(session, "G12").id): "3.5"}
