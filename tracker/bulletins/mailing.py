"""The one door from bulletins to the e-mail outbox (tracker.mail).

Each subscriber's copy carries their own unsubscribe link, so a bulletin to 10,000 people is
10,000 different texts: they are handed to the outbox a chunk at a time (`enqueue_many` holds a
batch in memory to merge duplicate addresses), so the copies never all sit in memory at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from itertools import islice

from sqlmodel import Session

from tracker.mail.outbox import MailDraft, enqueue_many

BULLETIN_MAIL = "bulletin"
BULLETIN_TEST_MAIL = "bulletin_test"
CHUNK = 500

Mail = MailDraft  # one mail to write: to whom and what (the text and HTML parts)


def enqueue_mails(session: Session, *, kind: str, subject: str, period: str,
                  mails: Iterable[Mail], now: datetime) -> int:
    """Write each mail unless one with its key exists; how many were offered."""
    offered = 0
    for chunk in _chunks(mails):
        enqueue_many(session, kind=kind, subject=subject, period=period, mails=chunk, now=now)
        offered += len(chunk)
    return offered


def _chunks(mails: Iterable[Mail]) -> Iterator[list[Mail]]:
    it = iter(mails)
    while chunk := list(islice(it, CHUNK)):
        yield chunk
