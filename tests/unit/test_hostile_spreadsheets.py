"""Formula text in every spreadsheet and CSV kume writes stays text.

A person can type `=HYPERLINK(...)` as a narrative, a name or a plan title. The agency opens
kume's files in Excel, so every workbook must hold such text as a string cell (never a formula
or an error value) and every CSV must carry it neutralised: a text beginning with = + - @ TAB
or CR (or with the quote itself) gets one single quote in front. Numbers stay numbers, negative
ones too, and the plan still makes the trip export → import → export byte for byte.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from decimal import Decimal

import openpyxl
import pytest
from click.testing import CliRunner
from sqlmodel import Session, select

from kume.cli import cli
from tracker import reports
from tracker.calendar import CalendarSettings
from tracker.db import session_scope
from tracker.models import (
    Action,
    Cluster,
    Indicator,
    IndicatorValue,
    Organisation,
    Person,
    Role,
    Status,
    StatusUpdate,
)
from tracker.planfile import export_plan, import_plan
from tracker.plans import plan_tree, resolve_plan
from tracker.quarters import ISTANBUL, Quarter
from tracker.reports import ReportFilters

HYPERLINK = '=HYPERLINK("http://evil.example/x","Kanıt için tıklayın")'
NARRATIVE = HYPERLINK
BLOCKERS = "@SUM(1)"
EVIDENCE = "-2+3"
PERSON = "+90 232 000 00 00"
NOTE = "#N/A"
# After 2014Q2 locked: a report without words is on 2014Q2.
NOW = datetime(2014, 8, 20, 10, 0, tzinfo=ISTANBUL)
Q2 = Quarter(2014, 2)


def _by(session: Session, model, **where):
    query = select(model)
    for name, value in where.items():
        query = query.where(getattr(model, name) == value)
    return session.exec(query).one()


@pytest.fixture
def hostile(engine):
    """A 2014Q2 answer and figures of EBSO whose every text is a formula, and falling figures."""
    with session_scope(engine) as s:
        ebso = _by(s, Organisation, short="EBSO")
        action = _by(s, Action, code="E1.2.3")
        cluster = _by(s, Cluster, code="organik-gida")
        management = _by(s, Organisation, short="KY Organik Gıda")
        g01 = _by(s, Indicator, code="G01")
        person = Person(display_name=PERSON, telegram_user_id=4242, organisation_id=ebso.id,
                        role=Role.REPORTER)
        member = Person(display_name="=1+2", telegram_user_id=4343,
                        organisation_id=management.id, role=Role.REPORTER,
                        cluster_id=cluster.id)
        s.add_all([person, member])
        s.flush()
        s.add(StatusUpdate(action_id=action.id, organisation_id=ebso.id, quarter="2014Q2",
                           status=Status.IN_PROGRESS, progress=40, narrative=NARRATIVE,
                           blockers=BLOCKERS, evidence_link=EVIDENCE,
                           evidence_file_name="\tdosya.pdf", person_id=person.id,
                           created_at=datetime(2014, 7, 3, 9, 0, tzinfo=UTC)))
        for period, value in (("2014Q1", "40"), ("2014Q2", "-5")):
            s.add(IndicatorValue(indicator_id=g01.id, cluster_id=cluster.id,
                                 organisation_id=management.id, subject_key=f"c{cluster.id}",
                                 period=period, value=Decimal(value), note=NOTE,
                                 person_id=member.id,
                                 created_at=datetime(2014, 7, 4, 9, 0, tzinfo=UTC)))
    return engine


@pytest.fixture
def kume(tmp_path, monkeypatch, db_url):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KUME_DATABASE_URL", db_url)
    monkeypatch.delenv("KUME_CONFIG", raising=False)
    runner = CliRunner()

    def run(*args: str) -> bytes:
        result = runner.invoke(cli, list(args), catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.stdout_bytes

    return run


def _cells(sheet, header_row: int = 1) -> list[dict]:
    """Each row below the header as {column label: cell}."""
    rows = list(sheet.iter_rows())
    header = [c.value for c in rows[header_row - 1]]
    return [dict(zip(header, row, strict=False)) for row in rows[header_row:]]


def _assert_text(cell, text: str) -> None:
    assert (cell.data_type, cell.value) == ("s", text), cell.coordinate


def _assert_number(cell, number) -> None:
    assert (cell.data_type, cell.value) == ("n", number), cell.coordinate


# -- /rapor and `kume report` ------------------------------------------------------------------


def _check_report_workbook(book) -> None:
    actions = {r["Eylem kodu"].value: r for r in _cells(book["Eylemler"])}
    _assert_text(actions["E1.2.3"]["Yapılanlar"], NARRATIVE)
    _assert_number(actions["E1.2.3"]["İlerleme (%)"], 40)

    history = {r["Eylem kodu"].value: r for r in _cells(book["Güncellemeler"])}
    answer = history["E1.2.3"]
    _assert_text(answer["Yapılanlar"], NARRATIVE)
    _assert_text(answer["Engeller"], BLOCKERS)
    _assert_text(answer["Kanıt bağlantısı"], EVIDENCE)
    _assert_text(answer["Kanıt dosyası"], "\tdosya.pdf")
    _assert_text(answer["Bildiren"], PERSON)
    _assert_number(answer["İlerleme (%)"], 40)
    assert answer["Kayıt zamanı"].is_date

    turnout = {r["Kuruluş"].value: r for r in _cells(book["Katılım"])}
    _assert_text(turnout["EBSO"]["Kişiler"], PERSON)
    _assert_text(turnout["KY Organik Gıda"]["Kişiler"], "=1+2")


def _workbook(engine, filters: ReportFilters):
    with session_scope(engine) as session:
        report = reports.build_report(session, filters, now=NOW, settings=CalendarSettings())
    return openpyxl.load_workbook(io.BytesIO(reports.workbook_bytes(report)))


def test_report_workbook_holds_formulas_as_text(hostile):
    _check_report_workbook(_workbook(hostile, ReportFilters(period=Q2)))


def test_report_workbook_keeps_falling_figures_numbers(hostile):
    book = _workbook(hostile, ReportFilters(period=Q2, topic="gosterge"))
    figure = _cells(book["Göstergeler"])[0]
    _assert_number(figure["Değer"], -5)
    _assert_number(figure["Önceki değer"], 40)
    _assert_number(figure["Değişim"], -45)


def test_kume_report_workbook_holds_formulas_as_text(hostile, kume, tmp_path):
    kume("report", "--out", str(tmp_path / "rapor"), "--now", "2014-08-20T10:00")
    _check_report_workbook(openpyxl.load_workbook(tmp_path / "rapor" / "rapor.xlsx"))


# -- kume export updates -----------------------------------------------------------------------


def test_updates_xlsx_holds_formulas_as_text(hostile, kume, tmp_path):
    out = tmp_path / "guncellemeler.xlsx"
    kume("export", "updates", "--format", "xlsx", "--out", str(out))
    book = openpyxl.load_workbook(out)
    answer = _cells(book["Durum Güncellemeleri"])[0]
    _assert_text(answer["açıklama"], NARRATIVE)
    _assert_text(answer["engeller"], BLOCKERS)
    _assert_text(answer["kanıt bağlantısı"], EVIDENCE)
    _assert_text(answer["kanıt dosyası"], "\tdosya.pdf")
    _assert_text(answer["bildiren"], PERSON)
    _assert_number(answer["ilerleme (%)"], 40)
    _assert_number(answer["Telegram kimliği"], 4242)
    figures = _cells(book["Gösterge Değerleri"])
    _assert_text(figures[1]["not"], NOTE)
    _assert_text(figures[1]["bildiren"], "=1+2")
    _assert_number(figures[1]["değer"], -5)


def test_updates_csv_neutralises_formulas(hostile, kume):
    text = kume("export", "updates", "--format", "csv", "--out", "-").decode("utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    table = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    answer = table[0]
    assert answer["açıklama"] == "'" + NARRATIVE
    assert answer["engeller"] == "'@SUM(1)"
    assert answer["kanıt bağlantısı"] == "'-2+3"
    assert answer["kanıt dosyası"] == "'\tdosya.pdf"
    assert answer["bildiren"] == "'+90 232 000 00 00"
    assert answer["ilerleme (%)"] == "40"
    figure = table[2]
    assert figure["not"] == NOTE  # not a formula in a CSV
    assert figure["bildiren"] == "'=1+2"
    assert figure["değer"] == "-5"  # a number we write, not a formula


# -- kume plan export / import -----------------------------------------------------------------

# Titles as they are imported, and as they are stored (a plan's texts are trimmed).
PLAN_TITLES = {
    ("priorities", "Ö1"): (HYPERLINK, HYPERLINK),
    ("goals", "H1.1"): ("+90 232", "+90 232"),
    ("actions", "E1.1.1"): ("-x", "-x"),
    ("actions", "E1.1.2"): ("@SUM(1)", "@SUM(1)"),
    ("actions", "E1.1.3"): ("\t=sekme", "=sekme"),
    ("actions", "E1.2.1"): ("'tırnakla başlayan", "'tırnakla başlayan"),
    ("actions", "E1.2.2"): ("'=zaten tırnaklı", "'=zaten tırnaklı"),
    ("actions", "E1.2.3"): ("#N/A", "#N/A"),
}


@pytest.fixture
def hostile_plan(engine, tmp_path):
    """The bundled plan with formula titles and an indicator range below zero, imported."""
    with Session(engine) as session:
        doc = json.loads(export_plan(session, resolve_plan(session), "json"))
    for (table, code), (title, _stored) in PLAN_TITLES.items():
        next(item for item in doc[table] if item["code"] == code)["title"] = title
    doc["indicators"][0]["min"] = -5
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    with session_scope(engine) as session:
        import_plan(session, path)
    return engine


def _stored_titles(engine) -> dict[tuple[str, str], str]:
    with Session(engine) as session:
        tree = plan_tree(session, resolve_plan(session))
    titles = {("priorities", p.code): p.title for p in tree.priorities}
    titles |= {("goals", g.code): g.title for p in tree.priorities for g in p.goals}
    titles |= {("actions", a.code): a.title for a in tree.actions}
    return {key: titles[key] for key in PLAN_TITLES}


def test_plan_xlsx_holds_formulas_as_text(hostile_plan, kume):
    book = openpyxl.load_workbook(io.BytesIO(kume("plan", "export", "--format", "xlsx",
                                                  "--out", "-")))
    sheets = {"priorities": "Öncelikler", "goals": "Hedefler", "actions": "Eylemler"}
    for (table, code), (_title, stored) in PLAN_TITLES.items():
        row = next(r for r in _cells(book[sheets[table]]) if r["kod"].value == code)
        _assert_text(row["başlık"], stored)
    indicator = _cells(book["Göstergeler"])[0]
    _assert_number(indicator["en az"], -5)
    _assert_number(indicator["düzey"], 1)


def test_plan_csv_neutralises_formulas(hostile_plan, kume):
    text = kume("plan", "export", "--format", "csv", "--out", "-").decode("utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0]
    cell = {(r[0], r[1]): dict(zip(header, r, strict=True)) for r in rows[1:]}
    labels = {"priorities": "Öncelikler", "goals": "Hedefler", "actions": "Eylemler"}
    expected = {
        ("priorities", "Ö1"): "'" + HYPERLINK,
        ("goals", "H1.1"): "'+90 232",
        ("actions", "E1.1.1"): "'-x",
        ("actions", "E1.1.2"): "'@SUM(1)",
        ("actions", "E1.1.3"): "'=sekme",
        ("actions", "E1.2.1"): "''tırnakla başlayan",
        ("actions", "E1.2.2"): "''=zaten tırnaklı",
        ("actions", "E1.2.3"): "#N/A",
    }
    for (table, code), written in expected.items():
        assert cell[(labels[table], code)]["başlık"] == written
    indicator = next(r for r in rows[1:] if r[0] == "Göstergeler")
    assert indicator[header.index("en az")] == "-5"


@pytest.mark.parametrize("fmt", ["json", "csv", "xlsx"])
def test_plan_round_trip_keeps_formula_titles(hostile_plan, schema_engine_2, tmp_path, fmt):
    stored = {key: value for key, (_title, value) in PLAN_TITLES.items()}
    assert _stored_titles(hostile_plan) == stored
    with Session(hostile_plan) as session:
        first = export_plan(session, resolve_plan(session), fmt)
    path = tmp_path / f"plan.{fmt}"
    path.write_bytes(first)
    with session_scope(schema_engine_2) as session:  # into another, empty database
        import_plan(session, path)
    assert _stored_titles(schema_engine_2) == stored
    with Session(schema_engine_2) as session:
        assert export_plan(session, resolve_plan(session), fmt) == first
    with session_scope(hostile_plan) as session:  # over itself: nothing changes
        import_plan(session, path)
    assert _stored_titles(hostile_plan) == stored
    with Session(hostile_plan) as session:
        assert export_plan(session, resolve_plan(session), fmt) == first


def test_plan_csv_written_by_hand_keeps_a_lone_quote(engine, tmp_path):
    """Only the quote export adds is taken away: `'abc` typed by a person stays `'abc`."""
    with Session(engine) as session:
        text = export_plan(session, resolve_plan(session), "csv").decode("utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    title = rows[0].index("başlık")
    row = next(r for r in rows if r[0] == "Eylemler" and r[1] == "E1.1.1")
    row[title] = "'abc"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path = tmp_path / "elle.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    with session_scope(engine) as session:
        import_plan(session, path)
    with Session(engine) as session:
        action = session.exec(select(Action).where(Action.code == "E1.1.1")).one()
    assert action.title == "'abc"


def test_control_characters_do_not_break_a_workbook(engine):
    """Text XML cannot hold (a bell, a NUL) is left out of the cell instead of failing."""
    with session_scope(engine) as s:
        ebso = _by(s, Organisation, short="EBSO")
        action = _by(s, Action, code="E1.2.3")
        s.add(StatusUpdate(action_id=action.id, organisation_id=ebso.id, quarter="2014Q2",
                           status=Status.IN_PROGRESS, progress=10, narrative="zil\x07sesi",
                           created_at=datetime(2014, 7, 3, 9, 0, tzinfo=UTC)))
    answer = _cells(_workbook(engine, ReportFilters(period=Q2))["Güncellemeler"])[0]
    _assert_text(answer["Yapılanlar"], "zilsesi")


def test_csv_text_survives_excel_splitting_at_semicolons():
    """Excel set to Turkish splits a CSV at ";": every text field is quoted, so a formula
    behind a semicolon stays inside its text field; numbers stay bare."""
    from tracker.spreadsheets import csv_bytes

    line = csv_bytes([["x;=1+2", -5, 7.5, None]]).decode("utf-8").strip()
    assert line == '"x;=1+2",-5,7.5,""'
    pieces = next(csv.reader(io.StringIO(line), delimiter=";"))
    assert not any(p.startswith(("=", '"=')) for p in pieces[1:])
