"""A reference for bench.throughput: the echo bot plus a dialog step's database work, raw.

    ECHO_TOKEN=… ECHO_BASE_URL=http://127.0.0.1:PORT/bot BENCH_DB=URL python -m bench.sql_echo_bot

Not kume: what the database statements an update needs cost a bot written the leanest way
this stack allows (raw SQL, no ORM, no worker thread: PostgreSQL through psycopg's asyncio
connections, SQLite through the standard library on the event loop), so that the benchmark
can tell the database's share of kume's time from kume's own. Each text message reads the
sender and their open dialog in one statement, as kume does (kume's tables, the same rows),
in autocommit: with no dialog open (the idle load) that is all, no BEGIN or COMMIT. With a
dialog open (the dialog load) the answer is then stored in a transaction of its own (BEGIN,
one write, COMMIT: as many round trips as kume's step) into a table of this bot's, so kume's
dialogs stay as the benchmark checks them. Then the echo reply, through PTB's default HTTP
layer as the echo bot's.

Eight updates at once (PTB's `concurrent_updates(8)`) and eight connections on PostgreSQL:
the concurrency kume has.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from typing import Any

from sqlalchemy.engine import make_url
from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters

READ = """
SELECT person.id, dialog.id FROM person
LEFT JOIN dialog ON dialog.person_id = person.id AND dialog.status = 'active'
WHERE person.telegram_user_id = {p} ORDER BY dialog.id DESC LIMIT 1
"""
WRITE = """
INSERT INTO bench_answer (dialog_id, answers) VALUES ({p}, {p})
ON CONFLICT (dialog_id) DO UPDATE SET answers = bench_answer.answers || excluded.answers
"""
TABLE = "CREATE TABLE IF NOT EXISTS bench_answer (dialog_id INTEGER PRIMARY KEY, answers TEXT)"


class Postgres:
    def __init__(self, url: str, connections: int = 8) -> None:
        self.url, self.size = url, connections
        self.idle: asyncio.Queue[Any] = asyncio.Queue()

    async def open(self) -> None:
        import psycopg

        for _ in range(self.size):
            self.idle.put_nowait(await psycopg.AsyncConnection.connect(self.url, autocommit=True))
        conn = await self.idle.get()
        await conn.execute(TABLE)
        self.idle.put_nowait(conn)

    async def step(self, telegram_user_id: int, text: str) -> None:
        conn = await self.idle.get()
        try:
            cursor = await conn.execute(READ.format(p="%s"), (telegram_user_id,))
            row = await cursor.fetchone()
            if row is not None and row[1] is not None:
                async with conn.transaction():
                    await conn.execute(WRITE.format(p="%s"), (row[1], text))
        finally:
            self.idle.put_nowait(conn)


class Sqlite:
    def __init__(self, path: str) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=10000"):
            self.conn.execute(f"PRAGMA {pragma}")

    async def open(self) -> None:
        self.conn.execute(TABLE)

    async def step(self, telegram_user_id: int, text: str) -> None:
        row = self.conn.execute(READ.format(p="?"), (telegram_user_id,)).fetchone()
        if row is not None and row[1] is not None:
            self.conn.execute("BEGIN")
            self.conn.execute(WRITE.format(p="?"), (row[1], text))
            self.conn.execute("COMMIT")


def database(url: str) -> Postgres | Sqlite:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return Sqlite(parsed.database or ":memory:")
    return Postgres(parsed.set(drivername="postgresql").render_as_string(hide_password=False))


def main() -> None:
    db = database(os.environ["BENCH_DB"])

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None and update.effective_user is not None
        text = update.message.text or ""
        await db.step(update.effective_user.id, text)
        await update.message.reply_text(text)

    async def opened(_: Application[Any, Any, Any, Any, Any, Any]) -> None:
        await db.open()

    base = os.environ["ECHO_BASE_URL"]
    app = (Application.builder().token(os.environ["ECHO_TOKEN"]).base_url(base)
           .base_file_url(base.replace("/bot", "/file/bot")).concurrent_updates(8)
           .post_init(opened).build())
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    app.run_polling(allowed_updates=Update.ALL_TYPES)


if __name__ == "__main__":
    main()
