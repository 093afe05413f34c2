"""The simulator's log goes to a file: the terminal is the chat, and a traceback is no message.

A Telegram user whose request failed sees the bot's apology, nothing else; the simulator shows
the same, and the log (tracebacks included) is written to a file the transcript names.
"""

from __future__ import annotations

import logging
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import make_url

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
NAME = "simulator.log"


def log_path(database_url: str) -> Path:
    """Beside a SQLite database file (the simulator's own data); else in the temp folder."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return Path(url.database).parent / NAME
    return Path(tempfile.gettempdir()) / f"kume-{NAME}"


class ErrorCount(logging.Handler):
    """Counts the errors logged, so the transcript can say that one happened, and where."""

    def __init__(self, path: Path) -> None:
        super().__init__(logging.ERROR)
        self.path = path
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


def _on_terminal(handler: logging.Handler) -> bool:
    stream = getattr(handler, "stream", None)
    return isinstance(handler, logging.StreamHandler) and stream in (sys.stderr, sys.stdout)


@contextmanager
def logging_to_file(path: Path) -> Iterator[ErrorCount]:
    """While the simulation runs, log records go to `path` instead of the terminal."""
    root = logging.getLogger()
    terminal = [h for h in root.handlers if _on_terminal(h)]
    path.parent.mkdir(parents=True, exist_ok=True)
    to_file = logging.FileHandler(path, encoding="utf-8")
    to_file.setFormatter(logging.Formatter(FORMAT))
    errors = ErrorCount(path)
    for handler in terminal:
        root.removeHandler(handler)
    root.addHandler(to_file)
    root.addHandler(errors)
    try:
        yield errors
    finally:
        root.removeHandler(errors)
        root.removeHandler(to_file)
        to_file.close()
        for handler in terminal:
            root.addHandler(handler)
