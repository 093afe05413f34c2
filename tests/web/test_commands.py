"""`kume archive build` (the static site) and `kume web` (the live one), run as a person would."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from kume.cli import cli
from tests.web.conftest import BASE_URL, SECRET, PortalData

ATOM = "{http://www.w3.org/2005/Atom}"


def _local_links(page: Path) -> list[str]:
    return [href for href in re.findall(r'(?:href|src)="([^"]+)"', page.read_text("utf-8"))
            if not href.startswith(("http://", "https://", "mailto:"))]


@pytest.fixture
def archive(portal_data: PortalData, db_url: str, tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KUME_DATABASE_URL", db_url)
    monkeypatch.setenv("KUME_WEB_BASE_URL", BASE_URL + "/arsiv/")
    monkeypatch.delenv("KUME_CONFIG", raising=False)

    def build(*extra: str):
        out = tmp_path / "site"
        result = CliRunner().invoke(cli, ["archive", "build", "--out", str(out),
                                          "--now", "2014-07-10T10:00", *extra],
                                    catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return out, result.output

    return build


def test_archive_build_writes_the_public_pages_as_a_static_site(archive, portal_data):
    out, said = archive()
    assert "Arşiv yazıldı" in said and "2 bülten" in said and "2 etkinlik takvimi" in said
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert files == sorted([
        "index.html", "site.css", "bulletins.atom", "bulletins/2014-06.html",
        "bulletins/2014Q1.html", "events.html", "events.ics",
        f"events/{portal_data.upcoming_id}.ics", f"events/{portal_data.past_id}.ics",
    ])  # no progress page: [web] public_progress is false
    for page in out.rglob("*.html"):
        text = page.read_text("utf-8")
        assert '<html lang="tr">' in text and "<script>" not in text
        for link in _local_links(page):  # every link of the site resolves to a file of it
            assert (page.parent / link).resolve().is_file(), f"{page.name}: {link}"
    assert 'href="../site.css"' in (out / "bulletins/2014Q1.html").read_text("utf-8")
    feed = ET.fromstring((out / "bulletins.atom").read_bytes())
    links = [e.find(f"{ATOM}link").get("href") for e in feed.findall(f"{ATOM}entry")]
    assert links == [f"{BASE_URL}/arsiv/bulletins/2014-06.html",
                     f"{BASE_URL}/arsiv/bulletins/2014Q1.html"]


def test_archive_build_adds_the_progress_page_when_it_is_public(archive, monkeypatch):
    monkeypatch.setenv("KUME_WEB_PUBLIC_PROGRESS", "true")
    out, _ = archive()
    assert "E1.2.3" in (out / "progress.html").read_text("utf-8")
    assert 'href="progress.html"' in (out / "index.html").read_text("utf-8")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _interruptible() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_kume_web_serves_the_portal_until_stopped(portal_data, db_url, tmp_path):
    port = _free_port()
    env = {**os.environ, "KUME_DATABASE_URL": db_url, "KUME_WEB_PORT": str(port),
           "KUME_WEB_SECRET": SECRET, "KUME_CLOCK_START": "2014-07-10T10:00:00+03:00"}
    env.pop("KUME_CONFIG", None)
    # Ctrl+C as at a terminal: a suite started in the background (`make test &`) has SIGINT
    # ignored, which its children would inherit, and then uvicorn ends with 0 on it.
    process = subprocess.Popen([sys.executable, "-m", "kume", "web"], cwd=tmp_path, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               preexec_fn=_interruptible)
    try:
        health = None
        for _ in range(300):  # up to a minute on a busy machine; no timing is asserted
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except httpx.TransportError:
                if process.poll() is not None:
                    break
                time.sleep(0.2)
        assert health is not None, process.communicate()[0]
        assert health.status_code == 200 and health.json()["ok"] is True
        index = httpx.get(f"http://127.0.0.1:{port}/")
        assert "Haziran 2014" in index.text
        path = portal_data.unsubscribe_path()
        assert "Aboneliğimi iptal et" in httpx.get(f"http://127.0.0.1:{port}{path}").text
    finally:
        process.send_signal(signal.SIGINT)
        output = process.communicate(timeout=60)[0]
    assert f"Portal çalışıyor: http://127.0.0.1:{port}" in output
    assert process.returncode == 130, output  # Ctrl+C, as every kume command ends on it
    assert "Traceback" not in output and "Logging error" not in output
    assert "GET /healthz" in output  # requests are logged, through kume's own logging
    assert "/abonelik/iptal/*** HTTP/1.1" in output  # ... without the unsubscribe token
    assert path not in output


def test_kume_web_on_an_unprepared_database_says_what_to_do(db_url, tmp_path):
    env = {**os.environ, "KUME_DATABASE_URL": db_url}
    env.pop("KUME_CONFIG", None)
    done = subprocess.run([sys.executable, "-m", "kume", "web"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "Hata: Veritabanı henüz hazırlanmamış. Önce “kume db upgrade” çalıştırın.")
