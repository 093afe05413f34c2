"""Sending a bulletin: frozen once, then an outbox row per recipient and channel.

Telegram: every member and contact who has not opted out (Person.bulletins, not stopped),
one broadcast per message part, so each part is a row keyed by person and part. E-mail: every
subscriber neither unsubscribed nor bounced, each mail with the subscriber's own unsubscribe
link. A scheduled bulletin goes out at the first due-work tick after its time (`send_due`).
Writing is idempotent: every row has its key, so nobody gets a bulletin twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from tracker import texts
from tracker.audience import members_of
from tracker.bulletins.draft import BulletinDraft, compose
from tracker.bulletins.mailing import BULLETIN_MAIL, BULLETIN_TEST_MAIL, Mail, enqueue_mails
from tracker.bulletins.period import parse_period
from tracker.bulletins.render import email_html, personal, plain_text, telegram_parts
from tracker.bulletins.store import BulletinError, editable
from tracker.models import Bulletin, BulletinStatus, Person, Role, Subscriber
from tracker.notifications.broadcast import start_broadcast
from tracker.notifications.outbox import enqueue
from tracker.notifications.rules import BULLETIN, BULLETIN_TEST
from tracker.rows import id_of
from tracker.unsubscribe import unsubscribe_url

WORDS = "bulletins/words.j2"


@dataclass(frozen=True)
class MailLinks:
    """[web] base_url and secret: each mail's unsubscribe link. Without a secret no link can
    be made, so no bulletin is e-mailed."""

    base_url: str = "http://127.0.0.1:8080"
    secret: str | None = None

    @property
    def can_mail(self) -> bool:
        return bool(self.secret)


@dataclass(frozen=True)
class Delivery:
    """Who a bulletin goes (or went) to: people on Telegram, subscribers by e-mail."""

    telegram: int
    email: int
    parts: int  # Telegram messages per person
    mail_disabled: bool = False  # subscribers exist but [web] secret is missing


def subject_of(bulletin: Bulletin) -> str:
    return f"bulletin:{id_of(bulletin)}"


def draft_of(session: Session, bulletin: Bulletin, now: datetime) -> BulletinDraft:
    return compose(session, parse_period(bulletin.period), now, bulletin_id=id_of(bulletin))


def subject_line(bulletin: Bulletin) -> str:
    return texts.say(WORDS, "title", period=parse_period(bulletin.period))


def telegram_recipients(session: Session) -> list[Person]:
    """Members who hear notices (tracker.audience) and every active contact, each once, all
    with bulletins on."""
    members = members_of(session, None)
    others = session.exec(select(Person).where(
        col(Person.role) != Role.MEMBER, col(Person.active).is_(True),
        col(Person.stopped_at).is_(None), col(Person.telegram_user_id).is_not(None))
        .order_by(col(Person.id))).all()
    return [p for p in [*members, *others] if p.bulletins]


def mail_recipients(session: Session) -> list[Subscriber]:
    return list(session.exec(select(Subscriber).where(
        col(Subscriber.unsubscribed_at).is_(None), col(Subscriber.bounced_at).is_(None))
        .order_by(col(Subscriber.id))))


def audience(session: Session, bulletin: Bulletin, links: MailLinks, now: datetime) -> Delivery:
    """Who it would go to now (the CLI asks before sending)."""
    parts = (len(bulletin.frozen_telegram or []) if bulletin.frozen_telegram
             else len(telegram_parts(draft_of(session, bulletin, now))))
    subscribers = len(mail_recipients(session))
    return Delivery(telegram=len(telegram_recipients(session)),
                    email=subscribers if links.can_mail else 0, parts=parts,
                    mail_disabled=bool(subscribers) and not links.can_mail)


def freeze(session: Session, bulletin: Bulletin, now: datetime) -> None:
    """Write what goes out, once: later changes to the data never change a sent bulletin."""
    draft = draft_of(session, bulletin, now)
    bulletin.frozen_telegram = telegram_parts(draft)
    bulletin.frozen_html = email_html(draft)
    bulletin.frozen_text = plain_text(draft)


def send_bulletin(session: Session, bulletin: Bulletin, now: datetime, links: MailLinks,
                  started_by: Person | None = None) -> Delivery:
    """Freeze the bulletin and write its rows for every recipient; it is sent from here on."""
    _claim(session, bulletin)
    freeze(session, bulletin, now)
    session.add(bulletin)
    session.flush()
    people = telegram_recipients(session)
    parts = bulletin.frozen_telegram or []
    for index, part in enumerate(parts):
        start_broadcast(session, text=part, recipients=people, subject=subject_of(bulletin),
                        period=f"{bulletin.period}#{index + 1}", now=now, kind=BULLETIN,
                        started_by=started_by if index == 0 else None)
    mailed = _mail_subscribers(session, bulletin, links, now)
    bulletin.status = BulletinStatus.SENT
    bulletin.sent_at = now
    bulletin.updated_at = now
    session.add(bulletin)
    session.flush()
    subscribers = len(mail_recipients(session))
    return Delivery(telegram=len(people), email=mailed, parts=len(parts),
                    mail_disabled=bool(subscribers) and not links.can_mail)


def _claim(session: Session, bulletin: Bulletin) -> None:
    """Draft or scheduled -> sending, in one conditional update: of a person pressing "Şimdi
    gönder" and the scheduler at the same moment, one sends and the other is refused."""
    editable(bulletin)
    claimed = session.exec(
        sa.update(Bulletin)
        .where(col(Bulletin.id) == id_of(bulletin),
               col(Bulletin.status).in_([BulletinStatus.DRAFT, BulletinStatus.SCHEDULED]))
        .values(status=BulletinStatus.SENDING))
    if claimed.rowcount != 1:
        raise BulletinError("bulletin_sent", period=bulletin.period)
    session.refresh(bulletin)


