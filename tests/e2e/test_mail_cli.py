"""`kume mail send` and `kume subscribers` as a person runs them: counts in Turkish, a sender
killed with kill -9 in the middle of a send (nothing twice, the mail on the wire `unknown`),
the SMTP password never in any output at DEBUG, and subscriber lists as people export them
(BOM, Windows-1254, semicolons, XLSX, bad lines, --strict)."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import signal
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from tests.e2e.test_mail import NOW, subscribe, write
from tests.smtp_server import Mailbox
from tracker.models import Cluster, MailMessage, MailStatus, Subscriber, SubscriberCluster

ROOT = Path(__file__).resolve().parents[2]
PYTHON = ROOT / ".venv" / "bin" / "python"
PASSWORD = "Çok-Gizli-Parola!42"


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox()
    box.start()
    yield box
    box.stop()


def env_for(engine: Engine, box: Mailbox | None = None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KUME_")}
    env.update(KUME_DATABASE_URL=engine.url.render_as_string(hide_password=False),
               KUME_WEB_SECRET="cli-secret", KUME_WEB_BASE_URL="https://portal.example.org",
               KUME_SMTP_SENDER="İzmir Kalkınma Ajansı <bulten@izka.example.org>",
               KUME_SMTP_SECURITY="none", KUME_SMTP_RATE="200",
               KUME_CLOCK_START=NOW.isoformat())
    if box is not None:
        env.update(KUME_SMTP_HOST=box.host, KUME_SMTP_PORT=str(box.port))
    env.update(extra)
    return env


async def start(engine: Engine, cwd: Path, *args: str, env: dict[str, str]
                ) -> asyncio.subprocess.Process:
    python = PYTHON if PYTHON.exists() else Path(sys.executable)
    return await asyncio.create_subprocess_exec(
        str(python), "-m", "kume", *args, cwd=cwd, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)


async def kume(engine: Engine, cwd: Path, *args: str, env: dict[str, str],
               status: int = 0) -> tuple[str, str]:
    proc = await start(engine, cwd, *args, env=env)
    out, err = await proc.communicate()
    assert proc.returncode == status, (out.decode(), err.decode())
    return out.decode(), err.decode()


def statuses(engine: Engine) -> dict[str, MailStatus]:
    with Session(engine) as session:
        return {m.address: m.status for m in session.exec(select(MailMessage)).all()}


# -- kume mail send ---------------------------------------------------------------------------


async def test_mail_send_drains_the_outbox_and_says_what_happened(engine, mailbox, tmp_path):
    addresses = ["bir@firma.example.com", "iki@firma.example.com", "yok@firma.example.com"]
    write(engine, subscribe(engine, addresses), addresses)
    mailbox.refuse["yok@firma.example.com"] = ["550 5.1.1 No such user"]
    out, _ = await kume(engine, tmp_path, "mail", "send", env=env_for(engine, mailbox))
    assert "Gönderilen e-posta: 2 · geri dönen (adres geçersiz): 1 · başarısız: 0" in out
    assert "Kuyrukta bekleyen e-posta yok." in out
    again, _ = await kume(engine, tmp_path, "mail", "send", env=env_for(engine, mailbox))
    assert "Gönderilen e-posta: 0 ·" in again
    assert mailbox.per_address() == {"bir@firma.example.com": 1, "iki@firma.example.com": 1}


async def test_mail_send_with_the_server_down_says_so_and_keeps_the_mails(engine, tmp_path):
    write(engine, subscribe(engine, ["bir@firma.example.com"]), ["bir@firma.example.com"])
    box = Mailbox()  # never started: nothing listens on its port
    out, err = await kume(engine, tmp_path, "mail", "send", env=env_for(engine, box), status=1)
    assert "Kuyrukta bekleyen e-posta: 1" in out
    assert "SMTP sunucusuna ulaşılamadı (127.0.0.1:" in err
    assert "Traceback" not in err
    assert statuses(engine) == {"bir@firma.example.com": MailStatus.PENDING}


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
async def test_the_smtp_password_is_used_but_never_shown_even_at_debug(engine, tmp_path):
    box = Mailbox(users={"bulten": PASSWORD})
    box.start()
    try:
        write(engine, subscribe(engine, ["bir@firma.example.com"]), ["bir@firma.example.com"])
        env = env_for(engine, box, KUME_SMTP_USER="bulten", KUME_SMTP_PASSWORD=PASSWORD,
                      KUME_LOGGING_LEVEL="DEBUG")
        out, err = await kume(engine, tmp_path, "-v", "mail", "send", env=env)
        assert "Gönderilen e-posta: 1 ·" in out
        assert box.logins == [("bulten", PASSWORD)]  # it was really given to the server
        assert "DEBUG" in err  # the log was at DEBUG
        assert PASSWORD not in out + err
        # A refused password: said plainly, still never shown.
        write(engine, subscribe(engine, ["iki@firma.example.com"]), ["iki@firma.example.com"],
              period="2014Q2")
        wrong = PASSWORD + "x"
        env.update(KUME_SMTP_PASSWORD=wrong)
        out, err = await kume(engine, tmp_path, "-v", "mail", "send", env=env, status=1)
        assert "SMTP sunucusu gönderimi reddetti" in err
        assert wrong not in out + err and PASSWORD not in out + err
    finally:
        box.stop()


async def test_a_sender_killed_mid_send_resumes_with_nothing_twice(engine, mailbox, tmp_path):
    addresses = [f"uye{i:02}@firma.example.com" for i in range(12)]
    write(engine, subscribe(engine, addresses), addresses)
    held_at = 5
    original = mailbox.handle_DATA

    async def hold_the_sixth(server, session, envelope):  # type: ignore[no-untyped-def]
        if len(mailbox.received) == held_at:
            mailbox.hold.set()
        return await original(server, session, envelope)

    mailbox.handle_DATA = hold_the_sixth  # type: ignore[method-assign]
    proc = await start(engine, tmp_path, "mail", "send", env=env_for(engine, mailbox))
    deadline = time.monotonic() + 30
    while not mailbox.holding.is_set():
        assert time.monotonic() < deadline, "the sixth mail never reached DATA"
        await asyncio.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    await proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    in_doubt = {a for a, s in statuses(engine).items() if s == MailStatus.SENDING}
    assert len(in_doubt) == 1
    mailbox.hold.clear()
    mailbox.release.set()  # the held message completes on the server's side anyway

    later = env_for(engine, mailbox, KUME_CLOCK_START=(NOW + timedelta(minutes=6)).isoformat())
    out, _ = await kume(engine, tmp_path, "mail", "send", env=later)
    assert "belirsiz: 1" in out
    final = statuses(engine)
    assert {a for a, s in final.items() if s == MailStatus.UNKNOWN} == in_doubt
    assert {a for a, s in final.items() if s == MailStatus.SENT} == set(addresses) - in_doubt
    got = mailbox.per_address()
    assert all(got[a] == 1 for a in set(addresses) - in_doubt)  # nobody twice, nobody lost
    assert all(got[a] <= 1 for a in in_doubt)


# -- kume subscribers -------------------------------------------------------------------------


def csv_file(path: Path, rows: list[list[str]], *, delimiter: str = ",",
             encoding: str = "utf-8") -> Path:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    path.write_bytes(out.getvalue().encode(encoding))
    return path


def cluster_codes(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return list(session.exec(select(Cluster.code).order_by(Cluster.position)).all())


def subscribers(engine: Engine) -> dict[str, Subscriber]:
    with Session(engine) as session:
        return {s.email_key: s for s in session.exec(select(Subscriber)).all()}


async def test_import_reports_bad_lines_and_keeps_the_good_ones(engine, tmp_path):
    first, second = cluster_codes(engine)[:2]
    path = csv_file(tmp_path / "uyeler.csv", [
        ["E-posta", "Ad Soyad", "Kümeler"],
        ["ayse@firma.example.com", "Ayşe Çığ", f"{first};{second}"],
        ["bozuk-adres", "Kimse", ""],
        ["Ayse@Firma.example.com", "Ayşe Ç.", ""],
        ["", "Adsız", ""],
        ["mehmet@ornek.example.org", "Mehmet Öz", "olmayan-kume"],
    ], delimiter=";", encoding="utf-8-sig")
    out, _ = await kume(engine, tmp_path, "subscribers", "import", str(path),
                        env=env_for(engine))
    assert "3. satır: geçersiz e-posta adresi “bozuk-adres”" in out
    assert "5. satır: geçersiz e-posta adresi “”" in out
    assert "6. satır: bilinmeyen küme kodu “olmayan-kume” (atlandı)" in out
    assert "2 yeni abone eklendi, 1 adres zaten kayıtlıydı" in out
    known = subscribers(engine)
    assert set(known) == {"ayse@firma.example.com", "mehmet@ornek.example.org"}
    ayse = known["ayse@firma.example.com"]
    assert (ayse.name, ayse.consent_source) == ("Ayşe Çığ", "uyeler.csv")
    assert NOW <= ayse.consent_at < NOW + timedelta(minutes=1)  # the clock runs on
    with Session(engine) as session:
        links = session.exec(select(SubscriberCluster)).all()
        assert len(links) == 2 and {link.subscriber_id for link in links} == {ayse.id}
    # --strict refuses the whole file.
    path2 = csv_file(tmp_path / "ikinci.csv", [["email", "name"], ["yeni@firma.example.com",
                                                                     "Yeni"], ["x@", "Bozuk"]])
    _, err = await kume(engine, tmp_path, "subscribers", "import", str(path2), "--strict",
                        env=env_for(engine), status=1)
    assert "3. satır: geçersiz e-posta adresi “x@”" in err and "hiçbir abone yüklenmedi" in err
    assert "yeni@firma.example.com" not in subscribers(engine)


async def test_import_reads_windows_1254_with_commas_and_xlsx(engine, tmp_path):
    path = csv_file(tmp_path / "excel.csv", [["email", "isim"],
                                             ["gulsen@firma.example.com", "Gülşen Işık"],
                                             ["ilker@firma.example.com", "İlker Ağaoğlu"]],
                    encoding="cp1254")
    out, _ = await kume(engine, tmp_path, "subscribers", "import", str(path), "--source",
                        "Fuar 2014 kayıt masası", env=env_for(engine))
    assert "2 yeni abone eklendi" in out
    known = subscribers(engine)
    assert known["gulsen@firma.example.com"].name == "Gülşen Işık"
    assert known["ilker@firma.example.com"].name == "İlker Ağaoğlu"
    assert known["ilker@firma.example.com"].consent_source == "Fuar 2014 kayıt masası"

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in [["Email", "Name", "Clusters"], ["xlsx@firma.example.com", "Şule Ünal",
                                                  cluster_codes(engine)[0]],
                ["geçersiz@", "Biri", None], [None, None, None]]:
        sheet.append(row)
    workbook.save(tmp_path / "liste.xlsx")
    out, _ = await kume(engine, tmp_path, "subscribers", "import", str(tmp_path / "liste.xlsx"),
                        env=env_for(engine))
    assert "3. satır: geçersiz e-posta adresi “geçersiz@”" in out
    assert "1 yeni abone eklendi" in out
    assert subscribers(engine)["xlsx@firma.example.com"].name == "Şule Ünal"

    listing, _ = await kume(engine, tmp_path, "subscribers", "list", env=env_for(engine))
    assert "3 abone" in listing and "xlsx@firma.example.com · Şule Ünal · etkin" in listing
    out, _ = await kume(engine, tmp_path, "subscribers", "remove", "GULSEN@firma.example.com",
                        env=env_for(engine))
    assert "artık bülten almayacak" in out
    assert subscribers(engine)["gulsen@firma.example.com"].unsubscribed_at is not None
    _, err = await kume(engine, tmp_path, "subscribers", "remove", "kimse@example.com",
                        env=env_for(engine), status=1)
    assert "abone listesinde yok" in err


async def test_export_neutralises_formulas(engine, tmp_path):
    path = csv_file(tmp_path / "tehlikeli.csv", [["email", "name"],
                                                 ["formul@firma.example.com", "=HYPERLINK(1)"]])
    await kume(engine, tmp_path, "subscribers", "import", str(path), env=env_for(engine))
    out, _ = await kume(engine, tmp_path, "subscribers", "export", "--out",
                        str(tmp_path / "abone.csv"), env=env_for(engine))
    assert "1 abone" in out
    rows = list(csv.reader(io.StringIO((tmp_path / "abone.csv").read_text("utf-8"))))
    assert rows[0][:2] == ["email", "name"]
    assert rows[1][:2] == ["formul@firma.example.com", "'=HYPERLINK(1)"]
