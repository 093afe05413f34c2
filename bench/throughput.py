"""Updates a second: kume beside a bare python-telegram-bot echo bot, on the same load.

    python -m bench.throughput [--db URL] [--people 300] [--updates 1200] [--repeat 5]
                               [--round-trip 0] [--before DIR] [--json FILE]
                               [--load idle|dialog]… [--bot echo8|sql|before|kume]…

Each bot runs as its own process (as `kume run` would) against its own local Bot API
(local_bot_api, in this process): the echo bot of bench/echo_bot.py with PTB's defaults (one
update at a time), the same echo bot with `concurrent_updates(8)`, the echo bot plus the
database statements of kume's update written raw (bench/sql_echo_bot.py: what the database
alone costs, the leanest way), and kume (bot.app.build_application, polling). `--people`
registered reporters send `--updates` text messages, all queued at once, a person's messages
in order; a run lasts from the first update queued to the last reply's arrival at the Bot
API, so updates/s is the whole pipeline:
getUpdates, the handler, its database work and the reply.

Two loads for kume (the echo bots answer the same texts):
- idle: no dialog open; kume looks the person and their dialog up and says none is open.
- dialog: every person is inside /durum for a delayed action, at its progress question; their
  four messages answer progress, narrative, blockers and evidence, each a dialog step that
  stores the answer. Checked afterwards: every dialog is at the summary with all four answers,
  in order (a message handled before the one sent before it would be refused, not stored).

Runs are interleaved (echo, echo×8, kume, echo, …) so a busy machine slows all alike; the
median of `--repeat` runs is shown with the fastest and the slowest, after one untimed run each.
With `--before DIR` (another checkout of kume, e.g. `git archive` of main) that version's kume
runs beside, on the same database, interleaved too.
SQL statements per update are counted in kume's process (a SQLAlchemy event), and the CPU
time per update of each bot's process and of this one (the Bot API and the load) is read
from /proc: updates/s over two cores shared by both processes. Always on a
temporary SQLite file; with `--db` a PostgreSQL server too (a scratch database
`<name>_throughput` on it is dropped and made again).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, col, delete, select

from local_bot_api import LocalBotApi
from tracker.db import create_db_engine, normalise_url, safe_url, session_scope
from tracker.models import Dialog, DialogStatus, Organisation, Person, Role
from tracker.quarters import ISTANBUL

ROOT = Path(__file__).resolve().parent.parent
FIRST_PERSON = 6_000_000  # Telegram ids: FIRST_PERSON + i
# 2014Q1 has ended and its reporting window is open (as in the end-to-end tests).
NOW = datetime(2014, 4, 10, 10, 0, tzinfo=ISTANBUL)
LOADS = ("idle", "dialog")
BOTS = ("echo", "echo8", "sql", "before", "kume")
LABELS = {"echo": "echo bot (PTB defaults)", "echo8": "echo bot, concurrent_updates(8)",
          "sql": "echo bot + the step's SQL, raw",
          "before": "kume before (--before)", "kume": "kume"}


def texts_of(person: int) -> list[str]:
    """A person's four messages: progress, narrative, blockers, evidence."""
    return ["%40", f"Çalıştay yapıldı, {person % 50 + 3} firma katıldı.",
            "Salon bulunamadı; tarih bir ay ertelendi.", f"https://ornek.org/rapor/{person}"]


# ------------------------------------------------------------------------- kume's process


class Statements:
    """SQL statements run by some engines, from any thread."""

    def __init__(self, *engines: Engine) -> None:
        self.count = 0
        self._lock = threading.Lock()
        for engine in engines:
            sa.event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *_: Any) -> None:
        with self._lock:
            self.count += 1


