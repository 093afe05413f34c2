"""The portal in a real browser: headless Chromium (Debian's `chromium` package, which
`make test` installs when it is missing) against `kume web`'s uvicorn server in a thread.
Pages render, every link resolves, nothing overflows a phone's 390 px, the unsubscribe form
works. One browser for the whole session; skipped, saying why, only where Chromium is absent.

`KUME_SCREENSHOTS=1` also rewrites docs/portal-index.png and docs/portal-bulletin.png (the
README shows them)."""

from __future__ import annotations

import os
import shutil
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from tests.web.conftest import BASE_URL, NOW, SECRET, PortalData, fill
from tracker.models import Subscriber
from web.app import Portal
from web.server import server

PHONE = {"width": 390, "height": 844}
DOCS = Path(__file__).resolve().parents[2] / "docs"


def chromium_path() -> str | None:
    return os.environ.get("KUME_CHROMIUM") or shutil.which("chromium") or shutil.which(
        "chromium-browser")


# Module, not session: sync Playwright keeps an event loop running in this thread until it
# stops, and every later asyncio.run() in the process (the CLI's tests, on whichever xdist
# worker ran these) would fail with "cannot be called from a running event loop".
@pytest.fixture(scope="module")
def browser():
    executable = chromium_path()
    if executable is None:
        pytest.skip("no chromium: `make test` installs Debian's chromium package (apt-get) when "
                    "it can (as root); elsewhere install it or set KUME_CHROMIUM")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable)
        yield launched
        launched.close()


@contextmanager
def serving(engine: Engine) -> Iterator[str]:
    """`kume web`'s server (web.server) on a free port, in a thread."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    portal = Portal(engine=engine, now=lambda: NOW, base_url=BASE_URL,
                    public_progress=True, secret=SECRET)
    running = server(portal, "127.0.0.1", port, log_level="warning")
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    started = threading.Event()
    while not running.started and thread.is_alive():
        started.wait(0.05)
    assert running.started, "the portal did not start"
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(timeout=30)


@pytest.fixture
def live(portal_data: PortalData) -> Iterator[str]:
    with serving(portal_data.engine) as url:
        yield url


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=PHONE, locale="tr-TR")
    yield context.new_page()
    context.close()


def fits_a_phone(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_every_page_renders_its_links_resolve_and_nothing_overflows(page, live):
    seen: set[str] = set()
    queue = [live + "/"]
    while queue:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        if url.endswith((".atom", ".ics")):  # feeds: fetched, not rendered
            response = page.request.get(url)
            assert response.status == 200, url
            continue
        response = page.goto(url)
        assert response is not None and response.status == 200, url
        assert page.locator("html").get_attribute("lang") == "tr"
        # The site's heading (a bulletin has its own inside).
        assert page.locator("main > h1").count() == 1, url
        assert fits_a_phone(page), f"{url} is wider than {PHONE['width']} px"
        for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
            target = urljoin(url, href)
            if urlparse(target).netloc == urlparse(live).netloc:
                queue.append(target.split("#")[0])
    paths = {urlparse(u).path for u in seen}
    assert {"/", "/bultenler/2014Q1", "/bultenler/2014-06", "/bultenler.atom", "/etkinlikler",
            "/etkinlikler.ics", "/ilerleme"} <= paths
    # The stylesheet was applied: the bulletin's 600 px e-mail table is held to the phone.
    page.goto(live + "/bultenler/2014Q1")
    assert page.locator(".bulletin table").first.bounding_box()["width"] <= PHONE["width"]


def test_unsubscribing_in_the_browser(page, live, portal_data):
    page.goto(live + portal_data.unsubscribe_path())
    assert page.get_by_text("A***@example.com").count() == 1
    assert fits_a_phone(page)
    page.get_by_role("button", name="Aboneliğimi iptal et").click()
    page.wait_for_load_state()
    assert page.get_by_text("Aboneliğiniz iptal edildi").count() == 1
    with Session(portal_data.engine) as session:
        assert session.get(Subscriber, portal_data.subscriber_id).unsubscribed_at == NOW
    page.goto(live + portal_data.unsubscribe_path())  # the link again: harmless
    assert page.get_by_text("zaten iptal edilmiş").count() == 1
    forged = page.goto(live + portal_data.unsubscribe_path()[:-4] + "xxxx")
    assert forged.status == 404
    assert page.get_by_text("Bu abonelik bağlantısı geçerli değil").count() == 1


@pytest.mark.skipif(not os.environ.get("KUME_SCREENSHOTS"),
                    reason="rewrites the README's screenshots only when asked: KUME_SCREENSHOTS=1")
def test_screenshots_for_the_readme(page, engine, db_url):
    if not db_url.startswith("sqlite"):
        pytest.skip("one set of screenshots is enough")
    fill(engine, odd="")
    with serving(engine) as url:
        page.goto(url + "/")
        page.screenshot(path=str(DOCS / "portal-index.png"), full_page=True)
        page.goto(url + "/bultenler/2014Q1")
        page.screenshot(path=str(DOCS / "portal-bulletin.png"), full_page=True)
