"""What a dialog step's database work costs in-process, against the floor of the stack under it.

bench.throughput calls `step_costs` on its database after the bots have run (nothing else runs
meanwhile). Each figure is the CPU time of this process per step, median of `repeat` runs of
every person's four answers, eight people at once, as the bot runs them:

- raw: the step's statements through the driver alone (sqlite3; asyncpg on PostgreSQL): read
  the person and their active dialog, then BEGIN, update the dialog, COMMIT;
- orm: the same two statements through SQLModel/SQLAlchemy's ORM and nothing of kume (the
  fixed stack's floor): a select of the person and their dialog, the dialog's fields set, a
  commit; on PostgreSQL through the asyncio engine, as the bot's handlers do;
- kume: kume's step itself (bot.context.in_session around the handler's work: the person and
  their dialog read, the answer checked and stored, the next question rendered).

The bot's process is bound by its one core, so its updates/s is about 1 / (CPU per update) and
its ratio to the echo bot about echo / (echo + step): `ceiling` turns a step's cost into that
estimate (bench.throughput prints it beside the measured figures, from the echo bot's measured
CPU per update). An estimate: neither bot keeps its core quite busy, and kume has measured
0.05–0.1 above it.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, col, select

from tracker.models import Dialog, DialogStatus, Person

CONCURRENT = 8
ANSWERS = 4
Step = Callable[[int, int, str], Awaitable[None]]


def ceiling(echo_ms: float, step_ms: float) -> float:
    """About the ratio to the echo bot of a bot that pays `step_ms` more CPU per update."""
    return echo_ms / (echo_ms + step_ms)


async def step_costs(engine: Engine, people: list[int], texts: Callable[[int], list[str]],
                     reset: Callable[[], None], repeat: int, now: datetime) -> dict[str, float]:
    """CPU ms per step of raw, orm and kume on `engine`'s database (see the module's text);
    kume's clock says `now`."""
    costs = {}
    makers: dict[str, Callable[[], Awaitable[tuple[Step, Callable[[], Awaitable[None]]]]]] = {
        "raw": lambda: _raw_step(engine), "orm": lambda: _orm_step(engine),
        "kume": lambda: _kume_step(engine, now)}
    for name, make in makers.items():
        step, close = await make()
        try:
            runs = []
            for attempt in range(repeat + 1):  # the first: untimed, to warm up
                await asyncio.to_thread(reset)
                cpu = await _all_answers(step, people, texts)
                if attempt:
                    runs.append(cpu)
            costs[name] = statistics.median(runs) / (len(people) * ANSWERS) * 1000
        finally:
            await close()
    return costs


async def _all_answers(step: Step, people: list[int], texts: Callable[[int], list[str]]) -> float:
    slots = asyncio.Semaphore(CONCURRENT)
    update_ids = iter(range(1, 10**9))

    async def answer_all(person: int) -> None:
        for text in texts(person)[:ANSWERS]:
            async with slots:
                await step(person, next(update_ids), text)

    start = time.process_time()
    await asyncio.gather(*(answer_all(person) for person in people))
    return time.process_time() - start


async def _nothing() -> None:
    return None


# ------------------------------------------------------------------------------------- kume


async def _kume_step(engine: Engine, now: datetime) -> tuple[Step, Callable[[], Awaitable[None]]]:
    from bot.context import BotData, Services, in_session
    from bot.handlers.dialogs import _answer
    from bot.settings import BotSettings
    from tracker.clock import Clock
    from tracker.dialogs import service
    from tracker.dialogs.base import TextInput

    class NoSender:
        def wake(self) -> None:
            return None

    svc = Services(engine=engine, clock=Clock(now), settings=BotSettings(tick_seconds=0),
                   sender=NoSender())  # type: ignore[arg-type]
    context: Any = SimpleNamespace(services=svc,
                                   application=SimpleNamespace(bot_data=BotData(services=svc)))

    async def step(person: int, update_id: int, text: str) -> None:
        def work(session: Session) -> object:
            found, dialog = service.person_and_dialog(session, person)
            assert found is not None and dialog is not None
            return _answer(session, context, found, dialog, TextInput(text), update_id)

        await in_session(context, work)

    async def close() -> None:
        if svc.async_engine is not None:
            await svc.async_engine.dispose()

    return step, close