def _mail_subscribers(session: Session, bulletin: Bulletin, links: MailLinks,
                      now: datetime) -> int:
    if not links.secret:
        return 0
    secret = links.secret
    html, text = bulletin.frozen_html or "", bulletin.frozen_text or ""
    title = subject_line(bulletin)

    def mails() -> Iterator[Mail]:  # made as they are written, a chunk at a time
        for subscriber in mail_recipients(session):
            link = unsubscribe_url(links.base_url, secret, id_of(subscriber))
            yield Mail(address=subscriber.email, subject_line=title,
                       text=personal(text, link), html=personal(html, link),
                       subscriber_id=subscriber.id)

    return enqueue_mails(session, kind=BULLETIN_MAIL, subject=subject_of(bulletin),
                         period=bulletin.period, mails=mails(), now=now)


def send_due(session: Session, now: datetime, links: MailLinks) -> list[Delivery]:
    """Send the scheduled bulletins whose time has come (the due-work tick calls this)."""
    due = session.exec(select(Bulletin).where(
        col(Bulletin.status) == BulletinStatus.SCHEDULED,
        col(Bulletin.scheduled_at) <= now).order_by(col(Bulletin.scheduled_at))).all()
    return [send_bulletin(session, b, now, links,
                          started_by=session.get(Person, b.created_by_id)
                          if b.created_by_id else None)
            for b in due]


@dataclass(frozen=True)
class TestDelivery:
    parts: int
    email: str | None  # the address the test mail went to, if any


def send_test(session: Session, bulletin: Bulletin, person: Person, now: datetime,
              links: MailLinks) -> TestDelivery:
    """The bulletin as it stands, to the person's own chat and, if they have one, e-mail."""
    draft = draft_of(session, bulletin, now)
    stamp = f"t{int(now.timestamp())}"
    parts = telegram_parts(draft)
    for index, part in enumerate(parts):
        enqueue(session, kind=BULLETIN_TEST, subject=subject_of(bulletin),
                period=f"{stamp}p{index + 1}", person=person, text=part, not_before=now,
                now=now)
    address = None
    if person.email:
        link = links.base_url.rstrip("/")
        enqueue_mails(session, kind=BULLETIN_TEST_MAIL, subject=subject_of(bulletin),
                      period=stamp, now=now, mails=[Mail(
                          address=person.email, subject_line=subject_line(bulletin),
                          text=plain_text(draft, link), html=email_html(draft, link),
                          person_id=person.id)])
        address = person.email
    return TestDelivery(parts=len(parts), email=address)
