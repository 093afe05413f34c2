"""/rapor through the running bot: the first after a start, the warm ones, and the bot's memory.

    python -m bench.report_bot [--db URL] [--scale 1] [--repeat 3] [--warm 3] [--settle 5]
                               [--before DIR]

The real bot (`kume run`, a subprocess, its clock at bench.fill's report time) against a local
Bot API in this process, on bench.fill's history at `--scale` (filled into a temporary SQLite
file unless --db names a filled database). Each round starts the bot, waits until it polls and
`--settle` seconds more (a person rarely asks the second the bot starts), then times /rapor
from the agency contact until the last chart arrived: once (the first after the start), then
`--warm` times. Resident memory (RSS) of the bot's process idle before the first report, right
after it, and after the warm ones; and of its child processes (the /rapor worker) beside it.
With `--before DIR` (another checkout of kume, e.g. `git archive` of main) each round runs that
one too, interleaved. Medians over the rounds, with the fastest and the slowest.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.fill import AGENCY_USER, REPORT_NOW, fill
from local_bot_api import LocalBotApi
from tracker import reports
from tracker.calendar import CalendarSettings
from tracker.db import create_db_engine, session_scope

ROOT = Path(__file__).resolve().parent.parent


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def children_mb(pid: int) -> float:
    """The RSS of a process's children (the /rapor worker and its resource tracker)."""
    total = 0.0
    try:
        kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return 0.0
    for kid in kids:
        total += rss_mb(int(kid)) + children_mb(int(kid))
    return total


@dataclass
class Round:
    first_s: float = 0.0
    warm_s: list[float] = field(default_factory=list)
    idle_mb: float = 0.0
    after_first_mb: float = 0.0
    after_warm_mb: float = 0.0
    worker_mb: float = 0.0


async def one_round(url: str, code: Path | None, charts: int, args: argparse.Namespace,
                    log: Path) -> Round:
    api = LocalBotApi()
    await api.start()
    python = ROOT / ".venv" / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if not k.startswith("KUME_")}
    env.update(KUME_DATABASE_URL=url, KUME_TELEGRAM_TOKEN=api.token,
               KUME_TELEGRAM_BASE_URL=api.base_url, KUME_CLOCK_START=REPORT_NOW.isoformat(),
               KUME_LOGGING_LEVEL="WARNING")
    if code is not None:
        env["PYTHONPATH"] = str(code)
    with log.open("ab") as out:
        bot = await asyncio.create_subprocess_exec(
            str(python if python.exists() else sys.executable), "-m", "kume", "run",
            cwd=code or ROOT, env=env, stdout=out, stderr=out)
    result = Round()
    try:
        deadline = time.monotonic() + 60
        while api.state.poll_generation == 0:
            if time.monotonic() > deadline or bot.returncode is not None:
                raise SystemExit(f"the bot did not start; see {log}")
            await asyncio.sleep(0.05)
        await asyncio.sleep(args.settle)
        result.idle_mb = rss_mb(bot.pid)
        user = api.user(AGENCY_USER, first_name="İZKA")
        for attempt in range(1 + args.warm):
            start = time.perf_counter()
            await user.send("/rapor")
            await user.wait_for(lambda m: "photo" in m, count=charts, timeout=120)
            seconds = time.perf_counter() - start
            await user.replies(quiet=0.2)
            if attempt == 0:
                result.first_s = seconds
                result.after_first_mb = rss_mb(bot.pid)
            else:
                result.warm_s.append(seconds)
        result.after_warm_mb = rss_mb(bot.pid)
        result.worker_mb = children_mb(bot.pid)
    finally:
        if bot.returncode is None:
            bot.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(bot.wait(), 20)
            except TimeoutError:
                bot.kill()
                await bot.wait()
        await api.stop()
    return result


def spread(values: list[float], unit: str, digits: int = 2) -> str:
    return (f"{statistics.median(values):.{digits}f} {unit} "
            f"({min(values):.{digits}f}–{max(values):.{digits}f})")


def show(name: str, rounds: list[Round]) -> str:
    warm = [s for r in rounds for s in r.warm_s]
    return "\n".join([
        f"{name}",
        f"  first /rapor after the start:      {spread([r.first_s for r in rounds], 's')}",
        f"  warm /rapor:                       {spread(warm, 's')}" if warm else "",
        f"  memory idle (bot process):         {spread([r.idle_mb for r in rounds], 'MiB', 0)}",
        f"  after the first /rapor:            "
        f"{spread([r.after_first_mb for r in rounds], 'MiB', 0)}",
        f"  after the warm ones:               "
        f"{spread([r.after_warm_mb for r in rounds], 'MiB', 0)}",
        f"  its child processes (worker):      {spread([r.worker_mb for r in rounds], 'MiB', 0)}",
    ])


async def bench(url: str, args: argparse.Namespace, tmp: Path) -> dict[str, list[Round]]:
    settings = CalendarSettings()
    engine = create_db_engine(url)
    if args.db is None:
        fill(engine, settings, scale=args.scale)
    with session_scope(engine) as session:
        filters = reports.parse_filters([], session=session, now=REPORT_NOW, settings=settings)
        charts = len(reports.charts(reports.build_report(session, filters, now=REPORT_NOW,
                                                         settings=settings)))
    engine.dispose()
    codes: dict[str, Path | None] = {"kume": None}
    if args.before:
        codes = {"before": args.before.resolve(), **codes}
    rounds: dict[str, list[Round]] = {name: [] for name in codes}
    for number in range(args.repeat):
        for name, code in codes.items():
            found = await one_round(url, code, charts, args, tmp / f"{name}.log")
            rounds[name].append(found)
            print(f"round {number + 1}, {name}: first {found.first_s:.2f} s, "
                  f"idle {found.idle_mb:.0f} MiB, after {found.after_warm_mb:.0f} MiB",
                  flush=True)
    return rounds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.report_bot", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", help="a database bench.fill filled (default: fill a temporary "
                        "SQLite file)")
    parser.add_argument("--scale", type=int, default=1, help="bench.fill's scale (10: 10×)")
    parser.add_argument("--repeat", type=int, default=3, help="rounds (a fresh bot each)")
    parser.add_argument("--warm", type=int, default=3, help="warm /rapor a round")
    parser.add_argument("--settle", type=float, default=5.0,
                        help="seconds from polling to the first /rapor")
    parser.add_argument("--before", type=Path, metavar="DIR",
                        help="another checkout of kume, run beside, interleaved")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite:///{Path(tmp) / 'report.sqlite3'}"
        rounds = asyncio.run(bench(url, args, Path(tmp)))
    print()
    for name, found in rounds.items():
        print(show("kume before (--before)" if name == "before" else "kume", found))
    return 0


if __name__ == "__main__":
    sys.exit(main())
