"""How long the agency waits for a report, and how that grows with the data.

    python -m bench.run [--db URL] [--scale N ...] [--repeat 3]

Each `--scale N` is a database with N times the organisations and clusters of bench.fill
(so about N times the answers and figures); give several (`--scale 1 --scale 10`) to see the
growth. Without --db each is a temporary SQLite file; with --db the URL is scale 1 and scale
N is the same URL with the database named `<name>_x<N>` (created on PostgreSQL when missing),
each filled unless it already holds that scale's data.

Per scale, every case is run `repeat` times (after one untimed report, as a running bot has its
imports and caches warm) and the median is shown with the spread: building
the report (its queries and assembly), the summary, the workbook and the charts, for the
default /rapor (the last quarter), a plan year and a year's trend charts; then
`kume report --out DIR` end to end in a subprocess (and its share of starting Python and
importing); then /rapor through the real bot and the
local Bot API until the last photo arrived. Last, each step's growth between the scales next
to the growth of the rows: a step that grows no faster than the rows is linear.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, func, select

from bench.fill import AGENCY_USER, ORGANISATIONS, REPORT_NOW, fill, row_counts
from bot.app import build_application
from bot.settings import BotSettings
from local_bot_api import LocalBotApi
from tracker import reports
from tracker.calendar import CalendarSettings
from tracker.clock import Clock
from tracker.db import create_db_engine, normalise_url, safe_url, session_scope
from tracker.models import Organisation, StatusUpdate

# (label, the words after /rapor)
CASES = [
    ("/rapor (son çeyrek)", []),
    ("/rapor 2016 (bir plan yılı)", ["2016"]),
    ("/rapor 2016 gosterge (yıl, gösterge grafikleri)", ["2016", "gosterge"]),
]
STEPS = ("build", "summary", "workbook", "charts")
CLI = "kume report --out DIR (alt süreç)"
IMPORTS = "  bunun Python + import payı"
BOT = "/rapor botla uçtan uca (yerel Bot API)"
# Rows that grow with the scale: the history a report reads.
GROWING = ("status_update", "indicator_value", "notification")
NOW = REPORT_NOW
ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Spread:
    """The median of some runs, with the fastest and the slowest."""

    median: float
    low: float
    high: float

    @classmethod
    def of(cls, seconds: list[float]) -> Spread:
        return cls(statistics.median(seconds), min(seconds), max(seconds))


@dataclass(frozen=True)
class Timing:
    label: str
    steps: dict[str, Spread]  # the report's steps; empty for a case timed as a whole
    total: Spread
    note: str = ""


@dataclass(frozen=True)
class ScaleResult:
    scale: int
    counts: dict[str, int]
    timings: list[Timing]

    @property
    def rows(self) -> int:
        return sum(self.counts.get(name, 0) for name in GROWING)


def repeated(label: str, repeat: int, run: Callable[[], dict[str, float]]) -> Timing:
    """`run` `repeat` times; each returns its steps' seconds."""
    runs = [run() for _ in range(repeat)]
    steps = {name: Spread.of([r[name] for r in runs]) for name in runs[0]}
    return Timing(label, steps if len(steps) > 1 else {},
                  Spread.of([sum(r.values()) for r in runs]))


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


async def time_bot(engine: Engine, settings: CalendarSettings, repeat: int) -> Timing:
    """/rapor from the agency contact until the last chart arrived, `repeat` times."""
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
        seconds = []
        for _ in range(repeat):
            start = time.perf_counter()
            await user.send("/rapor")
            if expected:
                await user.wait_for(lambda m: "photo" in m, count=expected, timeout=120)
            else:
                await user.wait_for(lambda m: "document" in m, timeout=120)
            seconds.append(time.perf_counter() - start)
            await user.replies(quiet=0.2)
        messages = len(user.messages) // repeat
        return Timing(BOT, {}, Spread.of(seconds), f"{messages} mesaj")
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
        await api.stop()


# ------------------------------------------------------------------------------ databases


def scaled_url(base: str, scale: int) -> str:
    """The database of one scale: `base` itself for 1, else its name with `_x<scale>`."""
    if scale == 1:
        return base
    url = make_url(normalise_url(base))
    if url.get_backend_name() == "sqlite":
        path = Path(url.database or "bench.sqlite3")
        return str(url.set(database=str(path.with_name(f"{path.stem}_x{scale}{path.suffix}"))))
    scaled = url.set(database=f"{url.database}_x{scale}")
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            found = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                 {"name": scaled.database}).first()
            if found is None:
                conn.execute(sa.text(f'CREATE DATABASE "{scaled.database}"'))
    finally:
        admin.dispose()
    return scaled.render_as_string(hide_password=False)


