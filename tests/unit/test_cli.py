"""The `kume` command line, run as a person would (in-process through click)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from kume.cli import cli


@pytest.fixture
def kume(tmp_path, monkeypatch, db_url):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KUME_DATABASE_URL", db_url)
    monkeypatch.delenv("KUME_CONFIG", raising=False)
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(cli, list(args), catch_exceptions=False, standalone_mode=False)

    return run


def test_upgrade_show_export_import(kume, tmp_path):
    first = kume("db", "upgrade")
    assert "Hazır plan yüklendi: IZKA-KUME-2013-2018" in first.output
    assert "Şema zaten güncel" in kume("db", "upgrade").output

    tree = kume("plan", "show").output
    assert "3 öncelik · 7 hedef · 26 eylem" in tree
    assert "Sorumlu atanmamış: 6 eylem (E2.1.1, E2.1.2, E2.1.3, E2.2.1, E2.2.2, E2.2.3)" in tree
    assert "Varsayılan takvim: 26 eylem" in tree
    assert "Sorumlu: sorumlu atanmamış" in tree

    one = kume("plan", "show", "e1.2.4").output
    assert one.startswith("E1.2.4 — Kümelenme Portalının etkinliğinin artırılması")
    assert "Küme Yönetimleri (KY Organik Gıda" in one
    assert "(varsayılan: kaynakta takvim yok)" in one

    exported = kume("plan", "export", "--format", "json", "--out", "-")
    assert json.loads(exported.stdout_bytes)["plan"]["code"] == "IZKA-KUME-2013-2018"
    out = tmp_path / "plan.xlsx"
    assert (
        "Plan XLSX olarak yazıldı"
        in kume("plan", "export", "--format", "xlsx", "--out", str(out)).output
    )
    assert "yüklendi: 3 öncelik, 7 hedef, 26 eylem" in kume("plan", "import", str(out)).output

    orgs = kume("orgs", "list").output
    assert "42 kuruluş" in orgs and "Üniversiteler" in orgs and "üyeler: EÜ, DEÜ, İEÜ" in orgs


def test_errors_are_turkish_and_exit_non_zero(tmp_path, monkeypatch, db_url):
    import subprocess
    import sys

    monkeypatch.chdir(tmp_path)
    env = {"KUME_DATABASE_URL": db_url, "PATH": "/usr/bin:/bin"}

    def run(*args):
        return subprocess.run(
            [sys.executable, "-m", "kume", *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
        )

    shown = run("plan", "show")
    assert shown.returncode == 1 and "Önce “kume db upgrade” çalıştırın" in shown.stderr
    run("db", "upgrade")
    missing = run("plan", "show", "E9.9.9")
    assert missing.returncode == 1
    assert "“E9.9.9” kodu IZKA-KUME-2013-2018 planında yok" in missing.stderr
    bad = tmp_path / "bad.csv"
    bad.write_text("tablo,kod\nPlan,\n", encoding="utf-8")
    refused = run("plan", "import", str(bad))
    assert refused.returncode == 1 and "1. satır" not in refused.stdout
    assert "bad.csv: Plan tablosu, 2. satır, “kod” sütunu: boş bırakılamaz." in refused.stderr
    config = run("--config", "yok.toml", "orgs", "list")
    assert config.returncode == 2 and "Yapılandırma dosyası bulunamadı" in config.stderr


def test_a_member_invite_needs_no_organisation_and_writes_its_qr_code(kume, tmp_path, db_url):
    import segno
    from PIL import Image
    from sqlmodel import Session, create_engine, select

    from tracker.models import Invite, Role

    kume("db", "upgrade")
    png = tmp_path / "poster.png"
    result = kume("invite", "--role", "üye", "--cluster", "organik-gida", "--multi",
                  "--days", "60", "--qr", str(png))
    link = result.output.splitlines()[0]
    assert link.startswith("https://t.me/") and "?start=" in link
    assert "Davet: küme üyesi · İzmir Organik Gıda Kümesi" in result.output
    assert f"QR kodu: {png}" in result.output
    # A real PNG whose modules are exactly the link's QR code.
    image = Image.open(png)
    assert image.format == "PNG"
    qr = segno.make(link, error="m")
    scale, border = 10, 4
    size = qr.symbol_size(scale=scale, border=border)
    assert image.size == size
    pixels = image.convert("L")
    read = [
        [pixels.getpixel(((x + border) * scale + 5, (y + border) * scale + 5)) < 128
         for x in range(len(qr.matrix[0]))]
        for y in range(len(qr.matrix))
    ]
    assert read == [[bool(v) for v in row] for row in qr.matrix]

    engine = create_engine(db_url)
    with Session(engine) as session:
        invite = session.exec(select(Invite).where(Invite.token == link.split("=")[1])).one()
        assert invite.organisation_id is None and invite.multi and invite.role == Role.MEMBER
    engine.dispose()


def test_other_roles_still_need_an_organisation(kume):
    kume("db", "upgrade")
    with pytest.raises(Exception) as raised:
        kume("invite", "--role", "sorumlu")
    from tracker import texts

    assert texts.describe(raised.value).startswith("Bu rol için bir kuruluş belirtin")