def serve_kume() -> None:
    """kume polling the Bot API named in the environment, as `kume run` does; SIGUSR1 writes
    the statements run so far to $BENCH_STATS."""
    from telegram import Update

    from bot.app import build_application
    from bot.context import services_of
    from bot.logs import quiet_http_logs
    from bot.settings import BotSettings
    from tracker.clock import Clock

    quiet_http_logs()
    engine = create_db_engine(os.environ["BENCH_DB"])
    base = os.environ["BENCH_BASE_URL"]
    app = build_application(token=os.environ["BENCH_TOKEN"], engine=engine, clock=Clock(NOW),
                            settings=BotSettings(tick_seconds=0), base_url=base)
    # The handlers' own engine on PostgreSQL (none in a kume --before it).
    async_engine = getattr(services_of(app), "async_engine", None)
    statements = Statements(engine, *([async_engine.sync_engine] if async_engine else []))
    stats = Path(os.environ["BENCH_STATS"])

    def report(*_: Any) -> None:
        stats.with_suffix(".tmp").write_text(str(statements.count))
        os.replace(stats.with_suffix(".tmp"), stats)

    signal.signal(signal.SIGUSR1, report)
    app.run_polling(allowed_updates=Update.ALL_TYPES)


# ----------------------------------------------------------------------------- the database


