"""A broadcast at Telegram's limits: 10,000 members, one notice, the bot killed half way.

    python -m bench.broadcast [--db URL] [--recipients 10000] [--round-trip 0.1]
                              [--rate 30] [--paid] [--no-kill] [--json FILE]

The local Bot API runs in this process with Telegram's limits on (local_bot_api.limits: 30
sends a second overall, one a second per chat; 429 with retry_after beyond them) and a round
trip added to every call. The real bot, `kume run`, runs as a subprocess against it, with
its clock set inside the plan on a working day. 10,000 members of one cluster (persons with
Telegram chats) are written into the database in bulk, then a broadcast to all of them is
queued from this process, as a command line or a second bot process would queue it: the
running bot finds it at its next look at the outbox. When half of the members have the
notice, the bot is killed with kill -9 while its sends are on the wire, and started again
(its clock going on as a real clock would). The benchmark waits for the report to reach the
person who started the broadcast, then checks every member's chat.

Figures: the queue-writing time; seconds from queueing to the first notice (and from the
restart to the next one); messages a second sustained, per run of the bot, against the cap;
the most sends Telegram saw in any one second; 429s; members who got the notice twice
(duplicated), not at all without their row in doubt (lost), and rows in doubt (`unknown`:
on the wire at the kill); the bot's resident memory while it sends.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import signal
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from local_bot_api import LocalBotApi, TelegramLimits
from tracker.db import create_db_engine, safe_url, session_scope
from tracker.models import Cluster, Notification, NotificationStatus, Organisation, Person, Role
from tracker.notifications.broadcast import start_broadcast
from tracker.quarters import ISTANBUL
from tracker.setup import prepare_database

ROOT = Path(__file__).resolve().parent.parent
FIRST_MEMBER = 5_000_000  # Telegram ids of the members: FIRST_MEMBER + i
STARTER = 4_999_999  # the agency person who starts the broadcast
START = datetime(2014, 4, 2, 10, 0, tzinfo=ISTANBUL)  # a Wednesday morning inside the plan
TEXT = ("📣 <b>Kümelenme farkındalık toplantısı</b>\n12 Mayıs 2014 14:00, İzmir Ticaret Odası. "
        "Tüm küme üyelerimiz davetlidir.")


@dataclass
class Run:
    """One life of the bot process."""

    started: float = 0.0
    ended: float = 0.0
    sends: list[float] = field(default_factory=list)  # notice arrivals at the Bot API
    rss_peak_mb: float = 0.0

    @property
    def rate(self) -> float:
        """Messages a second from its first notice to its last."""
        if len(self.sends) < 2:
            return 0.0
        return (len(self.sends) - 1) / (self.sends[-1] - self.sends[0])


@dataclass
class Figures:
    database: str
    recipients: int
    round_trip_s: float
    rate_cap: int
    fill_s: float = 0.0
    queue_write_s: float = 0.0
    first_notice_s: float = 0.0
    first_after_restart_s: float = 0.0
    rate_first_run: float = 0.0
    rate_second_run: float = 0.0
    rate_overall: float = 0.0
    busiest_second: int = 0
    slowest_10s: float = 0.0
    too_many_requests: int = 0
    refused: list[str] = field(default_factory=list)  # what each 429 would have exceeded
    delivered: int = 0
    duplicated: int = 0
    lost: int = 0
    in_doubt: int = 0
    in_doubt_delivered: int = 0
    report: str = ""
    rss_peak_mb: list[float] = field(default_factory=list)
    total_s: float = 0.0


def fill_members(engine: Engine, count: int) -> None:
    """`count` members of the first cluster, each with a Telegram chat, and the agency
    person who starts the broadcast; in bulk (a benchmark needs no invitations)."""
    with session_scope(engine) as session:
        if session.exec(select(Person).where(Person.telegram_user_id == STARTER)).first():
            return
        cluster = session.exec(select(Cluster).order_by(col(Cluster.id))).first()
        management = session.exec(select(Organisation).where(
            Organisation.cluster_id == (cluster.id if cluster else None))).first()
        agency = session.exec(select(Organisation).where(Organisation.short == "İZKA")).one()
        home = management or agency
        session.add(Person(telegram_user_id=STARTER, display_name="İZKA uzmanı",
                           organisation_id=agency.id, role=Role.ADMIN))
        now = datetime.now(ISTANBUL)
        rows = [dict(telegram_user_id=FIRST_MEMBER + i, display_name=f"Üye {i + 1}",
                     organisation_id=home.id, role=Role.MEMBER, active=True, created_at=now,
                     cluster_id=cluster.id if cluster else None) for i in range(count)]
        for start in range(0, count, 1000):
            session.execute(sa.insert(Person), rows[start:start + 1000])


def queue_broadcast(engine: Engine, count: int, now: datetime) -> None:
    with session_scope(engine) as session:
        starter = session.exec(select(Person).where(Person.telegram_user_id == STARTER)).one()
        members = session.exec(select(Person).where(
            col(Person.telegram_user_id) >= FIRST_MEMBER,
            col(Person.telegram_user_id) < FIRST_MEMBER + count)).all()
        start_broadcast(session, text=TEXT, recipients=members, subject="farkindalik-12-mayis",
                        period="2014-05", now=now, started_by=starter)


def bot_env(url: str, api: LocalBotApi, clock: datetime, args: argparse.Namespace
            ) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KUME_")}
    env.update(KUME_DATABASE_URL=url, KUME_TELEGRAM_TOKEN=api.token,
               KUME_TELEGRAM_BASE_URL=api.base_url, KUME_CLOCK_START=clock.isoformat(),
               KUME_LOGGING_LEVEL="WARNING", KUME_SENDING_RATE=str(args.rate),
               KUME_SENDING_PAID_BROADCAST="true" if args.paid else "false")
    return env


async def start_bot(env: dict[str, str], log: Path) -> asyncio.subprocess.Process:
    python = ROOT / ".venv" / "bin" / "python"
    with log.open("ab") as out:
        return await asyncio.create_subprocess_exec(
            str(python if python.exists() else sys.executable), "-m", "kume", "run",
            cwd=log.parent, env=env, stdout=out, stderr=out)


def rss_mb(pid: int) -> float:
    """Resident memory of a process (Linux /proc; 0 elsewhere)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


