"""SQLite runs in WAL mode with synchronous=NORMAL, and a commit survives a kill -9."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import sqlalchemy as sa

from tracker.db import create_db_engine


def test_every_connection_has_wal_normal_sync_and_a_busy_timeout(tmp_path: Path):
    engine = create_db_engine(f"sqlite:///{tmp_path / 'k.sqlite3'}")
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10000
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()


def test_a_commit_survives_the_process_killed_right_after_it(tmp_path: Path):
    """The writer commits, then dies without closing anything (no checkpoint, the WAL file
    left as it is): the row is there when the database is opened again."""
    url = f"sqlite:///{tmp_path / 'k.sqlite3'}"
    writer = textwrap.dedent(f"""
        import os, signal
        from tracker.db import create_db_engine
        engine = create_db_engine({url!r})
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE answer (id INTEGER PRIMARY KEY, text TEXT)")
        with engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO answer (text) VALUES ('kaydedildi')")
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    done = subprocess.run([sys.executable, "-c", writer], capture_output=True)
    assert done.returncode == -9, done.stderr
    assert (tmp_path / "k.sqlite3-wal").exists()  # nothing checkpointed it
    engine = create_db_engine(url)
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT text FROM answer")).scalars().all() == [
                "kaydedildi"
            ]
    finally:
        engine.dispose()