def scratch_url(url: str, tmp: Path) -> str:
    if url == "sqlite":
        return f"sqlite:///{tmp / 'throughput.sqlite3'}"
    parsed = make_url(normalise_url(url))
    scratch = parsed.set(database=f"{parsed.database}_throughput")
    admin = sa.create_engine(parsed, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{scratch.database}"'))
            conn.execute(sa.text(f'CREATE DATABASE "{scratch.database}"'))
    finally:
        admin.dispose()
    return scratch.render_as_string(hide_password=False)


def register_people(engine: Engine, count: int) -> list[int]:
    """`count` reporters, spread over the organisations with an action to report on now."""
    from tracker.calendar import CalendarSettings
    from tracker.locks import open_quarter_for
    from tracker.status_updates import active_actions

    with session_scope(engine) as session:
        organisations = []
        for org in session.exec(select(Organisation).order_by(col(Organisation.id))).all():
            assert org.id is not None
            quarter = open_quarter_for(session, org.id, NOW, CalendarSettings())
            if quarter is not None and active_actions(session, org.id, quarter):
                organisations.append(org.id)
        ids = [FIRST_PERSON + i for i in range(count)]
        session.execute(sa.insert(Person), [
            dict(telegram_user_id=telegram_id, display_name=f"Kişi {i + 1}",
                 organisation_id=organisations[i % len(organisations)], role=Role.REPORTER,
                 active=True, created_at=NOW, bulletins=False)
            for i, telegram_id in enumerate(ids)])
    return ids


def open_dialogs(engine: Engine) -> list[dict[str, Any]]:
    """Every person inside /durum on a delayed action, at the progress question: opened by the
    status dialog's own engine. Returns the rows, to put back before each run."""
    from bot.settings import BotSettings
    from tracker.dialogs.base import ChoiceInput, Context
    from tracker.dialogs.registry import engine as dialog_engine

    status = dialog_engine("status")
    with session_scope(engine) as session:
        people = session.exec(select(Person).where(
            col(Person.telegram_user_id) >= FIRST_PERSON)).all()
        for person in people:
            ctx = Context(person=person, now=NOW, settings=BotSettings())
            turn = status.start(session, ctx, None)
            assert turn.dialog is not None, "no action to report on"
            if turn.dialog.step == "pick":  # several actions: the first one
                first = turn.prompt.choices[0][0].key
                turn = status.handle(session, turn.dialog, ctx, ChoiceInput(first))
            assert turn.dialog is not None
            turn = status.handle(session, turn.dialog, ctx, ChoiceInput("de"))
            assert turn.dialog is not None and turn.dialog.step == "progress", turn
    table = Dialog.__table__  # type: ignore[attr-defined]
    with engine.connect() as conn:
        rows = conn.execute(sa.select(table)).mappings().all()
    return [{k: v for k, v in row.items() if k != "id"} for row in rows]


def reset_dialogs(engine: Engine, rows: list[dict[str, Any]]) -> None:
    with session_scope(engine) as session:
        session.exec(delete(Dialog))  # type: ignore[call-overload]
        if rows:
            session.execute(sa.insert(Dialog), rows)


def stored_answers(engine: Engine, people: list[int]) -> int:
    """Dialogs at the summary with all four answers as sent, in order."""
    expected = {FIRST_PERSON + i: texts_of(FIRST_PERSON + i) for i in range(len(people))}
    done = 0
    with Session(engine) as session:
        rows = session.exec(select(Dialog, Person.telegram_user_id).join(
            Person, col(Person.id) == Dialog.person_id).where(
            Dialog.status == DialogStatus.ACTIVE)).all()
    for dialog, telegram_id in rows:
        answers = (dialog.data or {}).get("answers", {})
        progress, narrative, blockers, link = expected[telegram_id]
        if (dialog.step == "confirm" and answers.get("progress") == 40
                and answers.get("narrative") == narrative and answers.get("blockers") == blockers
                and answers.get("evidence_link") == link):
            done += 1
    return done


# ------------------------------------------------------------------------------- the bots


@dataclass
class Bot:
    name: str
    api: LocalBotApi
    process: asyncio.subprocess.Process | None = None
    stats: Path | None = None
    code: Path | None = None  # another checkout of kume to run (--before)

    async def start(self, env: dict[str, str], log: Path) -> None:
        await self.api.start()
        python = ROOT / ".venv" / "bin" / "python"
        exe = str(python if python.exists() else sys.executable)
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("KUME_")}, **env,
               "BENCH_TOKEN": self.api.token, "BENCH_BASE_URL": self.api.base_url,
               "ECHO_TOKEN": self.api.token, "ECHO_BASE_URL": self.api.base_url}
        if self.name == "echo8":
            env["ECHO_CONCURRENT"] = "8"
        args = ["-m", "bench.sql_echo_bot" if self.name == "sql" else "bench.echo_bot"]
        if self.name in ("kume", "before"):
            # By path: with --before, the old checkout's packages come first on PYTHONPATH.
            args = [str(Path(__file__).resolve()), "--serve"]
        if self.code is not None:
            env["PYTHONPATH"] = str(self.code)
        with log.open("ab") as out:
            self.process = await asyncio.create_subprocess_exec(
                exe, *args, cwd=self.code or ROOT, env=env, stdout=out, stderr=out)
        deadline = time.monotonic() + 60
        while self.api.state.poll_generation == 0:
            if time.monotonic() > deadline or self.process.returncode is not None:
                raise SystemExit(f"{self.name} did not start; see {log}")
            await asyncio.sleep(0.05)

    async def statements(self) -> int:
        if self.stats is None or self.process is None:
            return 0
        self.stats.unlink(missing_ok=True)
        self.process.send_signal(signal.SIGUSR1)
        while not self.stats.exists():
            await asyncio.sleep(0.01)
        return int(self.stats.read_text())

    def cpu_seconds(self) -> float:
        """User and system CPU time of the bot's process so far."""
        assert self.process is not None
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_mb(self) -> float:
        assert self.process is not None
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), 20)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        await self.api.stop()


@dataclass
class Run:
    seconds: float
    statements: int
    cpu: float  # the bot process's CPU seconds
    api_cpu: float  # this process's (the Bot API's and the load's) CPU seconds