async def watch_memory(pid: int, run: Run) -> None:
    while True:
        run.rss_peak_mb = max(run.rss_peak_mb, rss_mb(pid))
        await asyncio.sleep(0.5)


class Notices:
    """The notices' arrival times at the Bot API, read from its call log as it grows. Only
    the new entries are read each time: rescanning 10,000 calls twenty times a second would
    hold up the Bot API's own event loop, and with it the figures."""

    def __init__(self, api: LocalBotApi, members: set[int]):
        self.api = api
        self.members = members
        self.seen = 0
        self.times: list[float] = []

    def __call__(self) -> list[float]:
        calls = self.api.calls
        for t, method, params in calls[self.seen:]:
            if method == "sendMessage" and params.get("chat_id") in self.members:
                self.times.append(t)
        self.seen = len(calls)
        return self.times


async def wait_until(condition, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"zaman aşımı: {what}")
        await asyncio.sleep(0.05)


async def bench(url: str, args: argparse.Namespace, workdir: Path) -> Figures:
    figures = Figures(safe_url(url), args.recipients, args.round_trip, args.rate)
    engine = create_db_engine(url)
    prepare_database(engine)
    began = time.perf_counter()
    fill_members(engine, args.recipients)
    figures.fill_s = time.perf_counter() - began
    members = set(range(FIRST_MEMBER, FIRST_MEMBER + args.recipients))
    log = workdir / "kume-run.log"
    api = LocalBotApi(limits=TelegramLimits(), round_trip=args.round_trip)
    notices = Notices(api, members)
    await api.start()
    for telegram_id in [STARTER, *sorted(members)]:
        api.user(telegram_id)
    # The stand-in lives in this process: a garbage collection over 10,000 simulated users
    # and their messages stalls its event loop for tens of milliseconds (76 ms seen), bunches
    # the requests that arrive meanwhile and makes it count more in a second than the bot
    # sent in one. As timeit does, the collector is off while the benchmark measures.
    gc.collect()
    gc.freeze()
    gc.disable()
    runs = [Run(), Run()]
    try:
        first_start = time.monotonic()
        bot = await start_bot(bot_env(url, api, START, args), log)
        memory = asyncio.create_task(watch_memory(bot.pid, runs[0]))
        await wait_until(lambda: api.state.poll_generation > 0, 60, "botun bağlanması")
        runs[0].started = time.monotonic()
        bot_now = START + timedelta(seconds=time.monotonic() - first_start)
        began = time.perf_counter()
        await asyncio.to_thread(queue_broadcast, engine, args.recipients, bot_now)
        figures.queue_write_s = time.perf_counter() - began
        queued = time.monotonic()
        await wait_until(notices, 30, "ilk mesaj")
        figures.first_notice_s = notices()[0] - queued

        if not args.no_kill:
            half = args.recipients // 2
            await wait_until(lambda: len(notices()) >= half, 3600, "yarı yol")
            bot.send_signal(signal.SIGKILL)
            await bot.wait()
            memory.cancel()
            runs[0].ended = time.monotonic()
            await wait_until(lambda: not api.state.inflight, 30, "yarım kalan çağrılar")
            runs[0].sends = list(notices())
            # The clock goes on as a real clock would have while the bot was down.
            restart_clock = START + timedelta(seconds=time.monotonic() - first_start)
            bot = await start_bot(bot_env(url, api, restart_clock, args), log)
            memory = asyncio.create_task(watch_memory(bot.pid, runs[1]))
            runs[1].started = time.monotonic()

        starter = api.user(STARTER)
        [report] = await starter.wait_for(
            lambda m: "Duyuru tamamlandı" in m.get("text", ""),
            timeout=args.recipients / args.rate * 2 + 300)
        figures.report = report["text"]
        figures.total_s = time.monotonic() - queued
        bot.send_signal(signal.SIGTERM)
        await bot.wait()
        memory.cancel()
    finally:
        if bot.returncode is None:
            bot.kill()
            await bot.wait()
        await api.stop()

    arrivals = notices()
    if args.no_kill:
        runs = [Run(started=runs[0].started, sends=arrivals, rss_peak_mb=runs[0].rss_peak_mb)]
    else:
        runs[1].sends = arrivals[len(runs[0].sends):]
        figures.first_after_restart_s = runs[1].sends[0] - runs[1].started
        figures.rate_second_run = runs[1].rate
    figures.rate_first_run = runs[0].rate
    figures.rate_overall = (len(arrivals) - 1) / (arrivals[-1] - arrivals[0])
    everything = sorted(t for t, method, _ in api.calls
                        if method.lower() in ("sendmessage", "editmessagetext"))
    figures.busiest_second = busiest(everything, 1.0)
    figures.slowest_10s = min(slowest(run.sends, 10.0) for run in runs if run.sends)
    figures.too_many_requests = api.too_many_requests
    assert api.flood is not None
    figures.refused = [f"{at - runs[0].started:.1f} sn: {method} → {chat} ({', '.join(limits)})"
                       for at, method, chat, limits in api.flood.refused]
    figures.rss_peak_mb = [round(run.rss_peak_mb, 1) for run in runs]
    gc.enable()
    check_chats(engine, api, members, figures)
    engine.dispose()
    return figures


