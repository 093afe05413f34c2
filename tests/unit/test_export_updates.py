"""`kume export updates`: every version of status updates and figures, as a person sees them."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from decimal import Decimal

import openpyxl
import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from sqlmodel import Session, select

from kume.cli import cli
from tracker.db import session_scope
from tracker.errors import NotFound
from tracker.models import (
    Action,
    Cluster,
    Indicator,
    IndicatorValue,
    Organisation,
    Person,
    Plan,
    Role,
    Status,
    StatusUpdate,
)
from tracker.quarters import Quarter
from tracker.texts import describe
from tracker.updates_export import UpdatesExportError, collect_updates, render

PLAN = "IZKA-KUME-2013-2018"


def _by(session: Session, model, **where):
    query = select(model)
    for name, value in where.items():
        query = query.where(getattr(model, name) == value)
    return session.exec(query).one()


def _seed(engine) -> None:
    with session_scope(engine) as s:
        izka = _by(s, Organisation, short="İZKA")
        ky = _by(s, Organisation, short="KY Organik Gıda")
        cluster = _by(s, Cluster, code="organik-gida")
        e111 = _by(s, Action, code="E1.1.1")
        e112 = _by(s, Action, code="E1.1.2")
        g01 = _by(s, Indicator, code="G01")
        ayse = Person(
            display_name="Ayşe Yılmaz",
            telegram_user_id=123456789,
            organisation_id=izka.id,
            role=Role.AGENCY,
        )
        mehmet = Person(display_name="Mehmet Demir", organisation_id=ky.id, role=Role.REPORTER)
        s.add_all([ayse, mehmet])
        s.flush()
        # Inserted out of order: the export orders by quarter, subject, version.
        s.add_all(
            [
                StatusUpdate(
                    action_id=e111.id,
                    organisation_id=izka.id,
                    quarter="2015Q1",
                    status=Status.NOT_STARTED,
                    progress=0,
                    person_id=ayse.id,
                    created_at=datetime(2015, 3, 2, 10, 0, tzinfo=UTC),  # 12:00 in İstanbul
                ),
                StatusUpdate(
                    action_id=e111.id,
                    organisation_id=izka.id,
                    quarter="2014Q2",
                    version=2,
                    status=Status.DELAYED,
                    progress=50,
                    narrative="Taslak hazır.",
                    blockers="Bütçe onayı bekleniyor",
                    evidence_link="https://example.org/taslak",
                    person_id=ayse.id,
                    # 00:30 on 21 June in İstanbul: the local day is not the UTC day.
                    created_at=datetime(2014, 6, 20, 21, 30, tzinfo=UTC),
                ),
                StatusUpdate(
                    action_id=e111.id,
                    organisation_id=izka.id,
                    quarter="2014Q2",
                    version=1,
                    status=Status.IN_PROGRESS,
                    progress=40,
                    narrative="Çalışma başladı.",
                    person_id=ayse.id,
                    created_at=datetime(2014, 6, 10, 9, 0, tzinfo=UTC),
                ),
                StatusUpdate(
                    action_id=e112.id,
                    organisation_id=izka.id,
                    quarter="2014Q1",
                    status=Status.COMPLETED,
                    progress=100,
                    narrative="Bitti.",
                    evidence_file_name="rapor.pdf",
                    evidence_file_id="AgAD-file",
                    evidence_note="Kapanış raporu, imzalı",
                    created_at=datetime(2014, 3, 31, 8, 0, tzinfo=UTC),
                ),
                IndicatorValue(
                    indicator_id=g01.id,
                    organisation_id=izka.id,
                    subject_key=f"o{izka.id}",
                    period="2014Q2",
                    value=Decimal("7"),
                    person_id=ayse.id,
                    created_at=datetime(2014, 6, 11, 9, 0, tzinfo=UTC),
                ),
                IndicatorValue(
                    indicator_id=g01.id,
                    cluster_id=cluster.id,
                    organisation_id=ky.id,
                    subject_key=f"c{cluster.id}",
                    period="2014Q2",
                    value=Decimal("1234.5"),
                    note="Üye anketi",
                    person_id=mehmet.id,
                    created_at=datetime(2014, 6, 12, 9, 0, tzinfo=UTC),
                ),
            ]
        )


def _export(engine, fmt: str, since: str | None = None, until: str | None = None) -> bytes:
    with session_scope(engine) as s:
        plan = _by(s, Plan, code=PLAN)
        exported = collect_updates(
            s,
            plan,
            Quarter.parse(since) if since else None,
            Quarter.parse(until) if until else None,
        )
    return render(exported, fmt)


def test_json_lists_every_version_in_order(engine):
    _seed(engine)
    doc = json.loads(_export(engine, "json"))
    assert list(doc) == ["plan", "status_updates", "indicator_values"]
    assert doc["plan"] == PLAN

    updates = doc["status_updates"]
    assert [(u["quarter"], u["action_code"], u["version"], u["current"]) for u in updates] == [
        ("2014Q1", "E1.1.2", 1, True),
        ("2014Q2", "E1.1.1", 1, False),
        ("2014Q2", "E1.1.1", 2, True),
        ("2015Q1", "E1.1.1", 1, True),
    ]
    delayed = updates[2]
    assert delayed == {
        "quarter": "2014Q2",
        "quarter_label": "2014 2. Çeyrek",
        "action_code": "E1.1.1",
        "action_title": delayed["action_title"],
        "organisation_short": "İZKA",
        "organisation_name": "İzmir Kalkınma Ajansı",
        "status": "delayed",
        "status_label": "Gecikmede",
        "progress": 50,
        "narrative": "Taslak hazır.",
        "blockers": "Bütçe onayı bekleniyor",
        "evidence_link": "https://example.org/taslak",
        "evidence_file_name": None,
        "evidence_note": None,
        "person_name": "Ayşe Yılmaz",
        "person_telegram_id": 123456789,
        "version": 2,
        "current": True,
        "created_at": "2014-06-21T00:30:00+03:00",
    }
    assert delayed["action_title"].startswith("Bölgeye ve kümelere özgü")
    assert [u["status_label"] for u in updates] == [
        "Tamamlandı",
        "Devam ediyor",
        "Gecikmede",
        "Başlamadı",
    ]
    assert updates[0]["person_name"] is None and updates[0]["evidence_file_name"] == "rapor.pdf"
    assert updates[0]["evidence_note"] == "Kapanış raporu, imzalı"
    assert "evidence_file_id" not in updates[0]
    # Winter 2015: İstanbul was still on +02:00.
    assert updates[3]["created_at"] == "2015-03-02T12:00:00+02:00"

    values = doc["indicator_values"]
    # The figure about the cluster comes before the one about a single organisation.
    assert [(v["cluster_code"], v["organisation_short"], v["value"]) for v in values] == [
        ("organik-gida", "KY Organik Gıda", 1234.5),
        (None, "İZKA", 7),
    ]
    assert values[0] | {"indicator_title": None} == {
        "period": "2014Q2",
        "period_label": "2014 2. Çeyrek",
        "indicator_code": "G01",
        "indicator_title": None,
        "cluster_code": "organik-gida",
        "cluster_name": "İzmir Organik Gıda Kümesi",
        "organisation_short": "KY Organik Gıda",
        "organisation_name": "İzmir Organik Gıda Kümesi Yönetimi",
        "value": 1234.5,
        "unit": "adet",
        "note": "Üye anketi",
        "person_name": "Mehmet Demir",
        "person_telegram_id": None,
        "version": 1,
        "current": True,
        "created_at": "2014-06-12T12:00:00+03:00",
    }
    assert values[0]["indicator_title"] == "Paydaş sayısı"
    assert isinstance(values[1]["value"], int)


def test_quarter_filters(engine):
    _seed(engine)
    doc = json.loads(_export(engine, "json", since="2014Q2", until="2014 2. çeyrek"))
    assert {u["quarter"] for u in doc["status_updates"]} == {"2014Q2"}
    assert len(doc["status_updates"]) == 2 and len(doc["indicator_values"]) == 2
    later = json.loads(_export(engine, "json", since="2015Q1"))
    assert [u["quarter"] for u in later["status_updates"]] == ["2015Q1"]
    assert later["indicator_values"] == []
    with pytest.raises(UpdatesExportError) as refused:
        _export(engine, "json", since="2015Q1", until="2014Q4")
    assert "(2015 1. Çeyrek) bitiş döneminden (2014 4. Çeyrek) sonra olamaz" in describe(
        refused.value
    )


def test_csv_one_file_with_record_kind(engine):
    _seed(engine)
    text = _export(engine, "csv").decode("utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0]
    assert header[:3] == ["kayıt", "dönem", "dönem adı"]
    for label in ("eylem kodu", "gösterge kodu", "durum", "ilerleme (%)", "değer", "güncel"):
        assert header.count(label) == 1
    assert len(header) == len(set(header))
    table = [dict(zip(header, row, strict=True)) for row in rows[1:]]
    assert [r["kayıt"] for r in table] == ["durum"] * 4 + ["gösterge"] * 2

    old, new = table[1], table[2]
    assert (old["eylem kodu"], old["sürüm"], old["güncel"]) == ("E1.1.1", "1", "hayır")
    assert (new["durum"], new["durum kodu"], new["ilerleme (%)"]) == ("Gecikmede", "delayed", "50")
    assert new["güncel"] == "evet" and new["dönem adı"] == "2014 2. Çeyrek"
    assert new["kayıt zamanı"] == "2014-06-21 00:30:00"
    assert new["Telegram kimliği"] == "123456789" and new["bildiren"] == "Ayşe Yılmaz"
    assert new["değer"] == "" and new["gösterge kodu"] == ""
    assert table[0]["kanıt dosyası"] == "rapor.pdf"
    assert table[0]["kanıt açıklaması"] == "Kapanış raporu, imzalı"

    figure = table[4]
    assert (figure["gösterge kodu"], figure["küme kodu"], figure["değer"]) == (
        "G01",
        "organik-gida",
        "1234.5",
    )
    assert figure["birim"] == "adet" and figure["eylem kodu"] == "" and figure["durum"] == ""
    assert table[5]["değer"] == "7" and table[5]["küme kodu"] == ""


def test_xlsx_sheets_dates_and_numbers(engine):
    _seed(engine)
    book = openpyxl.load_workbook(io.BytesIO(_export(engine, "xlsx")))
    assert book.sheetnames == ["Durum Güncellemeleri", "Gösterge Değerleri"]

    updates = book["Durum Güncellemeleri"]
    header = [c.value for c in updates[1]]
    assert header[:4] == ["dönem", "dönem adı", "eylem kodu", "eylem"]
    assert "durum" in header and "kayıt zamanı" in header
    assert updates.freeze_panes == "A2"
    assert updates.auto_filter.ref == f"A1:{updates.cell(1, len(header)).column_letter}5"
    rows = [dict(zip(header, (c.value for c in r), strict=True)) for r in updates.iter_rows(2)]
    assert [(r["eylem kodu"], r["sürüm"], r["güncel"]) for r in rows] == [
        ("E1.1.2", 1, "evet"),
        ("E1.1.1", 1, "hayır"),
        ("E1.1.1", 2, "evet"),
        ("E1.1.1", 1, "evet"),
    ]
    assert rows[2]["kayıt zamanı"] == datetime(2014, 6, 21, 0, 30)  # a date cell, local time
    assert rows[2]["ilerleme (%)"] == 50 and rows[2]["durum"] == "Gecikmede"
    assert rows[2]["Telegram kimliği"] == 123456789
    # Columns fit their text; long action titles stop at 60 characters and wrap.
    assert shown_width(updates.column_dimensions["A"].width) == len("2014Q1") + 2
    assert shown_width(updates.column_dimensions["D"].width) == 60
    assert updates["D2"].alignment.wrap_text
    assert not updates["A2"].alignment.wrap_text
    assert rows[0]["kanıt açıklaması"] == "Kapanış raporu, imzalı"

    values = book["Gösterge Değerleri"]
    header = [c.value for c in values[1]]
    assert header[:4] == ["dönem", "dönem adı", "gösterge kodu", "gösterge"]
    first = dict(zip(header, (c.value for c in values[2]), strict=True))
    assert first["değer"] == 1234.5 and isinstance(first["değer"], float)
    assert values.cell(2, header.index("değer") + 1).data_type == "n"
    assert isinstance(first["kayıt zamanı"], datetime)
    assert values.freeze_panes == "A2" and values.auto_filter.ref.startswith("A1:")


def test_no_updates_yet_exports_headers_only(engine):
    doc = json.loads(_export(engine, "json"))
    assert doc == {"plan": PLAN, "status_updates": [], "indicator_values": []}
    rows = list(csv.reader(io.StringIO(_export(engine, "csv").decode("utf-8"))))
    assert len(rows) == 1 and rows[0][0] == "kayıt"
    book = openpyxl.load_workbook(io.BytesIO(_export(engine, "xlsx")))
    for sheet in book.worksheets:
        assert sheet.max_row == 1 and sheet["A1"].value == "dönem"


def test_a_fixed_number_of_queries(engine):
    _seed(engine)
    with session_scope(engine) as s:
        izka = _by(s, Organisation, short="İZKA")
        g01 = _by(s, Indicator, code="G01")
        s.add_all(
            IndicatorValue(
                indicator_id=g01.id,
                organisation_id=izka.id,
                subject_key=f"o{izka.id}",
                period=str(Quarter(2016, 1) + n),
                value=Decimal(n),
            )
            for n in range(20)
        )
    statements: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        statements.append(statement)

    with session_scope(engine) as s:
        plan = _by(s, Plan, code=PLAN)
        sa.event.listen(engine, "before_cursor_execute", count)
        try:
            exported = collect_updates(s, plan)
        finally:
            sa.event.remove(engine, "before_cursor_execute", count)
    assert len(exported.indicator_values) == 22
    assert len([q for q in statements if q.lstrip().upper().startswith("SELECT")]) == 2


@pytest.fixture
def kume(tmp_path, monkeypatch, db_url):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KUME_DATABASE_URL", db_url)
    monkeypatch.delenv("KUME_CONFIG", raising=False)
    runner = CliRunner()

    def run(*args: str, standalone: bool = False):
        return runner.invoke(cli, list(args), catch_exceptions=False, standalone_mode=standalone)

    return run


def test_cli(engine, kume, tmp_path):
    _seed(engine)
    streamed = kume("export", "updates", "--out", "-")
    doc = json.loads(streamed.stdout_bytes)
    assert doc["plan"] == PLAN and len(doc["status_updates"]) == 4

    out = tmp_path / "guncellemeler.xlsx"
    said = kume("export", "updates", "--format", "xlsx", "--out", str(out), "--plan", PLAN)
    assert said.output.startswith(f"Güncellemeler XLSX olarak yazıldı: {out} (4 durum")
    assert "2 gösterge değeri" in said.output
    assert openpyxl.load_workbook(out).sheetnames[0] == "Durum Güncellemeleri"

    binary = kume("export", "updates", "--format", "xlsx", "--out", "-")
    assert binary.stdout_bytes[:2] == b"PK" and binary.stdout_bytes == out.read_bytes()

    csv_out = kume("export", "updates", "--format", "csv", "--out", "-", "--since", "2015Q1")
    lines = csv_out.stdout_bytes.decode("utf-8").splitlines()
    assert len(lines) == 2 and lines[1].startswith('"durum","2015Q1","2015 1. Çeyrek","E1.1.1"')

    bad = kume("export", "updates", "--out", "-", "--since", "2014Q5", standalone=True)
    assert bad.exit_code == 2 and "Çeyrek 1 ile 4 arasında olmalı" in bad.output
    with pytest.raises(NotFound):
        kume("export", "updates", "--out", "-", "--plan", "YOK")


def shown_width(stored: float) -> int:
    """The width Excel shows, in characters, of a width stored as Excel stores it: the
    characters plus 5 pixels of padding, at 7 pixels a character (Calibri 11)."""
    return round(stored - 5 / 7)