async def one_run(bot: Bot, people: list[int], updates: int) -> Run:
    """Queue every update at once, a person's in order; wait for every reply."""
    per_person = max(1, updates // len(people))
    users = [bot.api.user(p, first_name="Kişi") for p in people]
    mark = len(bot.api.calls)
    before = await bot.statements()
    cpu_before, api_before = bot.cpu_seconds(), time.process_time()
    start = time.monotonic()
    for k in range(per_person):
        for user in users:
            await user.send(texts_of(user.id)[k % 4])
    total = per_person * len(users)
    chats = set(people)

    def replies() -> list[float]:
        return [t for t, method, params in bot.api.calls[mark:]
                if method == "sendMessage" and params.get("chat_id") in chats]

    deadline = time.monotonic() + 600
    while len(replies()) < total:
        if time.monotonic() > deadline:
            raise SystemExit(f"{bot.name}: {len(replies())} of {total} replies in 600 s")
        await asyncio.sleep(0.02)
    seconds = replies()[total - 1] - start
    cpu, api_cpu = bot.cpu_seconds() - cpu_before, time.process_time() - api_before
    after = await bot.statements()
    return Run(seconds, after - before, cpu, api_cpu)


# ------------------------------------------------------------------------------ measuring


@dataclass
class Spread:
    median: float
    low: float
    high: float

    @classmethod
    def of(cls, values: list[float]) -> Spread:
        return cls(statistics.median(values), min(values), max(values))


@dataclass
class Result:
    database: str
    load: str
    bot: str
    updates_per_s: Spread
    statements_per_update: float = 0.0
    cpu_ms_per_update: float = 0.0
    api_cpu_ms_per_update: float = 0.0
    checked: str = ""
    runs: list[float] = field(default_factory=list)


async def measure(url: str, label: str, args: argparse.Namespace,
                  tmp: Path) -> tuple[list[Result], dict[str, float]]:
    """The runs on one database, and its in-process step costs (none without kume's dialog
    load)."""
    from tracker.setup import prepare_database

    engine = create_db_engine(url)
    prepare_database(engine)
    people = register_people(engine, args.people)
    updates = args.updates - args.updates % args.people
    names = [name for name in BOTS if (name != "before" or args.before)
             and (not args.bots or name in args.bots or name == "echo")]
    bots = {name: Bot(name, LocalBotApi(round_trip=args.round_trip)) for name in names}
    bots["kume"].stats = tmp / "kume.stats"
    if args.before:
        bots["before"].stats = tmp / "before.stats"
        bots["before"].code = args.before.resolve()
    results: list[Result] = []
    try:
        for bot in bots.values():
            await bot.start({"BENCH_DB": url, "BENCH_STATS": str(bot.stats),
                             "KUME_LOGGING_LEVEL": "WARNING"}, tmp / f"{bot.name}.log")
        dialogs = open_dialogs(engine)
        for load in args.loads or LOADS:
            rows = dialogs if load == "dialog" else []
            checks: dict[str, str] = {}
            runs: dict[str, list[Run]] = {name: [] for name in names}
            for attempt in range(args.repeat + 1):  # the first: untimed, to warm up
                for name, bot in bots.items():
                    if bot.stats is not None:
                        await asyncio.to_thread(reset_dialogs, engine, rows)
                    run = await one_run(bot, people, updates)
                    if attempt:
                        runs[name].append(run)
                    if load == "dialog" and bot.stats is not None:
                        stored = stored_answers(engine, people)
                        checks[name] = f"{stored} of {len(people)} dialogs hold all four answers"
                        if stored != len(people):
                            raise SystemExit(f"{label}, {name}: {checks[name]}")
            for name in names:
                rates = [updates / r.seconds for r in runs[name]]
                per_update = statistics.median(r.statements for r in runs[name]) / updates
                cpu = statistics.median(r.cpu for r in runs[name]) / updates * 1000
                api_cpu = statistics.median(r.api_cpu for r in runs[name]) / updates * 1000
                results.append(Result(label, load, name, Spread.of(rates), per_update, cpu,
                                      api_cpu, checks.get(name, ""), rates))
            print(show(results[-len(names):], args), flush=True)
        costs: dict[str, float] = {}
        if "dialog" in (args.loads or LOADS) and "kume" in names:
            # Here, not at the top: kume's process runs this file by path (serve_kume), where
            # the bench package is not importable.
            from bench.floor import step_costs

            costs = await step_costs(engine, people, texts_of,
                                     lambda: reset_dialogs(engine, dialogs), args.repeat, NOW)
            print(show_costs(costs, results, label), flush=True)
        for name in ("before", "kume"):
            if name in bots:
                print(f"{LABELS[name]}: memory (RSS) after the runs {bots[name].rss_mb():.0f} MiB",
                      flush=True)
    finally:
        for bot in bots.values():
            await bot.stop()
        engine.dispose()
    return results, costs


def show_costs(costs: dict[str, float], results: list[Result], label: str) -> str:
    """The in-process step costs (bench/floor.py), each with the ratio to the echo bot it would
    leave by CPU alone (bench.floor.ceiling)."""
    from bench.floor import ceiling

    echo = next(r.cpu_ms_per_update for r in results
                if (r.database, r.load, r.bot) == (label, "dialog", "echo"))
    parts = [f"{name} {ms:.2f} ms (~{ceiling(echo, ms):.2f}× echo by CPU)"
             for name, ms in costs.items()]
    return (f"{label:<10} dialog step in-process, CPU (echo bot {echo:.2f} ms/update): "
            + " · ".join(parts))


def show(results: list[Result], args: argparse.Namespace) -> str:
    base = {(r.database, r.load): r.updates_per_s.median for r in results if r.bot == "echo"}
    lines = []
    for r in results:
        ratio = r.updates_per_s.median / base[(r.database, r.load)]
        s = r.updates_per_s
        sql = f" · {r.statements_per_update:.1f} SQL/update" if r.statements_per_update else ""
        cpu = f" · CPU {r.cpu_ms_per_update:.2f} ms/update (Bot API {r.api_cpu_ms_per_update:.2f})"
        check = f" · {r.checked}" if r.checked else ""
        lines.append(f"{r.database:<10} {r.load:<7} {LABELS[r.bot]:<34} {s.median:7.0f} updates/s "
                     f"({s.low:.0f}–{s.high:.0f}) · {ratio:4.2f}× echo{cpu}{sql}{check}")
    return "\n".join(lines)


async def bench(args: argparse.Namespace,
                tmp: Path) -> tuple[list[Result], dict[str, dict[str, float]]]:
    targets = [("SQLite", "sqlite")] + ([("PostgreSQL", args.db)] if args.db else [])
    results: list[Result] = []
    costs: dict[str, dict[str, float]] = {}
    print(f"{args.people} people · {args.updates} updates a run · {args.repeat} runs "
          f"(median, fastest–slowest) · round trip {args.round_trip * 1000:.0f} ms", flush=True)
    for label, url in targets:
        scratch = scratch_url(url, tmp)
        print(f"\n{label}: {safe_url(scratch)}", flush=True)
        found, costs[label] = await measure(scratch, label, args, tmp)
        results += found
    return results, costs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.throughput", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", help="a PostgreSQL URL: also measure on it (a scratch database)")
    parser.add_argument("--people", type=int, default=300)
    parser.add_argument("--updates", type=int, default=1200)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--round-trip", type=float, default=0.0, help="seconds added per call")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--before", type=Path, metavar="DIR",
                        help="another checkout of kume (e.g. `git archive` of main) run beside")
    parser.add_argument("--load", dest="loads", action="append", choices=LOADS,
                        help="only this load (repeatable); for profiling")
    parser.add_argument("--bot", dest="bots", action="append", choices=BOTS,
                        help="only this bot beside the echo bot (repeatable); for profiling")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve_kume()
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        results, costs = asyncio.run(bench(args, Path(tmp)))
    print("\nAll:\n" + show(results, args))
    if args.json:
        args.json.write_text(json.dumps({"runs": [asdict(r) for r in results],
                                         "step_costs_ms": costs}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
