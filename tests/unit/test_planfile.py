"""Plan files: lossless round trips, and broken files that change nothing and say where."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from sqlmodel import Session, select

from tracker.db import session_scope
from tracker.models import Action, Plan, Status, StatusUpdate
from tracker.planfile import PlanImportError, export_plan, import_plan
from tracker.plans import find_item, plan_tree, resolve_plan


def _export(engine, fmt: str, code: str | None = None) -> bytes:
    with Session(engine) as session:
        return export_plan(session, resolve_plan(session, code), fmt)


def _import(engine, path: Path):
    with session_scope(engine) as session:
        return import_plan(session, path).code


@pytest.mark.parametrize("fmt", ["json", "csv", "xlsx"])
def test_export_import_export_gives_the_same_file(engine, schema_engine_2, tmp_path, fmt):
    first = _export(engine, fmt)
    path = tmp_path / f"plan.{fmt}"
    path.write_bytes(first)
    _import(schema_engine_2, path)  # into another, empty database
    assert _export(schema_engine_2, fmt) == first
    _import(engine, path)  # over itself: nothing changes
    assert _export(engine, fmt) == first


def test_json_export_follows_the_contract(engine):
    doc = json.loads(_export(engine, "json"))
    assert doc["plan"] == {
        "code": "IZKA-KUME-2013-2018",
        "title": "İzmir Kümelenme Stratejisi 2013-2018",
        "start": "2013Q1",
        "end": "2018Q4",
        "source": doc["plan"]["source"],
    }
    action = next(a for a in doc["actions"] if a["code"] == "E1.2.4")
    assert action["goal"] == "H1.2"
    assert action["responsible"][0] == {"short": "İZKA", "name": "İzmir Kalkınma Ajansı"}
    assert {"short": "Küme Yönetimleri", "name": "Küme Yönetimleri"} in action["responsible"]
    assert action["quarters"][0] == "2013Q1" and len(action["quarters"]) == 24
    assert action["schedule_is_default"] is True
    groups = {o["short"]: o for o in doc["organisations"]}
    assert groups["Üniversiteler"]["members"] == ["EÜ", "DEÜ", "İEÜ"]
    assert len(groups["Küme Yönetimleri"]["members"]) == 6
    assert {i["level"] for i in doc["indicators"]} == {1, 2}
    assert {"code", "title", "level", "unit", "type"} <= doc["indicators"][0].keys()
    assert len(doc["clusters"]) == 6


def test_xlsx_export_is_a_readable_workbook(engine):
    book = load_workbook(io.BytesIO(_export(engine, "xlsx")))
    assert book.sheetnames[:4] == ["Plan", "Öncelikler", "Hedefler", "Eylemler"]
    sheet = book["Eylemler"]
    assert [c.value for c in sheet[1]][:4] == ["kod", "hedef", "başlık", "sorumlular"]
    assert sheet.freeze_panes == "A2"
    assert sheet["A2"].value == "E1.1.1"
    assert sheet["D2"].value == "İZKA; Küme Yönetimleri"
    assert sheet["E2"].value == "2013Q1 – 2018Q4"


def test_a_corrected_schedule_is_stored_and_no_longer_default(engine, tmp_path):
    doc = json.loads(_export(engine, "json"))
    action = next(a for a in doc["actions"] if a["code"] == "E1.1.1")
    action["quarters"] = ["2013Q3", "2013Q4", "2014Q1"]
    path = tmp_path / "corrected.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    _import(engine, path)
    with Session(engine) as session:
        item = find_item(plan_tree(session, resolve_plan(session)), "E1.1.1")
    assert [str(q) for q in item.quarters] == ["2013Q3", "2013Q4", "2014Q1"]
    assert item.schedule_is_default is False


def test_a_second_plan_lives_beside_the_first(engine, tmp_path):
    path = tmp_path / "yeni.csv"
    path.write_text(
        "tablo,kod,başlık,başlangıç,bitiş,öncelik,hedef,sorumlular,çeyrekler\n"
        "Plan,IZKA-2024,İzmir Kümelenme Stratejisi 2024-2028,2024Q1,2028Q4,,,,\n"
        "Öncelikler,Ö1,Yönetişim,,,,,,\n"
        "Hedefler,H1.1,İzleme,,,Ö1,,,\n"
        "Eylemler,E1.1.1,Gösterge setinin güncellenmesi,,,,H1.1,İZKA; EBSO,2024-Ç1 – 2024-Ç4\n",
        encoding="utf-8",
    )
    _import(engine, path)
    with Session(engine) as session:
        assert len(session.exec(select(Plan)).all()) == 2
        tree = plan_tree(session, resolve_plan(session, "izka-2024"))
        old = plan_tree(session, resolve_plan(session, "IZKA-KUME-2013-2018"))
    assert [str(q) for q in tree.actions[0].quarters] == ["2024Q1", "2024Q2", "2024Q3", "2024Q4"]
    assert [r.short for r in tree.actions[0].responsible] == ["İZKA", "EBSO"]
    assert len(old.actions) == 26


# --- broken files -------------------------------------------------------------------------


@pytest.fixture
def csv_rows(engine) -> list[list[str]]:
    return list(csv.reader(io.StringIO(_export(engine, "csv").decode("utf-8"))))


def _write_csv(tmp_path: Path, rows: list[list[str]]) -> Path:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path = tmp_path / "bozuk.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def _row_of(rows: list[list[str]], code: str) -> int:
    return next(i for i, r in enumerate(rows) if r[1] == code)


CSV_BREAKAGES = {
    # name: (code of the row, column label, new value, words the message must contain)
    "unknown organisation": (
        "E1.2.3",
        "sorumlular",
        "İZKA; XYZ Derneği",
        ["“XYZ Derneği” adlı kuruluş bilinmiyor"],
    ),
    "bad quarter": ("E1.1.2", "çeyrekler", "2014Q5", ["“2014Q5” geçerli bir çeyrek değil"]),
    "quarter outside the plan": ("E1.1.2", "çeyrekler", "2019Q1", ["planın dönemi dışında"]),
    "duplicate code": ("E1.1.3", "kod", "E1.1.2", ["“E1.1.2” kodu birden fazla kez"]),
    "missing title": ("E2.1.1", "başlık", "", ["boş bırakılamaz"]),
    "unknown goal": ("E2.1.2", "hedef", "H9.9", ["“H9.9” kodlu hedef bu planda yok"]),
    "code with symbols": (
        "E1.1.1",
        "kod",
        "E1.1.1'); DROP TABLE action;--",
        ["“E1.1.1'); DROP TABLE action;--” kod olarak kullanılamaz", "nokta (.), tire (-)"],
    ),
    "code with a space": ("E1.1.2", "kod", "E 1.1.2", ["“E 1.1.2” kod olarak kullanılamaz"]),
    "code not starting with a letter or digit": (
        "E1.1.3",
        "kod",
        "-E1.1.3",
        ["“-E1.1.3” kod olarak"],
    ),
    "code too long": (
        "E1.2.1",
        "kod",
        "Eylem.Çağrı-Öğütlü_Işık.Şükrü-İğdeli.Ümran.Gökçe-1.2.3",
        ["çok uzun (54 karakter); en fazla 16 karakter olabilir."],
    ),
    "title too long": (
        "E1.2.2",
        "başlık",
        "Uzun başlık " * 420,
        ["çok uzun (5.039 karakter); en fazla 1.000 karakter olabilir."],
    ),
}


@pytest.mark.parametrize("name", CSV_BREAKAGES)
def test_a_broken_csv_names_row_and_column_and_changes_nothing(engine, tmp_path, csv_rows, name):
    code, column, value, words = CSV_BREAKAGES[name]
    before = _export(engine, "json")
    line = _row_of(csv_rows, code)
    csv_rows[line][csv_rows[0].index(column)] = value
    # A harmless change elsewhere proves that nothing of the file was half-applied.
    csv_rows[_row_of(csv_rows, "Ö1")][2] = "Değişmemesi gereken başlık"
    path = _write_csv(tmp_path, csv_rows)
    with pytest.raises(PlanImportError) as caught:
        _import(engine, path)
    message = str(caught.value)
    assert f"bozuk.csv: Eylemler tablosu, {line + 1}. satır, “{column}” sütunu:" in message
    for word in words:
        assert word in message
    assert _export(engine, "json") == before


def test_codes_of_the_longest_length_with_turkish_letters_are_accepted(engine, tmp_path):
    doc = json.loads(_export(engine, "json"))
    longest = "Ğİ.ŞÇ-Öü_ığşç.12"  # 16 characters, 29 bytes
    doc["actions"][0]["code"] = longest
    doc["actions"][0]["title"] = "Ş" * 1000
    doc["indicators"][0]["title"] = "Ç" * 500
    doc["goals"][0]["title"] = "Ü" * 500
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    _import(engine, path)
    with Session(engine) as session:
        action = session.exec(select(Action).where(Action.code == longest)).one()
    assert action.title == "Ş" * 1000


@pytest.mark.parametrize(
    ("table", "field", "value", "words"),
    [
        ("plan", "title", "P" * 301, "çok uzun (301 karakter); en fazla 300"),
        ("plan", "code", "İZKA 2024", "“İZKA 2024” kod olarak kullanılamaz"),
        ("priorities", "code", "Ö1<b>", "“Ö1<b>” kod olarak kullanılamaz"),
        ("goals", "title", "H" * 501, "çok uzun (501 karakter); en fazla 500"),
        ("indicators", "code", "G" * 17, "çok uzun (17 karakter); en fazla 16"),
        ("indicators", "title", "G" * 501, "çok uzun (501 karakter); en fazla 500"),
        ("clusters", "code", "organik gıda", "“organik gıda” kod olarak kullanılamaz"),
        ("organisations", "short", "K" * 121, "çok uzun (121 karakter); en fazla 120"),
        # A value quoted back is shortened: the message stays readable at any length.
        pytest.param(
            "goals",
            "priority",
            "Ö" * 200_000,
            "“" + "Ö" * 59 + "…” kodlu öncelik bu planda yok.",
            id="a long reference",
        ),
    ],
)
def test_every_code_and_title_is_checked_in_place(engine, tmp_path, table, field, value, words):
    doc = json.loads(_export(engine, "json"))
    record = doc[table] if table == "plan" else doc[table][1]
    record[field] = value
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    before = _export(engine, "json")
    with pytest.raises(PlanImportError) as caught:
        _import(engine, path)
    place = f"“{field}” alanı" if table == "plan" else f"2. kayıt, “{field}” alanı"
    assert f"{place}: {words}" in str(caught.value)
    assert _export(engine, "json") == before


def test_a_broken_xlsx_names_sheet_row_and_column_letter(engine, tmp_path):
    book = load_workbook(io.BytesIO(_export(engine, "xlsx")))
    book["Eylemler"]["D5"] = "İZKA; Olmayan Kurum"
    book["Göstergeler"]["C3"] = "üç"
    path = tmp_path / "plan.xlsx"
    book.save(path)
    before = _export(engine, "json")
    with pytest.raises(PlanImportError) as caught:
        _import(engine, path)
    lines = str(caught.value).splitlines()
    assert (
        "plan.xlsx: “Eylemler” sayfası, 5. satır, D sütunu (“sorumlular”): “Olmayan Kurum” "
        "adlı kuruluş bilinmiyor"
    ) in lines[0]
    assert (
        "“Göstergeler” sayfası, 3. satır, C sütunu (“düzey”): “üç” bir tam sayı değil." in lines[1]
    )
    assert _export(engine, "json") == before


def test_a_broken_json_names_record_and_field(engine, tmp_path):
    doc = json.loads(_export(engine, "json"))
    doc["actions"][3]["quarters"] = ["2014-Ç7"]
    doc["goals"][1]["title"] = "   "
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(PlanImportError) as caught:
        _import(engine, path)
    message = str(caught.value)
    assert "plan.json: Hedefler tablosu, 2. kayıt, “title” alanı: boş bırakılamaz." in message
    assert "plan.json: Eylemler tablosu, 4. kayıt, “quarters” alanı: “2014-Ç7”" in message


def test_unreadable_files_are_refused_clearly(engine, tmp_path):
    for name, data, words in [
        ("plan.pdf", b"%PDF", "“.pdf” uzantılı dosyalar okunamıyor"),
        ("plan.json", b"{not json", "dosya okunamadı"),
        ("plan.csv", "tablo,kod\n".encode("utf-16"), "UTF-8"),
        ("plan.json", b"[1, 2]", "bir plan belgesi değil"),
        ("plan.xlsx", b"PK not really", "dosya okunamadı"),
    ]:
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(PlanImportError, match=words):
            _import(engine, path)
    empty = Workbook()
    empty.active.title = "Sayfa1"
    empty.save(tmp_path / "empty.xlsx")
    with pytest.raises(PlanImportError, match="bilinmeyen tablo"):
        _import(engine, tmp_path / "empty.xlsx")


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("trunc.json", b'{"plan": ', "dosya okunamadı ("),
        ("junk.csv", b"a,b\n1,2\n", "1. satır: ilk sütunun başlığı “tablo” olmalı."),
        ("junk.xlsx", b"PK not really", "dosya okunamadı ("),
    ],
)
def test_a_file_level_problem_names_the_file_without_stray_punctuation(
    engine, tmp_path, name, data, message
):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(PlanImportError) as caught:
        _import(engine, path)
    assert str(caught.value).startswith(f"{name}: {message}")

@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("trunc.json", b'{"plan": ', "okunamadı (JSON sözdizimi hatası: 1. satır, 10. sütun)."),
        ("bad.json", b'{\n  "plan": {"code": "X",}\n}', "2. satır, 24. sütun)."),
        ("bad.yaml", b"plan:\n  code: [X\n  title: Y\n", "(YAML sözdizimi hatası: 3. satır, 8."),
        ("junk.xlsx", b"PK not really", "okunamadı (geçerli bir Excel (.xlsx) dosyası değil)."),
    ],
)
def test_a_file_that_does_not_parse_is_placed_in_turkish(engine, tmp_path, name, data, message):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(PlanImportError) as caught:
        _import(engine, path)
    assert message in str(caught.value)
    assert "Expecting" not in str(caught.value) and "zip" not in str(caught.value)


def test_a_csv_cell_past_the_csv_module_s_limit_is_refused_with_its_line(engine, tmp_path):
    path = tmp_path / "plan.csv"
    path.write_text("tablo,kod\nPlan," + "A" * 200_000 + "\n", encoding="utf-8")
    with pytest.raises(PlanImportError) as caught:
        _import(engine, path)
    assert str(caught.value) == (
        "plan.csv: 2. satır: bir hücre çok uzun (en fazla 131.072 karakter)."
    )


def test_a_csv_saved_with_old_mac_line_endings_imports(engine, schema_engine_2, tmp_path):
    exported = _export(engine, "csv")
    path = tmp_path / "plan.csv"
    assert exported.count(b"\n") > 100
    path.write_bytes(exported.replace(b"\n", b"\r"))
    _import(schema_engine_2, path)
    assert _export(schema_engine_2, "csv") == exported


def test_an_action_with_reports_cannot_be_dropped(engine, tmp_path):
    with session_scope(engine) as session:
        action = session.exec(select(Action).where(Action.code == "E1.1.1")).one()
        session.add(
            StatusUpdate(
                action_id=action.id,
                organisation_id=1,
                quarter="2013Q1",
                status=Status.IN_PROGRESS,
                progress=10,
                narrative="başladı",
            )
        )
    doc = json.loads(_export(engine, "json"))
    doc["actions"] = [a for a in doc["actions"] if a["code"] != "E1.1.1"]
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(PlanImportError, match="E1.1.1 için kayıtlı raporlar var"):
        _import(engine, path)
    with Session(engine) as session:
        assert len(plan_tree(session, resolve_plan(session)).actions) == 26
