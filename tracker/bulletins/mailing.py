"""The one door from bulletins to the e-mail outbox.

The e-mail outbox's own module (tracker.mail: `enqueue_mail`, `enqueue_many`) is built
alongside; until it is merged this writes the MailMessage rows itself, with the same key
(kind|subject|period|address) so that a mail can never be written twice. At the merge its body
becomes a call to `tracker.mail.enqueue_many`; nothing else in bulletins knows how a mail is
stored.

Rows go in chunks through Core inserts, so 10,000 personal copies of a bulletin never sit in
memory (nor in the session) at once; a key already there is left alone by the unique index.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from tracker.models import MailMessage, MailStatus

BULLETIN_MAIL = "bulletin"
BULLETIN_TEST_MAIL = "bulletin_test"
CHUNK = 500


@dataclass(frozen=True)
class Mail:
    """One mail to write: to whom and what (the text and HTML parts)."""

    address: str
    subject_line: str
    text: str
    html: str
    subscriber_id: int | None = None
    person_id: int | None = None


def mail_key(kind: str, subject: str, period: str, address: str) -> str:
    return f"{kind}|{subject}|{period}|{address.casefold()}"


def enqueue_mails(session: Session, *, kind: str, subject: str, period: str,
                  mails: Iterable[Mail], now: datetime) -> int:
    """Write each mail unless one with its key exists; how many were offered."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(MailMessage).on_conflict_do_nothing(index_elements=["key"])
    offered = 0
    for chunk in _chunks(mails):
        rows = [_row(kind, subject, period, mail, now) for mail in chunk]
        session.execute(statement, rows)
        offered += len(rows)
    return offered


def _chunks(mails: Iterable[Mail]) -> Iterator[list[Mail]]:
    it = iter(mails)
    while chunk := list(islice(it, CHUNK)):
        yield chunk


def _row(kind: str, subject: str, period: str, mail: Mail, now: datetime) -> dict[str, Any]:
    return dict(key=mail_key(kind, subject, period, mail.address), kind=kind, subject=subject,
                period=period, address=mail.address, subscriber_id=mail.subscriber_id,
                person_id=mail.person_id, subject_line=mail.subject_line, text=mail.text,
                html=mail.html, status=MailStatus.PENDING, attempts=0, not_before=now,
                created_at=now)
