"""Secrets never reach a screen or a log: one mask for the whole process.

Every log record is cleaned where it is made. `logging.setLogRecordFactory` is the one place
every record of every logger passes through, at every level, before any filter or handler sees
it: root-handler filters (what `kume run` had) are bypassed by a logger with handlers of its own
or `propagate = False`, by handlers added after start-up (alembic's `fileConfig` replaces the
root's), and by `logging.lastResort`. The factory also formats the record's exception and stack
right away and keeps only the cleaned text, so no handler can render the raw traceback again.

Text the CLI prints itself on an error goes through `clean()` as well (kume.cli.main).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

MASK = "***"  # as SQLAlchemy masks a URL's password


def _written_forms(secret: str) -> set[str]:
    """A secret as it may be written out: as is and URL-quoted (a token inside a request URL,
    a password inside a database URL)."""
    return {secret, quote(secret), quote(secret, safe="")}


class Redactor:
    def __init__(self) -> None:
        self._pattern: re.Pattern[str] | None = None
        self._previous_factory: Any = None

    def set_secrets(self, secrets: Iterable[str]) -> None:
        forms = {form for secret in secrets if secret for form in _written_forms(secret)}
        # Longest first, so a secret that contains another is masked whole.
        ordered = sorted(forms, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    def clean(self, text: str) -> str:
        return text if self._pattern is None else self._pattern.sub(MASK, text)

    def install(self) -> None:
        """Clean every log record from now on (once per process; set_secrets() updates)."""
        if self._previous_factory is not None:
            return
        self._previous_factory = logging.getLogRecordFactory()
        logging.setLogRecordFactory(self._make_record)

    def _make_record(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record: logging.LogRecord = self._previous_factory(*args, **kwargs)
        if self._pattern is not None:
            self._clean_record(record)
        return record

    def _clean_record(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: let the handler report it, args cleaned
            message = f"{record.msg} {record.args!r}"
        record.msg, record.args = self.clean(message), None
        if record.exc_info:
            text = record.exc_text or logging.Formatter().formatException(record.exc_info)
            record.exc_info, record.exc_text = None, self.clean(text)
        elif record.exc_text:
            record.exc_text = self.clean(record.exc_text)
        if record.stack_info:
            record.stack_info = self.clean(record.stack_info)


REDACTOR = Redactor()


def protect(secrets: Iterable[str]) -> None:
    """Mask these secrets in every log record and error the process writes from now on."""
    REDACTOR.set_secrets(secrets)
    REDACTOR.install()


def clean(text: str) -> str:
    return REDACTOR.clean(text)
