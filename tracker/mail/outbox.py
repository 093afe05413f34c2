"""The e-mail outbox: every mail kume sends is a `mail_outbox` row first, keyed
kind|subject|period|address, so the same mail is never written twice and, once written, goes
out at most once whatever happens to the sender (restarts, an SMTP server that is away,
kill -9).

The sender (bot/mailer.py) calls these, each in one transaction of its own; nothing here talks
to a network. A row is claimed (`pending` -> `sending`) just before its message leaves and
recorded just after, so a sender killed at any moment leaves at most the one message it was
sending in doubt: `recover_abandoned` makes such a row `unknown`, never sent again. On
PostgreSQL several senders share the outbox (`FOR UPDATE SKIP LOCKED`); on SQLite the claim
is a conditional update only one writer can win.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, func, select

from tracker.db import inserted_tables
from tracker.models import MailMessage, MailStatus, Subscriber
from tracker.rows import column_length, table_of

ERROR_LENGTH = column_length(MailMessage, "last_error")
CHUNK = 1000  # rows per INSERT, as broadcasts write them


_TABLE = table_of(MailMessage).name  # asked after every transaction of the bot


def mail_queued_in(session: Session) -> bool:
    """Whether this session added mails: its committer wakes the mail sender."""
    return _TABLE in inserted_tables(session)


def address_key(address: str) -> str:
    """An address as duplicates are found: trimmed and casefolded."""
    return address.strip().casefold()


def mail_key(kind: str, subject: str, period: str, address: str) -> str:
    return f"{kind}|{subject}|{period}|{address_key(address)}"


@dataclass(frozen=True)
class MailDraft:
    """One mail to write: who gets it and what it says (the rest is the batch's)."""

    address: str
    subject_line: str
    text: str
    html: str
    subscriber_id: int | None = None
    person_id: int | None = None


def drafts_for(subscribers: Iterable[Subscriber], *, subject_line: str, text: str,
               html: str) -> list[MailDraft]:
    """One mail per subscriber who may be mailed now (not unsubscribed, not bounced). The
    text and HTML hold tracker.mail.message.UNSUBSCRIBE_PLACEHOLDER where each subscriber's
    own unsubscribe link goes: it is put in as the mail is built, so one rendering serves all."""
    return [MailDraft(address=s.email, subject_line=subject_line, text=text, html=html,
                      subscriber_id=s.id)
            for s in subscribers
            if s.id is not None and s.unsubscribed_at is None and s.bounced_at is None]


def enqueue_mail(session: Session, *, kind: str, subject: str, period: str, address: str,
                 subject_line: str, text: str, html: str, subscriber_id: int | None = None,
                 person_id: int | None = None, now: datetime,
                 not_before: datetime | None = None) -> bool:
    """Write one mail unless a mail with the same key exists; False if it did."""
    draft = MailDraft(address=address, subject_line=subject_line, text=text, html=html,
                      subscriber_id=subscriber_id, person_id=person_id)
    return enqueue_many(session, kind=kind, subject=subject, period=period, mails=[draft],
                        now=now, not_before=not_before) == 1


def enqueue_many(session: Session, *, kind: str, subject: str, period: str,
                 mails: Iterable[MailDraft], now: datetime,
                 not_before: datetime | None = None) -> int:
    """Write many mails in bulk (10,000 in a fraction of a second); an address already
    written under the same kind|subject|period is left alone (the unique key decides, so two
    writers at once still mail each address once). Returns how many rows were new."""
    rows: dict[str, dict[str, Any]] = {}
    for mail in mails:
        key = mail_key(kind, subject, period, mail.address)
        rows.setdefault(key, dict(
            key=key, kind=kind, subject=subject, period=period,
            subscriber_id=mail.subscriber_id, person_id=mail.person_id,
            address=mail.address.strip(), subject_line=mail.subject_line, text=mail.text,
            html=mail.html, status=MailStatus.PENDING, attempts=0,
            not_before=not_before or now, created_at=now))
    values = list(rows.values())
    before = _count(session, kind, subject, period)
    for start in range(0, len(values), CHUNK):
        session.execute(_insert_ignoring_duplicates(session), values[start:start + CHUNK])
    # Counted, not taken from rowcount: drivers disagree on an executemany's rowcount.
    return _count(session, kind, subject, period) - before


def _count(session: Session, kind: str, subject: str, period: str) -> int:
    return session.exec(select(func.count()).where(
        col(MailMessage.kind) == kind, col(MailMessage.subject) == subject,
        col(MailMessage.period) == period)).one()


def _insert_ignoring_duplicates(session: Session) -> Any:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(MailMessage).on_conflict_do_nothing(index_elements=["key"])


@dataclass
class MailClaim:
    """What `claim_next` found."""

    row: MailMessage | None = None  # claimed: send it now (detached from the session)
    skipped: bool = False  # claimed and skipped at once: the address opted out or bounced
    contended: bool = False  # another sender took it first: look again at once
    name: str = ""  # the subscriber's name, for the To header


def claim_next(session: Session, now: datetime) -> MailClaim:
    """Claim the first due pending mail. A subscriber who unsubscribed or bounced since it
    was written is skipped at its turn, never mailed."""
    # Oldest written first. By id alone: the status index holds its rows in id order, so the
    # next mail is found without sorting every pending one (10,000 for a bulletin) each time.
    query = (select(col(MailMessage.id))
             .where(col(MailMessage.status) == MailStatus.PENDING,
                    col(MailMessage.not_before) <= now)
             .order_by(col(MailMessage.id)).limit(1))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    row_id = session.exec(query).first()
    if row_id is None:
        return MailClaim()
    result = session.exec(
        sa.update(MailMessage)
        .where(col(MailMessage.id) == row_id, col(MailMessage.status) == MailStatus.PENDING)
        .values(status=MailStatus.SENDING, claimed_at=now))
    if result.rowcount != 1:
        return MailClaim(contended=True)
    row = session.get(MailMessage, row_id)
    assert row is not None
    name = ""
    if row.subscriber_id is not None:
        subscriber = session.get(Subscriber, row.subscriber_id)
        if subscriber is None or (
                subscriber.unsubscribed_at is not None or subscriber.bounced_at is not None):
            finish(session, row_id, MailStatus.SKIPPED, now)
            return MailClaim(skipped=True)
        name = subscriber.name
    session.flush()
    session.expunge(row)
    return MailClaim(row=row, name=name)


def finish(session: Session, mail_id: int, status: MailStatus, now: datetime, *,
           error: str | None = None, message_id: str | None = None) -> None:
    """Record a claimed mail's outcome: sent, failed for good, skipped, or bounced (then its
    subscriber is marked bounced too, and gets nothing more)."""
    values: dict[str, Any] = {"status": status,
                              "last_error": (error or None) and error[:ERROR_LENGTH],
                              "attempts": MailMessage.attempts + 1}
    if status == MailStatus.SKIPPED:
        values.pop("attempts")
    if status == MailStatus.SENT:
        values.update(sent_at=now, message_id=message_id)
    session.exec(sa.update(MailMessage).where(col(MailMessage.id) == mail_id).values(**values))
    if status == MailStatus.BOUNCED:
        _mark_bounced(session, mail_id, now, error)


def _mark_bounced(session: Session, mail_id: int, now: datetime, error: str | None) -> None:
    subscriber_id = session.exec(
        select(MailMessage.subscriber_id).where(col(MailMessage.id) == mail_id)).first()
    if subscriber_id is None:
        return
    reason = (error or "")[:column_length(Subscriber, "bounce_reason")] or None
    session.exec(sa.update(Subscriber)
                 .where(col(Subscriber.id) == subscriber_id, col(Subscriber.bounced_at).is_(None))
                 .values(bounced_at=now, bounce_reason=reason))


def release(session: Session, mail_id: int, now: datetime, *, error: str | None = None,
            retry_at: datetime | None = None, count_attempt: bool = True) -> None:
    """Give a claimed mail back for another try: after a temporary refusal (4xx, counted) at
    `retry_at`, or untouched when the server could not even be reached (not counted)."""
    values: dict[str, Any] = {"status": MailStatus.PENDING, "claimed_at": None}
    if error is not None:
        values["last_error"] = error[:ERROR_LENGTH]
    if count_attempt:
        values["attempts"] = MailMessage.attempts + 1
    if retry_at is not None:
        values["not_before"] = retry_at
    session.exec(sa.update(MailMessage).where(col(MailMessage.id) == mail_id).values(**values))


def renew_claim(session: Session, mail_id: int, now: datetime) -> None:
    """A live sender's mail in flight is not abandoned."""
    session.exec(sa.update(MailMessage)
                 .where(col(MailMessage.id) == mail_id,
                        col(MailMessage.status) == MailStatus.SENDING)
                 .values(claimed_at=now))


def recover_abandoned(session: Session, now: datetime, after: timedelta) -> int:
    """Mails a dead sender left `sending`: nobody can know whether the server took them, so
    they become `unknown` rather than go out twice."""
    result = session.exec(
        sa.update(MailMessage)
        .where(col(MailMessage.status) == MailStatus.SENDING,
               col(MailMessage.claimed_at) < now - after)
        .values(status=MailStatus.UNKNOWN, last_error="sender stopped while sending"))
    return result.rowcount or 0


def next_due_in(session: Session, now: datetime, within: timedelta) -> timedelta | None:
    """How long until the next pending mail falls due, if within `within`."""
    first = session.exec(
        select(func.min(MailMessage.not_before))
        .where(col(MailMessage.status) == MailStatus.PENDING,
               col(MailMessage.not_before) <= now + within)).first()
    if first is None:
        return None
    first = first if first.tzinfo else first.replace(tzinfo=UTC)
    return max(first - now, timedelta(0))


def mail_counts(session: Session, *, kind: str | None = None, subject: str | None = None,
                period: str | None = None) -> dict[MailStatus, int]:
    """How many mails are in each state (of one kind, subject and period, if given)."""
    query = select(MailMessage.status, func.count())
    for column, value in ((MailMessage.kind, kind), (MailMessage.subject, subject),
                          (MailMessage.period, period)):
        if value is not None:
            query = query.where(col(column) == value)
    counts = session.exec(query.group_by(MailMessage.status)).all()
    return {MailStatus(status): count for status, count in counts}
