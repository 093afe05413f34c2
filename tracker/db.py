"""Database engines and sessions (the schema and its upgrades: tracker/schema.py)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session

if TYPE_CHECKING:
    # Imported where used: SQLite never needs SQLAlchemy's asyncio layer (2 MiB, greenlet).
    from sqlalchemy.ext.asyncio import AsyncEngine

logger = logging.getLogger(__name__)

T = TypeVar("T")


def normalise_url(url: str) -> str:
    """Accept URLs as people write them: `postgresql://user@host/db` means psycopg 3 here."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def safe_url(url: str) -> str:
    """The URL with its password masked, for logs and messages."""
    return make_url(url).render_as_string(hide_password=True)


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    """Every connection: foreign keys on; a writer waits for another (up to 10 s) instead of
    failing; write-ahead logging, and a commit that reaches the operating system without
    waiting for the disk (synchronous=NORMAL). In WAL mode that is still durable across a
    crash of the process (kill -9): the commit is in the WAL file, which SQLite reads on the
    next open. Only a power cut or a kernel crash may lose the last commits, never corrupt the
    database (README, "SQLite"). A commit costs ~0.03 ms instead of ~1.3 ms."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA journal_mode=WAL")  # kept in the file; ":memory:" stays "memory"
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def create_db_engine(url: str) -> Engine:
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"check_same_thread": False})
        sa.event.listen(engine, "connect", _on_sqlite_connect)
        return engine
    return sa.create_engine(url, pool_pre_ping=True)


def async_twin(engine: Engine, *, pool_size: int) -> AsyncEngine | None:
    """PostgreSQL: an asyncio engine on the same database, through asyncpg (None on SQLite).

    For the bot's short transactions (run_on_the_loop): the ORM work runs on the event loop's
    thread and each statement is awaited, so the loop goes on while the server answers, with no
    worker thread handing the GIL back and forth. asyncpg rather than psycopg's asyncio mode:
    its protocol is compiled and it keeps each connection's statements prepared
    (bench/throughput.py, README "Speed and memory": a dialog step 1.8 ms → 1.2 ms of CPU).

    `pool_size`: as many connections as transactions may run at once, so none is opened and
    closed per update. No pre-ping: asyncpg's costs three round trips (BEGIN, a query,
    ROLLBACK), ~0.1 ms of CPU a transaction; run_on_the_loop retries a transaction whose
    connection turned out dead instead."""
    if engine.dialect.name != "postgresql":
        return None
    from sqlalchemy.ext.asyncio import create_async_engine

    return create_async_engine(engine.url.set(drivername="postgresql+asyncpg"),
                               pool_size=pool_size, max_overflow=pool_size)


# Tables that got new rows in a session (its info), so that whoever commits knows what to
# wake: an outbox's sender polls too, but a row queued by an answer should go at once, and
# waking the sender after every answer cost it a claim query each time (bench/throughput.py).
INSERTED = "kume_inserted_tables"


@sa.event.listens_for(orm.Session, "before_flush")
def _note_added_rows(session: orm.Session, _context: Any, _instances: Any) -> None:
    if session.new:
        tables = session.info.setdefault(INSERTED, set())
        tables.update(type(row).__tablename__ for row in session.new)


@sa.event.listens_for(orm.Session, "do_orm_execute")
def _note_inserts(state: orm.ORMExecuteState) -> None:
    if state.is_insert:
        table = getattr(state.statement, "table", None)
        if table is not None:
            state.session.info.setdefault(INSERTED, set()).add(table.name)


def inserted_tables(session: orm.Session) -> frozenset[str]:
    """Tables this session has added rows to (or tried: a rolled-back savepoint's rows count,
    so a caller may wake a sender for nothing, never miss one)."""
    return frozenset(session.info.get(INSERTED, ()))


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


async def run_on_the_loop(engine: AsyncEngine, work: Callable[[Session], T]) -> tuple[T, Session]:
    """session_scope's unit of work on an asyncio engine: `work` gets a plain (sqlmodel)
    Session, its statements awaited underneath (AsyncSession.run_sync), and the commit follows
    in the same call (one greenlet for the whole transaction). Returns its result and the
    session, for what it queued (inserted_tables).

    A connection that died while idle in the pool (the server restarted) fails the first
    statement: the work is run once more on a fresh connection. Only then, never after a failed
    commit, which the server may have applied."""
    from sqlmodel.ext.asyncio.session import AsyncSession

    committing = False

    def unit(sync_session: orm.Session) -> T:
        nonlocal committing
        assert isinstance(sync_session, Session)  # sqlmodel's AsyncSession makes its own kind
        try:
            result = work(sync_session)
        except BaseException:
            sync_session.rollback()
            raise
        committing = True
        sync_session.commit()
        return result

    for attempt in (1, 2):
        async with AsyncSession(engine, expire_on_commit=False) as session:
            try:
                return await session.run_sync(unit), session.sync_session
            except sa.exc.DBAPIError as error:
                if attempt == 1 and error.connection_invalidated and not committing:
                    logger.warning("database connection lost; the transaction is run again")
                    continue
                raise
    raise AssertionError("unreachable")