def busiest(times: list[float], window: float) -> int:
    """The most arrivals inside any window (t - window, t]."""
    best, first = 0, 0
    for last, t in enumerate(times):
        while times[first] <= t - window:
            first += 1
        best = max(best, last - first + 1)
    return best


def slowest(times: list[float], window: float) -> float:
    """The fewest messages a second over any full `window` within a run."""
    if not times or times[-1] - times[0] < window:
        return 0.0
    counts = []
    start, end = times[0], times[-1]
    t = start
    while t + window <= end:
        counts.append(sum(1 for x in times if t <= x < t + window) / window)
        t += window
    return min(counts)


def check_chats(engine: Engine, api: LocalBotApi, members: set[int], figures: Figures) -> None:
    got = Counter({m: sum(1 for message in api.user(m).messages
                          if "farkındalık toplantısı" in message.get("text", ""))
                   for m in members})
    with Session(engine) as session:
        statuses = dict(session.exec(select(Notification.chat_id, Notification.status).where(
            col(Notification.broadcast_id).is_not(None))).all())
    unknown = {chat for chat, status in statuses.items() if status == NotificationStatus.UNKNOWN}
    figures.delivered = sum(1 for m in members if got[m] >= 1)
    figures.duplicated = sum(1 for m in members if got[m] > 1)
    figures.lost = sum(1 for m in members if got[m] == 0 and m not in unknown)
    figures.in_doubt = len(unknown)
    figures.in_doubt_delivered = sum(1 for m in unknown if got[m] >= 1)


