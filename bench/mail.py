"""E-mail to many subscribers against a local SMTP server (aiosmtpd on 127.0.0.1).

    python -m bench.mail [--db URL] [--subscribers 10000] [--rate 50] [--json FILE]

N subscribers are written in bulk, one mail each is queued (a bulletin-sized HTML and text
body with the unsubscribe placeholder; `enqueue_many`), then the mail sender (bot/mailer.py)
drains the outbox in this process over one SMTP connection at `--rate`. The server stamps each
message as it arrives.

Figures: the time to write the subscribers and to queue the mails; the send time; messages a
second sustained (first arrival to last) against the configured rate, and the deviation in
percent; the most messages in any one second; the mails that arrived twice (duplicated) or not
at all (lost); the peak resident memory of the process.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import socket
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from aiosmtpd.controller import Controller

from bot.mailer import MailLimits, MailSender, MailSettings
from tracker.clock import Clock
from tracker.db import create_db_engine, safe_url, session_scope
from tracker.mail.message import UNSUBSCRIBE_PLACEHOLDER, MailIdentity
from tracker.mail.outbox import MailDraft, enqueue_many
from tracker.models import Subscriber
from tracker.setup import prepare_database

NOW = datetime(2014, 4, 2, 7, 0, tzinfo=UTC)
SECTION = ("<tr><td style=\"padding:12px;font-family:Arial,sans-serif\"><h2>Gıda kümesi</h2>"
           "<p>Organik tarım kümesinde bu çeyrek üç eylem ilerledi; İzmir, Ödemiş ve Tire’de "
           "eğitimler yapıldı, 142 katılımcı, memnuniyet 4,6/5.</p></td></tr>")
HTML = ("<table role=\"presentation\" width=\"100%\">" + SECTION * 25
        + f"<tr><td><a href=\"{UNSUBSCRIBE_PLACEHOLDER}\">Abonelikten çık</a></td></tr></table>")
TEXT = ("Gıda kümesi: organik tarım kümesinde bu çeyrek üç eylem ilerledi.\n" * 25
        + f"Abonelikten çık: {UNSUBSCRIBE_PLACEHOLDER}\n")


class Counting:
    def __init__(self) -> None:
        self.arrivals: list[float] = []
        self.addresses: list[str] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.arrivals.append(time.monotonic())
            self.addresses.extend(envelope.rcpt_tos)
        return "250 OK"


@dataclass
class Figures:
    database: str
    subscribers: int
    rate: float
    html_bytes: int
    fill_s: float = 0.0
    queue_s: float = 0.0
    send_s: float = 0.0
    rate_sustained: float = 0.0
    rate_deviation_pct: float = 0.0
    busiest_second: int = 0
    delivered: int = 0
    duplicated: int = 0
    lost: int = 0
    rss_peak_mb: float = 0.0


def busiest_second(arrivals: list[float]) -> int:
    best, start = 0, 0
    for end, moment in enumerate(arrivals):
        while moment - arrivals[start] >= 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


def run(url: str, count: int, rate: float) -> Figures:
    engine = create_db_engine(url)
    prepare_database(engine)
    figures = Figures(database=safe_url(url), subscribers=count, rate=rate,
                      html_bytes=len(HTML.encode()))
    began = time.monotonic()
    with session_scope(engine) as session:
        rows = [dict(email=f"abone{i}@firma.example.com", email_key=f"abone{i}@firma.example.com",
                     name=f"Abone {i} Öztürk", consent_source="bench", consent_at=NOW,
                     created_at=NOW) for i in range(count)]
        for start in range(0, count, 1000):
            session.execute(sa.insert(Subscriber), rows[start:start + 1000])
    figures.fill_s = time.monotonic() - began
    began = time.monotonic()
    with session_scope(engine) as session:
        subscribers = session.execute(sa.select(Subscriber.id, Subscriber.email)).all()
        enqueue_many(session, kind="bulletin", subject="bulletin", period="2014Q1", now=NOW,
                     mails=[MailDraft(address=email, subject_line="İZKA Bülteni 2014 1. çeyrek",
                                      text=TEXT, html=HTML, subscriber_id=sid)
                            for sid, email in subscribers])
    figures.queue_s = time.monotonic() - began

    handler = Counting()
    with socket.socket() as probe:  # a free port (aiosmtpd's self-check needs a real one)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        identity = MailIdentity(sender="İzmir Kalkınma Ajansı <bulten@izka.example.org>",
                                base_url="https://portal.example.org", secret="bench")
        settings = MailSettings(identity=identity, host="127.0.0.1", port=port, security="none",
                                limits=MailLimits(rate=rate))
        began = time.monotonic()
        report = asyncio.run(MailSender(engine, Clock(NOW), settings).drain())
        figures.send_s = time.monotonic() - began
    finally:
        controller.stop()
    arrivals = handler.arrivals
    if len(arrivals) > 1:
        figures.rate_sustained = (len(arrivals) - 1) / (arrivals[-1] - arrivals[0])
        figures.rate_deviation_pct = 100 * (figures.rate_sustained - rate) / rate
    figures.busiest_second = busiest_second(arrivals)
    got = set(handler.addresses)
    figures.delivered = report.sent
    figures.duplicated = len(handler.addresses) - len(got)
    figures.lost = count - len(got)
    figures.rss_peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    engine.dispose()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="database URL (default: a temporary SQLite file)")
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        figures = run(url, args.subscribers, args.rate)
    for key, value in asdict(figures).items():
        print(f"{key:20} {value:.3f}" if isinstance(value, float) else f"{key:20} {value}")
    if args.json:
        args.json.write_text(json.dumps(asdict(figures), indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
