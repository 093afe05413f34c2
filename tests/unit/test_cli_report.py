"""`kume report`: the report written to a folder, through click as a person would run it."""

from __future__ import annotations

from datetime import datetime

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from sqlmodel import select

from kume.cli import cli
from tracker.db import session_scope
from tracker.models import Action, Organisation, Status, StatusUpdate
from tracker.quarters import ISTANBUL

NOW = "2014-04-10T10:00"
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def kume(tmp_path, monkeypatch, db_url, engine):
    """`kume …` on the bundled plan's database (the `engine` fixture prepared it)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KUME_DATABASE_URL", db_url)
    monkeypatch.delenv("KUME_CONFIG", raising=False)
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(cli, list(args))

    return run


def test_report_writes_workbook_charts_and_summary(kume, engine, tmp_path):
    with session_scope(engine) as session:
        action = session.exec(select(Action).where(Action.code == "E1.2.3")).one()
        ebso = session.exec(select(Organisation).where(Organisation.short == "EBSO")).one()
        session.add(StatusUpdate(
            action_id=action.id, organisation_id=ebso.id, quarter="2014Q1",
            status=Status.IN_PROGRESS, progress=40, narrative="İki çalışma ziyareti",
            created_at=datetime(2014, 4, 5, tzinfo=ISTANBUL)))
    out = tmp_path / "rapor"
    result = kume("report", "--out", str(out), "--now", NOW)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Rapor yazıldı: {out}")
    names = sorted(p.name for p in out.iterdir())
    assert "rapor.xlsx" in names and "ozet.txt" in names
    pngs = [n for n in names if n.endswith(".png")]
    assert pngs and all((out / n).read_bytes().startswith(PNG) for n in pngs)
    for name in names:  # every written file is listed, with its full path
        assert str(out / name) in result.output
    summary = (out / "ozet.txt").read_text(encoding="utf-8")
    assert "2014 1. Çeyrek" in summary and "<b>" not in summary
    book = load_workbook(out / "rapor.xlsx", read_only=True)
    assert book.sheetnames == ["Özet", "Eylemler", "Güncellemeler", "Göstergeler", "Katılım",
                               "Üyeler", "Etkinlikler"]
    history = list(book["Güncellemeler"].iter_rows(values_only=True))
    assert any("E1.2.3" in row and 40 in row for row in history)


def test_report_takes_the_chat_filters(kume, tmp_path):
    out = tmp_path / "o2"
    result = kume("report", "Ö2", "2014", "--out", str(out), "--now", NOW)
    assert result.exit_code == 0, result.output
    rows = list(load_workbook(out / "rapor.xlsx", read_only=True)["Eylemler"]
                .iter_rows(values_only=True))[1:]
    assert rows and all(row[0].startswith("E2.") for row in rows)
    assert "Ö2" in (out / "ozet.txt").read_text(encoding="utf-8")


def test_a_wrong_filter_exits_1_with_the_usage(kume, tmp_path):
    out = tmp_path / "none"
    result = kume("report", "xyz", "--out", str(out), "--now", NOW)
    assert result.exit_code == 1
    assert "Hata: “xyz” anlaşılamadı" in result.stderr
    assert "Örnekler:" in result.stderr and "/rapor 2014Q2" in result.stderr
    assert not out.exists()