def show(f: Figures) -> str:
    doubt = f"{f.in_doubt} (bunların {f.in_doubt_delivered} tanesi aslında ulaştı)"
    memory = " / ".join(f"{mb:.0f} MB" for mb in f.rss_peak_mb)
    lines = [
        f"Veritabanı: {f.database} · {f.recipients:,} üye · gidiş-dönüş "
        f"{f.round_trip_s * 1000:.0f} ms · üst sınır {f.rate_cap}/sn",
        f"Üyeleri yazma (toplu):                {f.fill_s:8.2f} sn",
        f"Kuyruğa yazma ({f.recipients:,} satır):        {f.queue_write_s:8.2f} sn",
        f"Kuyruktan ilk mesaja:                 {f.first_notice_s:8.2f} sn",
        f"Yeniden başlatmadan ilk mesaja:       {f.first_after_restart_s:8.2f} sn",
        f"Sürekli hız, 1. çalışma:              {f.rate_first_run:8.2f} mesaj/sn",
        f"Sürekli hız, 2. çalışma:              {f.rate_second_run:8.2f} mesaj/sn",
        f"Baştan sona (yeniden başlatma dahil): {f.rate_overall:8.2f} mesaj/sn",
        f"En yavaş 10 sn:                       {f.slowest_10s:8.2f} mesaj/sn",
        f"Telegram'ın bir saniyede gördüğü en çok: {f.busiest_second} gönderim/düzenleme",
        f"429 yanıtı:                           {f.too_many_requests}",
        *(f"  {refusal}" for refusal in f.refused),
        f"Ulaşan: {f.delivered:,} · iki kez: {f.duplicated} · kayıp: {f.lost} · belirsiz: {doubt}",
        f"Botun belleği (RSS, en yüksek):       {memory}",
        f"Toplam (kuyruktan rapora):            {f.total_s:8.1f} sn",
        "",
        "Başlatana giden rapor:",
        f.report,
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.broadcast", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", help="database URL (default: a temporary SQLite file)")
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--round-trip", type=float, default=0.1, help="seconds per call")
    parser.add_argument("--rate", type=int, default=30, help="[sending] rate")
    parser.add_argument("--paid", action="store_true", help="[sending] paid_broadcast = true")
    parser.add_argument("--no-kill", action="store_true", help="no kill -9 half way")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        figures = asyncio.run(bench(url, args, Path(tmp)))
    print(show(figures))
    if args.json:
        args.json.write_text(json.dumps(asdict(figures), ensure_ascii=False, indent=2))
    ok = figures.duplicated == 0 and figures.lost == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
