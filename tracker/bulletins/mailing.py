"""The one door from bulletins to the e-mail outbox.

The e-mail outbox's own module (tracker.mail: `enqueue_mail`, `enqueue_many`) is built
alongside; until it is merged this writes the MailMessage rows itself, with the same key
(kind|subject|period|address) so that a mail can never be written twice. At the merge its body
becomes a call to `tracker.mail.enqueue_many`; nothing else in bulletins knows how a mail is
stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from tracker.models import MailMessage, MailStatus

BULLETIN_MAIL = "bulletin"
BULLETIN_TEST_MAIL = "bulletin_test"


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
                  mails: Sequence[Mail], now: datetime) -> int:
    """Write each mail unless one with its key exists; how many were written."""
    keys = {mail_key(kind, subject, period, m.address): m for m in mails}
    if not keys:
        return 0
    existing = set(session.exec(select(MailMessage.key)
                                .where(col(MailMessage.key).in_(list(keys)))).all())
    written = 0
    for key, mail in keys.items():
        if key in existing:
            continue
        session.add(MailMessage(
            key=key, kind=kind, subject=subject, period=period, address=mail.address,
            subscriber_id=mail.subscriber_id, person_id=mail.person_id,
            subject_line=mail.subject_line, text=mail.text, html=mail.html,
            status=MailStatus.PENDING, not_before=now, created_at=now))
        written += 1
    session.flush()
    return written