# -------------------------------------------------------------------------------------- orm

_PERSON_AND_DIALOG = (
    select(Person, Dialog)
    .outerjoin(Dialog, sa.and_(col(Dialog.person_id) == col(Person.id),
                               col(Dialog.status) == DialogStatus.ACTIVE))
    .where(col(Person.telegram_user_id) == sa.bindparam("telegram_user_id"))
    .limit(1)
)


def _orm_work(session: Session, person: int, update_id: int, text: str) -> None:
    row = session.exec(_PERSON_AND_DIALOG, params={"telegram_user_id": person}).first()
    assert row is not None and row[1] is not None
    dialog = row[1]
    dialog.data = {**(dialog.data or {}), f"answer{update_id % ANSWERS}": text}
    dialog.revision += 1
    dialog.last_update_id = update_id
    session.add(dialog)


async def _orm_step(engine: Engine) -> tuple[Step, Callable[[], Awaitable[None]]]:
    from tracker.db import async_twin, run_on_the_loop, session_scope

    async_engine = async_twin(engine, pool_size=CONCURRENT)
    if async_engine is None:
        async def on_sqlite(person: int, update_id: int, text: str) -> None:
            with session_scope(engine) as session:
                _orm_work(session, person, update_id, text)

        return on_sqlite, _nothing

    async def on_postgresql(person: int, update_id: int, text: str) -> None:
        await run_on_the_loop(async_engine,
                              lambda session: _orm_work(session, person, update_id, text))

    return on_postgresql, async_engine.dispose


# -------------------------------------------------------------------------------------- raw

_READ = ("SELECT p.id, p.role, p.organisation_id, d.id, d.data, d.revision FROM person p "
         f"LEFT JOIN dialog d ON d.person_id = p.id AND d.status = '{DialogStatus.ACTIVE.value}' "
         "WHERE p.telegram_user_id = {0} ORDER BY d.id DESC LIMIT 1")
_WRITE = ("UPDATE dialog SET data = {0}, revision = {1}, last_update_id = {2} WHERE id = {3}")


def _answered(data: Any, update_id: int, text: str) -> str:
    data = json.loads(data) if isinstance(data, str) else dict(data or {})
    return json.dumps({**data, f"answer{update_id % ANSWERS}": text})


async def _raw_step(engine: Engine) -> tuple[Step, Callable[[], Awaitable[None]]]:
    url = make_url(engine.url)
    if url.get_backend_name() == "sqlite":
        connection = sqlite3.connect(url.database or "", isolation_level=None)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        read, write = _READ.format("?"), _WRITE.format("?", "?", "?", "?")

        async def on_sqlite(person: int, update_id: int, text: str) -> None:
            row = connection.execute(read, (person,)).fetchone()
            connection.execute("BEGIN")
            connection.execute(write, (_answered(row[4], update_id, text), row[5] + 1,
                                       update_id, row[3]))
            connection.execute("COMMIT")

        async def close_sqlite() -> None:
            connection.close()

        return on_sqlite, close_sqlite

    import asyncpg

    pool = await asyncpg.create_pool(
        user=url.username, password=url.password, host=url.host, port=url.port,
        database=url.database, min_size=CONCURRENT, max_size=CONCURRENT)
    read, write = _READ.format("$1"), _WRITE.format("$1::json", "$2", "$3", "$4")

    async def on_postgresql(person: int, update_id: int, text: str) -> None:
        async with pool.acquire() as connection:
            row = await connection.fetchrow(read, person)
            async with connection.transaction():
                await connection.execute(write, _answered(row[4], update_id, text),
                                         row[5] + 1, update_id, row[3])

    return on_postgresql, pool.close
