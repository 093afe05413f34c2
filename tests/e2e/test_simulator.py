"""The offline simulator (`kume simulate`, `kume run` without a token) and `kume invite`,
as a person uses them: transcripts they read, what gets stored, exit statuses."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlmodel import Session, select

from bot.simulator import PERSONAS, SimulatorError, parse, run_interactive, run_script
from bot.simulator.render import styled
from bot.simulator.syntax import Become, Press, Say, SendFile, SetDate, is_comment
from kume.cli import cli, main
from kume.config import Config
from tracker.db import create_db_engine
from tracker.models import Person, Role, StatusUpdate
from tracker.people import redeem_invite
from tracker.texts import describe

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "durum.txt"
EBSO = PERSONAS[0]


def _config(url: str) -> Config:
    return Config.model_validate({"database": {"url": url}})


def _stored(url: str) -> tuple[list[StatusUpdate], Person]:
    engine = create_db_engine(url)
    try:
        with Session(engine) as session:
            rows = session.exec(select(StatusUpdate)).all()
            person = session.exec(
                select(Person).where(Person.telegram_user_id == EBSO.user_id)
            ).one()
    finally:
        engine.dispose()
    return list(rows), person


def _assert_durum_transcript(text: str) -> None:
    assert "· EBSO sorumlusu (Ayşe) davet bağlantısıyla kaydoluyor" in text
    assert "Hoş geldiniz, Ayşe!" in text
    assert "› EBSO sorumlusu: /durum" in text
    assert "      [1] E1.2.3 · Ulusal ve uluslar arası küme örgütleri" in text
    assert "› EBSO sorumlusu: [2] Devam ediyor" in text
    assert "“yüzde kırk” bir sayı olarak okunamadı" in text
    assert "› EBSO sorumlusu: [1] ✅ Onayla" in text
    assert "Kaydedildi: E1.2.3, 2014 1. Çeyrek — Devam ediyor, %40." in text
    assert "kume yardım · EBSO, kuruluş sorumlusu" in text
    assert "\x1b[" not in text


def _assert_durum_stored(url: str) -> None:
    rows, person = _stored(url)
    assert len(rows) == 1
    assert rows[0].person_id == person.id and person.role == Role.REPORTER
    assert rows[0].quarter == "2014Q1" and rows[0].progress == 40
    assert rows[0].narrative.startswith("İki çalışma ziyareti yapıldı")


@pytest.fixture
def sqlite_url(tmp_path: Path, _bundled_sqlite_template: Path) -> str:
    """A prepared SQLite database (a copy of the session's migrated template)."""
    path = tmp_path / "kume.sqlite3"
    shutil.copy(_bundled_sqlite_template, path)
    return f"sqlite:///{path}"


def _env(url: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "KUME_DATABASE_URL": url,
        "PYTHONIOENCODING": "utf-8",
    }


# -- script mode -------------------------------------------------------------------------------


def test_script_in_process(engine, db_url):
    out = io.StringIO()
    assert run_script(_config(db_url), EXAMPLE, out=out) == 0
    transcript = out.getvalue()
    _assert_durum_transcript(transcript)
    assert "Tarih: 10 Nisan 2014 10:00" in transcript
    _assert_durum_stored(db_url)


def test_script_as_a_command_on_a_fresh_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh' / 'kume.sqlite3'}"
    done = subprocess.run(
        [sys.executable, "-m", "kume", "simulate", "--script", str(EXAMPLE)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=_env(url),
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    _assert_durum_transcript(done.stdout)
    _assert_durum_stored(url)


def test_a_missing_button_stops_the_script_naming_the_line(
    sqlite_url, tmp_path, monkeypatch, capsys
):
    script = tmp_path / "yanlis.txt"
    script.write_text("# yanlış düğme\n/durum\n\n[9]\n/yardim\n", encoding="utf-8")
    with pytest.raises(SimulatorError) as caught:
        run_script(_config(sqlite_url), script, out=io.StringIO())
    assert describe(caught.value) == (
        f"{script}, 4. satır: “[9]” diye bir düğme yok; son düğmeli mesajda [1]–[4] var."
    )

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KUME_DATABASE_URL", sqlite_url)
    monkeypatch.setattr(sys, "argv", ["kume", "simulate", "--script", str(script)])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 1
    captured = capsys.readouterr()
    assert "Hata: " in captured.err and "4. satır" in captured.err
    assert "› EBSO sorumlusu: /durum" in captured.out  # the transcript up to the bad line


def test_script_syntax():
    assert parse("/durum") == Say("/durum")
    assert parse("  %40 ") == Say("%40")
    assert parse("40") == Say("40")  # plain numbers are answers, not buttons
    assert parse("#2") == Press("2") and parse("[2]") == Press("2")
    assert parse("[Onayla]") == Press("Onayla")
    assert parse(":ben İZKA uzmanı") == Become("İZKA uzmanı") and parse(":kim") == Become(None)
    assert parse(":tarih 2014-07-05 10:00") == SetDate("2014-07-05 10:00")
    assert parse(":dosya rapor.pdf") == SendFile("rapor.pdf")
    assert parse(":dosya ./a b.pdf | Katılım listesi") == SendFile("./a b.pdf", "Katılım listesi")
    assert parse(":dosya rapor.pdf |") == SendFile("rapor.pdf")
    assert parse("\\:)") == Say(":)")
    assert is_comment("# açıklama") and is_comment("#") and not is_comment("#3")
    with pytest.raises(SimulatorError) as caught:
        parse(":uç")
    assert "simülatör komutu değil" in describe(caught.value)


def test_messages_render_as_terminal_text():
    text = "Özet E1.2.3 ve kaynak"
    entities = [
        {"type": "bold", "offset": 5, "length": 6},
        {"type": "text_link", "offset": 15, "length": 6, "url": "https://izka.org.tr"},
    ]
    assert styled(text, entities, color=False) == "Özet E1.2.3 ve kaynak (https://izka.org.tr)"
    assert styled(text, entities, color=True).startswith("Özet \x1b[1mE1.2.3\x1b[0m ve ")


# -- interactive mode --------------------------------------------------------------------------


def test_interactive_from_a_pipe_ends_cleanly_at_end_of_input(sqlite_url):
    stdin = io.StringIO("/durum\n[7]\n[1]\n:ben 5\n[Kabul]\n[Atla]\n/durum\n:tarih\n")
    out = io.StringIO()
    assert run_interactive(_config(sqlite_url), stdin=stdin, out=out) == 0
    text = out.getvalue()
    assert "Hoş geldiniz, Ayşe!" in text
    assert "! “[7]” diye bir düğme yok" in text  # said, and the chat goes on
    assert "Bu çeyrekte eylemin durumu nedir?" in text
    assert "Aydınlatma metni" in text  # a member consents first
    assert "Hoş geldiniz, Zeynep!" in text and "Onayınız kaydedildi" in text
    assert "/durum komutu sizin rolünüz için açık değil" in text
    assert "· Simülasyon tarihi: 10 Nisan 2014 10:00" in text
    assert text.rstrip().endswith("Simülatör kapandı.")


def test_kume_run_without_a_token_starts_the_simulator_and_ends_at_eof(sqlite_url, tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "kume", "run"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=_env(sqlite_url),
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "Telegram jetonu yapılandırılmamış" in done.stdout
    assert "Hoş geldiniz, Ayşe!" in done.stdout
    assert "Simülatör kapandı." in done.stdout


# What a handler failure looks like: the simulator's process, the active_actions of /durum made
# to fail, output and errors on one stream as on a terminal.
FAILING = """
import sys
import tracker.dialogs.status as status

def fail(*args, **kwargs):
    raise RuntimeError("simulated failure")

status.active_actions = fail
from kume.cli import main
sys.argv = ["kume", "simulate"]
main()
"""


def test_a_handler_failure_shows_the_apology_and_logs_the_traceback_to_a_file(
    sqlite_url, tmp_path
):
    done = subprocess.run(
        [sys.executable, "-c", FAILING],
        input="/durum\n/yardim\n",
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
        env=_env(sqlite_url),
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout
    chat = done.stdout
    assert "Traceback" not in chat and "simulated failure" not in chat
    assert "Üzgünüm, bir sorun oluştu ve son isteğinizi tamamlayamadım." in chat
    log = tmp_path / "simulator.log"  # beside the database
    said = "· Botta bir hata oluştu; kişi yalnızca özür mesajını görür. Ayrıntısı günlükte:"
    assert f"{said} {log}" in chat
    assert "kume yardım · EBSO" in chat  # and the chat goes on
    written = log.read_text(encoding="utf-8")
    assert "Traceback" in written and "RuntimeError: simulated failure" in written


# -- invitations -------------------------------------------------------------------------------


def test_kume_invite_prints_a_link_that_registers(sqlite_url, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KUME_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("KUME_TELEGRAM_USERNAME", "izka_kume_bot")
    monkeypatch.delenv("KUME_CONFIG", raising=False)
    result = CliRunner().invoke(
        cli,
        ["invite", "--org", "ebso", "--role", "sorumlu", "--days", "7"],
        catch_exceptions=False,
        standalone_mode=False,
    )
    first, *rest = result.output.splitlines()
    prefix = "https://t.me/izka_kume_bot?start="
    assert first.startswith(prefix)
    assert "Ege Bölgesi Sanayi Odası (EBSO) · kuruluş sorumlusu" in rest[0]
    assert "(7 gün)" in result.output and "tek kişi, bir kez" in result.output

    engine = create_db_engine(sqlite_url)
    try:
        with Session(engine) as session:
            registration = redeem_invite(
                session,
                token=first.removeprefix(prefix),
                telegram_user_id=555,
                display_name="Ayşe",
                now=datetime.now(UTC),
            )
            assert registration.organisation.short == "EBSO"
            assert registration.person.role == Role.REPORTER
    finally:
        engine.dispose()


def test_kume_invite_refuses_in_turkish(sqlite_url, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KUME_DATABASE_URL", sqlite_url)
    monkeypatch.setattr(sys, "argv", ["kume", "invite", "--org", "EBSO", "--role", "patron"])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 1
    assert "“patron” bir rol değil" in capsys.readouterr().err


def test_the_simulated_date(engine):
    from bot.simulator.session import DEFAULT_START, choose_start

    inside = datetime(2016, 5, 1, tzinfo=UTC)
    outside = datetime(2030, 1, 1, tzinfo=UTC)
    chosen = datetime(2014, 7, 5, 10, tzinfo=UTC)
    assert choose_start(engine, option=None, configured=None, today=inside) == (None, "today")
    assert choose_start(engine, option=None, configured=None, today=outside) == (
        DEFAULT_START,
        "default",
    )
    assert choose_start(engine, option=None, configured=chosen) == (chosen, "config")
    assert choose_start(engine, option=chosen, configured=outside) == (chosen, "option")


def test_a_quarter_in_the_simulator_prompts_reminds_and_stops_when_all_is_answered(db_url):
    """examples/hatirlatma.txt: the date moves, the prompt arrives, answers stop reminders.

    Also a regression test: each confirmed dialog stores its own row, even where SQLite
    reuses the id of a dialog deleted a moment earlier.
    """
    out = io.StringIO()
    assert run_script(_config(db_url), ROOT / "examples" / "hatirlatma.txt", out=out) == 0
    transcript = out.getvalue()
    first, rest = transcript.split("· Simülasyon tarihi değişti: 9 Nisan 2014 10:00", 1)
    assert "2014 1. Çeyrek sona erdi" in first and "[1] Şimdi yanıtla: E1.2.3" in first
    reminder, rest = rest.split("› EBSO sorumlusu", 1)
    assert "Hatırlatma · 2014 1. Çeyrek" in reminder
    assert "E1.2.3" not in reminder and "• E3.1.1" in reminder and "• E3.1.5" in reminder
    assert "Bu çeyrekteki tüm eylemleriniz yanıtlandı. Teşekkürler!" in rest
    last = rest.split("· Simülasyon tarihi değişti: 15 Nisan 2014 10:00", 1)[1]
    assert "Hatırlatma" not in last
    rows, _person = _stored(db_url)
    assert sorted((r.quarter, str(r.status), r.progress) for r in rows) == [
        ("2014Q1", "completed", 100), ("2014Q1", "in_progress", 30),
        ("2014Q1", "in_progress", 50), ("2014Q1", "not_started", 0)]
    with Session(create_db_engine(db_url)) as session:
        from tracker.models import Action

        codes = {session.get(Action, r.action_id).code for r in rows}
    assert codes == {"E1.2.3", "E3.1.1", "E3.1.2", "E3.1.5"}


def test_a_notice_from_the_secretary_reaches_the_member_in_the_simulator(db_url):
    """examples/duyuru.txt: the secretary sends /duyuru to a cluster; the member persona
    (seeded as a consented member following it) sees it on switching."""
    out = io.StringIO()
    assert run_script(_config(db_url), ROOT / "examples" / "duyuru.txt", out=out) == 0
    transcript = out.getvalue()
    secretary, member = transcript.split("· Artık Küme üyesi (Zeynep) olarak yazıyorsunuz.", 1)
    assert "› Komite sekreteri: /duyuru" in secretary
    assert "Önizleme — üyeler duyuruyu tam böyle görecek:" in secretary
    assert "1 üye alacak." in secretary
    assert "✅ Duyuru sıraya alındı: 1 üye." in secretary
    assert "📣 İzmir Organik Gıda Kümesi duyurusu" in member
    assert "küme toplantısı: <ihracat> & pazarlama eğitimi." in member
    assert "— Can" in member
    with Session(create_db_engine(db_url)) as session:
        from tracker.models import Notification

        rows = session.exec(select(Notification).where(Notification.kind == "broadcast")).all()
    assert [(r.chat_id, str(r.status)) for r in rows] == [(PERSONAS[4].user_id, "sent")]


def test_the_member_example_consents_follows_and_stops(db_url):
    """examples/uye.txt: a secretary's member link, consent first, /abone, /verilerim, /dur."""
    out = io.StringIO()
    assert run_script(_config(db_url), ROOT / "examples" / "uye.txt", out=out) == 0
    transcript = out.getvalue()
    assert "Davet hazır: küme üyesi · İzmir Organik Gıda Kümesi" in transcript
    assert "Aydınlatma metni" in transcript and "Onayınız kaydedildi" in transcript
    assert "İNOVİZ – Sağlık için İzmir takip ediliyor" in transcript
    assert "kume-verilerim.json" in transcript
    assert "tüm bildirimler durduruldu" in transcript
    with Session(create_db_engine(db_url)) as session:
        from tracker.models import Person, Role

        member = session.exec(select(Person).where(Person.role == Role.MEMBER)).one()
        assert member.firm == "Ege Organik Tarım A.Ş." and member.stopped_at is not None


def test_the_bulletin_example_composes_tests_and_sends(db_url):
    """examples/bulten.txt: the agency's /bulten from the draft to sending, and a reporter
    who receives it with their own words in it."""
    out = io.StringIO()
    assert run_script(_config(db_url), ROOT / "examples" / "bulten.txt", out=out) == 0
    transcript = out.getvalue()
    assert "Bağlantı https:// ile başlayan bir adres olmalı" in transcript
    assert "Bülten Telegram'da 1 mesaj olarak şöyle görünecek" in transcript
    assert "✅ Deneme gönderildi: bu sohbete." in transcript
    assert "gönderiliyor: Telegram'da 2 kişi" in transcript
    assert "gönderilmiş bir bülten değiştirilemez" in transcript
    received = transcript.split("Artık EBSO sorumlusu (Ayşe) olarak yazıyorsunuz.")[-1]
    assert "Kümelenme Portalı yenilendi" in received and "kümelerle paylaşıldı" in received
    with Session(create_db_engine(db_url)) as session:
        from tracker.models import Bulletin, BulletinItem

        bulletin = session.exec(select(Bulletin)).one()
        assert bulletin.status == "sent" and bulletin.frozen_telegram
        assert "raporu kümelerle paylaşıldı" in bulletin.frozen_telegram[0]
        item = session.exec(select(BulletinItem)).one()
        assert item.link == "https://kume.izka.org.tr"