def already_filled(engine: Engine, scale: int) -> bool:
    try:
        with Session(engine) as session:
            updates = session.exec(select(func.count()).select_from(StatusUpdate)).one()
            orgs = session.exec(select(func.count()).select_from(Organisation)).one()
    except sa.exc.DBAPIError:  # no schema yet
        return False
    return updates > 0 and orgs == ORGANISATIONS * scale


def prepared(url: str, scale: int, settings: CalendarSettings) -> Engine:
    engine = create_db_engine(url)
    print(f"Ölçek {scale}×, veritabanı: {safe_url(url)}")
    if already_filled(engine, scale):
        print("  Veriler zaten var; doldurma atlandı.")
    else:
        start = time.perf_counter()
        fill(engine, settings, scale=scale)
        print(f"  Dolduruldu: {time.perf_counter() - start:.1f} sn")
    return engine


def measure(engine: Engine, url: str, scale: int, settings: CalendarSettings,
            repeat: int) -> ScaleResult:
    with Session(engine) as session:
        counts = row_counts(session)
    print("  Satırlar: " + ", ".join(f"{name} {count:,}" for name, count in counts.items()))
    # Once untimed: the imports, templates and statement caches a running bot already has.
    time_report(engine, CASES[0][1], settings)
    timings = [repeated(label, repeat, lambda w=words: time_report(engine, w, settings))
               for label, words in CASES]
    timings.append(repeated(CLI, repeat, lambda: time_cli(url)))
    timings.append(repeated(IMPORTS, repeat, time_imports))
    timings.append(asyncio.run(time_bot(engine, settings, repeat)))
    return ScaleResult(scale, counts, timings)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", help="database URL of scale 1 (default: temporary SQLite files)")
    parser.add_argument("--scale", type=int, action="append",
                        help="N× the organisations and the history; repeat to compare (default 1)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs per case (the median is shown, with the spread)")
    args = parser.parse_args(argv)
    scales = sorted(set(args.scale or [1]))
    if scales[0] < 1 or args.repeat < 1:
        parser.error("--scale and --repeat take whole numbers from 1")
    settings = CalendarSettings()

    results = []
    with tempfile.TemporaryDirectory() as tmp:
        base = args.db or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        for scale in scales:
            url = scaled_url(base, scale)
            engine = prepared(url, scale, settings)
            try:
                results.append(measure(engine, url, scale, settings, args.repeat))
            finally:
                engine.dispose()
    print(f"\nRapor anı: {NOW.isoformat()} · {args.repeat} deneme: ortanca (en hızlı–en yavaş)")
    for result in results:
        print(f"\nÖlçek {result.scale}× · {result.rows:,} satır geçmiş")
        print(table(result.timings))
    if len(results) > 1:
        print()
        print(growth(results))
    return 0


# ------------------------------------------------------------------------------- printing


def _cell(spread: Spread) -> str:
    return f"{spread.median:.3f} ({spread.low:.2f}–{spread.high:.2f})"


def table(timings: list[Timing]) -> str:
    width = 22
    head = f"{'durum':<48}" + "".join(f"{n:>{width}}" for n in (*STEPS, "toplam"))
    lines = [head, "-" * len(head)]
    for t in timings:
        cells = "".join(f"{_cell(t.steps[n]) if n in t.steps else '':>{width}}" for n in STEPS)
        note = f"  {t.note}" if t.note else ""
        lines.append(f"{t.label:<48}{cells}{_cell(t.total):>{width}}{note}")
    return "\n".join(lines)


def growth(results: list[ScaleResult]) -> str:
    """Each step's median at every scale over its median at the smallest, beside the rows'."""
    base = results[0]
    lines = []
    for result in results[1:]:
        rows = result.rows / base.rows
        head = (f"Büyüme {base.scale}× → {result.scale}× (satırlar {rows:.1f} kat; "
                f"doğrusal bir adım en çok bu kadar büyür)")
        lines += [head, f"{'durum':<48}" + "".join(f"{n:>10}" for n in (*STEPS, "toplam"))]
        for before, after in zip(base.timings, result.timings, strict=True):
            names = [*STEPS, "total"]
            ratios = []
            for name in names:
                if name == "total":
                    ratios.append(f"{after.total.median / before.total.median:>9.1f}×")
                elif name in after.steps:
                    ratio = after.steps[name].median / before.steps[name].median
                    ratios.append(f"{ratio:>9.1f}×")
                else:
                    ratios.append(f"{'':>10}")
            lines.append(f"{after.label:<48}" + "".join(ratios))
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
