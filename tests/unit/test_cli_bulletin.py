"""`kume bulletin preview|send|list`, run as a person would (in-process through click)."""

from __future__ import annotations

from datetime import datetime

import pytest
from click.testing import CliRunner
from sqlmodel import Session, select

from kume.cli import cli
from tracker.db import create_db_engine, session_scope
from tracker.models import (
    Bulletin,
    BulletinStatus,
    MailMessage,
    Notification,
    Person,
    Role,
    Subscriber,
)
from tracker.quarters import ISTANBUL
from tracker.unsubscribe import subscriber_of

START = "2014-04-10T10:00:00+03:00"


@pytest.fixture
def kume(tmp_path, monkeypatch, db_url):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KUME_DATABASE_URL", db_url)
    monkeypatch.setenv("KUME_CLOCK_START", START)
    monkeypatch.setenv("KUME_WEB_SECRET", "gizli")
    monkeypatch.setenv("KUME_WEB_BASE_URL", "https://portal.example")
    monkeypatch.delenv("KUME_CONFIG", raising=False)
    runner = CliRunner()

    def run(*args: str, input: str | None = None):
        return runner.invoke(cli, list(args), catch_exceptions=False, standalone_mode=False,
                             input=input)

    run("db", "upgrade")
    engine = create_db_engine(db_url)
    now = datetime(2014, 4, 1, tzinfo=ISTANBUL)
    with session_scope(engine) as session:
        session.add_all([
            Person(telegram_user_id=801, display_name="Üye", role=Role.MEMBER, consent_at=now),
            Subscriber(email="ayse@example.com", email_key="ayse@example.com",
                       consent_source="test", consent_at=now)])
    run.engine = engine  # type: ignore[attr-defined]
    yield run
    engine.dispose()


def test_preview_writes_three_files(kume, tmp_path):
    out = tmp_path / "onizleme"
    result = kume("bulletin", "preview", "--period", "2014Q1", "--out", str(out))
    assert "bulten.html, bulten.txt, telegram.txt" in result.output
    assert 'lang="tr"' in (out / "bulten.html").read_text(encoding="utf-8")
    assert "Kümelenme Bülteni · 2014 1. Çeyrek" in (out / "bulten.txt").read_text("utf-8")
    assert (out / "telegram.txt").read_text("utf-8").startswith("📰 <b>Kümelenme Bülteni")
    with Session(kume.engine) as session:  # a preview stores nothing
        assert session.exec(select(Bulletin)).all() == []


def test_send_asks_first_then_sends_and_lists(kume, tmp_path):
    asked = kume("bulletin", "send", "--period", "2014Q1", input="n\n")
    assert "Telegram: 1 kişi (1 mesaj)" in asked.output and "E-posta:  1 abone" in asked.output
    assert "Gönderilmedi." in asked.output
    with Session(kume.engine) as session:
        assert session.exec(select(Notification)).all() == []
    sent = kume("bulletin", "send", "--period", "2014Q1", "--yes")
    assert "gönderime verildi: Telegram 1 kişi (1 mesaj), e-posta 1 abone" in sent.output
    with Session(kume.engine) as session:
        (row,) = session.exec(select(Notification)).all()
        (mail,) = session.exec(select(MailMessage)).all()
        token = mail.text.split("https://portal.example/abonelik/iptal/")[1].split()[0]
        assert subscriber_of("gizli", token) == mail.subscriber_id
    listed = kume("bulletin", "list").output
    assert "2014Q1" in listed and "gönderildi" in listed
    # Sent: the preview is what went out, and it cannot be sent again.
    out = tmp_path / "sonra"
    kume("bulletin", "preview", "--period", "2014Q1", "--out", str(out))
    with Session(kume.engine) as session:
        stored = session.exec(select(Bulletin)).one()
        assert (out / "bulten.html").read_text("utf-8") == stored.frozen_html


def test_the_question_is_answered_in_turkish_and_no_answer_is_a_no(kume):
    """"e" is yes (click's own confirm knew only y/n and said "invalid input"); the end of
    the input sends nothing and says so."""
    silent = kume("bulletin", "send", "--period", "2014Q1", input="")
    assert "Gönderilsin mi? [e/H]" in silent.output and "Gönderilmedi." in silent.output
    with Session(kume.engine) as session:
        assert session.exec(select(Notification)).all() == []
    yes = kume("bulletin", "send", "--period", "2014Q1", input="e\n")
    assert "gönderime verildi" in yes.output and "kume mail send" in yes.output


def test_send_at_schedules_and_run_due_sends_it(kume):
    with pytest.raises(Exception) as past:
        kume("bulletin", "send", "--period", "2014-03", "--at", "2014-04-01T09:00", "--yes")
    assert getattr(past.value, "code", None) == "bulletin_schedule_past"
    result = kume("bulletin", "send", "--period", "2014-03", "--at", "2014-04-11T09:00",
                  "--yes")
    assert "11 Nisan 2014 09:00 için zamanlandı" in result.output
    assert "zamanlandı" in kume("bulletin", "list").output
    kume("run-due", "--now", "2014-04-11T09:05")
    with Session(kume.engine) as session:
        assert session.exec(select(Bulletin)).one().status == BulletinStatus.SENT
        assert len(session.exec(select(Notification).where(
            Notification.kind == "bulletin")).all()) == 1


def test_a_bad_period_is_refused_in_turkish(kume, tmp_path, db_url):
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "kume", "bulletin", "preview", "--period", "2014Q9", "--out",
         str(tmp_path / "x")], capture_output=True, text=True,
        env={"KUME_DATABASE_URL": db_url, "PATH": "/usr/bin:/bin"})
    assert result.returncode == 1
    assert "“2014Q9” bir dönem değil" in result.stderr and "Traceback" not in result.stderr
