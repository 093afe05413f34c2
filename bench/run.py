"""How long the agency waits for a report, on a database with the plan's whole history.

    python -m bench.run [--db URL] [--repeat 3]

Without --db a temporary SQLite database is filled (bench.fill); a given URL is filled unless
it already holds the benchmark data. Each case is timed `repeat` times with perf_counter and
the best time is shown: building the report, the summary, the workbook and the charts, for the
default /rapor (the last quarter) and for a whole plan year; then `kume report --out DIR` end
to end in a subprocess; then /rapor once through the real bot and the local Bot API.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from bench.fill import AGENCY_USER, REPORT_NOW, fill, row_counts
from bot.app import build_application
from bot.settings import BotSettings
from local_bot_api import LocalBotApi
from tracker import reports
from tracker.calendar import CalendarSettings
from tracker.clock import Clock
from tracker.db import create_db_engine, safe_url, session_scope
from tracker.models import Organisation, StatusUpdate

# (label, the words after /rapor)
CASES = [
    ("/rapor (son çeyrek)", []),
    ("/rapor 2016 (bir plan yılı)", ["2016"]),
    ("/rapor 2016 gosterge (yıl, 6 gösterge grafiği)", ["2016", "gosterge"]),
]
NOW = REPORT_NOW
ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Timing:
    label: str
    steps: dict[str, float] = field(default_factory=dict)  # best time per step
    total: float = float("inf")  # best total of one run
    note: str = ""


def best_of(repeat: int, run: Callable[[], dict[str, float]]) -> tuple[dict[str, float], float]:
    steps: dict[str, float] = {}
    total = float("inf")
    for _ in range(repeat):
        times = run()
        total = min(total, sum(times.values()))
        for name, seconds in times.items():
            steps[name] = min(steps.get(name, float("inf")), seconds)
    return steps, total


def time_report(engine: Engine, words: list[str], settings: CalendarSettings) -> dict[str, float]:
    times: dict[str, float] = {}
    start = time.perf_counter()
    with session_scope(engine) as session:
        filters = reports.parse_filters(words, session=session, now=NOW, settings=settings)
        report = reports.build_report(session, filters, now=NOW, settings=settings)
    times["build"] = time.perf_counter() - start
    for name, step in (("summary", reports.summary_text), ("workbook", reports.workbook_bytes),
                       ("charts", reports.charts)):
        start = time.perf_counter()
        step(report)
        times[name] = time.perf_counter() - start
    return times


def time_cli(url: str) -> dict[str, float]:
    env = {**os.environ, "KUME_DATABASE_URL": url}
    env.pop("KUME_CONFIG", None)
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "kume", "report", "--out", out, "--now", NOW.isoformat()],
            capture_output=True, text=True, env=env, cwd=ROOT)
        seconds = time.perf_counter() - start
        if done.returncode != 0:
            raise RuntimeError(f"kume report failed: {done.stderr}")
    return {"cli": seconds}


def time_imports() -> dict[str, float]:
    """What `kume report` spends before it reads the database: Python and the imports."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import kume.cli, tracker.reports"], check=True,
                   cwd=ROOT)
    return {"imports": time.perf_counter() - start}


async def time_bot(engine: Engine, settings: CalendarSettings) -> tuple[float, int]:
    """/rapor from the agency contact until the last chart arrived; (seconds, messages)."""
    with session_scope(engine) as session:
        filters = reports.parse_filters([], session=session, now=NOW, settings=settings)
        expected = len(reports.charts(reports.build_report(session, filters, now=NOW,
                                                           settings=settings)))
    api = LocalBotApi()
    await api.start()
    app = build_application(
        token=api.token, engine=engine, clock=Clock(NOW),
        settings=BotSettings(calendar=settings, tick_seconds=0),
        base_url=api.base_url, base_file_url=api.base_file_url)
    try:
        await app.initialize()
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=1)
        user = api.user(AGENCY_USER, first_name="İZKA")
        start = time.perf_counter()
        await user.send("/rapor")
        if expected:
            await user.wait_for(lambda m: "photo" in m, count=expected, timeout=120)
        else:
            await user.wait_for(lambda m: "document" in m, timeout=120)
        seconds = time.perf_counter() - start
        await user.replies(quiet=0.2)
        return seconds, len(user.messages)
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
        await api.stop()


def already_filled(engine: Engine) -> bool:
    try:
        with Session(engine) as session:
            updates = session.exec(select(func.count()).select_from(StatusUpdate)).one()
            orgs = session.exec(select(func.count()).select_from(Organisation)).one()
    except Exception:  # no schema yet
        return False
    return updates > 0 and orgs >= 60


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", help="database URL (default: a temporary SQLite file)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per case (best is shown)")
    args = parser.parse_args(argv)
    settings = CalendarSettings()

    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        engine = create_db_engine(url)
        print(f"Veritabanı: {safe_url(url)}")
        if already_filled(engine):
            print("Veriler zaten var; doldurma atlandı.")
        else:
            start = time.perf_counter()
            fill(engine, settings)
            print(f"Dolduruldu: {time.perf_counter() - start:.1f} sn")
        with Session(engine) as session:
            counts = row_counts(session)
        print("Satırlar: " + ", ".join(f"{name} {count:,}" for name, count in counts.items()))
        print(f"Rapor anı: {NOW.isoformat()} · en iyi {args.repeat} deneme (perf_counter)")
        print()

        results: list[Timing] = []
        for label, words in CASES:
            steps, total = best_of(args.repeat, lambda w=words: time_report(engine, w, settings))
            results.append(Timing(label, steps, total))
        steps, total = best_of(args.repeat, lambda: time_cli(url))
        results.append(Timing("kume report --out DIR (alt süreç)", steps, total))
        steps, total = best_of(args.repeat, time_imports)
        results.append(Timing("  bunun Python + import payı", steps, total))
        seconds, messages = asyncio.run(time_bot(engine, settings))
        results.append(Timing("/rapor botla uçtan uca (yerel Bot API, 1 kez)", {}, seconds,
                              f"{messages} mesaj"))
        engine.dispose()

    print(table(results))
    return 0


def table(results: list[Timing]) -> str:
    names = ["build", "summary", "workbook", "charts"]
    head = f"{'durum':<48}" + "".join(f"{n:>10}" for n in names) + f"{'toplam':>10}"
    lines = [head, "-" * len(head)]
    for r in results:
        cells = "".join(f"{r.steps[n]:>9.3f}s" if n in r.steps else f"{'':>10}" for n in names)
        note = f"  {r.note}" if r.note else ""
        lines.append(f"{r.label:<48}{cells}{r.total:>9.3f}s{note}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
