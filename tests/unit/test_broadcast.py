"""Broadcasts and the outbox's way out, without Telegram: rows written in bulk once per person,
the rule each kind of row follows, the claim, the progress edits, the report, the backlog."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import Session, col, select

from tracker.calendar import CalendarSettings
from tracker.db import session_scope
from tracker.models import (
    Broadcast,
    Notification,
    NotificationStatus,
    Organisation,
    Person,
    Role,
)
from tracker.notifications.blocked import record_blocked
from tracker.notifications.broadcast import (
    progress_edits,
    settle_broadcasts,
    start_broadcast,
)
from tracker.notifications.outbox import enqueue, finish
from tracker.notifications.rules import SendRule
from tracker.notifications.sending import backlog, claim_next, release
from tracker.quarters import ISTANBUL

CALENDAR = CalendarSettings()
WEDNESDAY = datetime(2014, 4, 2, 10, 0, tzinfo=ISTANBUL)
SATURDAY = datetime(2014, 4, 5, 11, 0, tzinfo=ISTANBUL)
NIGHT = datetime(2014, 4, 2, 22, 0, tzinfo=ISTANBUL)


def members(engine, count: int, first_id: int = 10_000, **fields) -> list[int]:
    """`count` members of EBSO's cluster with Telegram chats; their person ids."""
    with session_scope(engine) as session:
        org = session.exec(select(Organisation).where(Organisation.short == "EBSO")).one()
        people = [Person(telegram_user_id=first_id + i, display_name=f"Üye {i}",
                         organisation_id=org.id, role=Role.MEMBER, **fields)
                  for i in range(count)]
        session.add_all(people)
        session.flush()
        return [p.id for p in people]


def person(engine, role: Role, telegram_id: int, short: str = "İZKA") -> Person:
    with session_scope(engine) as session:
        org = session.exec(select(Organisation).where(Organisation.short == short)).one()
        created = Person(telegram_user_id=telegram_id, display_name=f"Kişi {telegram_id}",
                         organisation_id=org.id, role=role)
        session.add(created)
        session.flush()
        session.expunge(created)
        return created


def broadcast(engine, ids: list[int], starter: Person | None, subject: str = "duyuru-1",
              now: datetime = WEDNESDAY) -> int:
    with session_scope(engine) as session:
        people = session.exec(select(Person).where(col(Person.id).in_(ids))).all()
        started = start_broadcast(session, text="<b>Toplantı</b> 12 Mayıs'ta", recipients=people,
                                  subject=subject, period="2014-05", now=now,
                                  started_by=starter)
        assert started.id is not None
        return started.id


def outbox(engine) -> list[Notification]:
    with Session(engine) as session:
        return list(session.exec(select(Notification).order_by(col(Notification.id))).all())


def claim_all(engine, now: datetime) -> list[Notification]:
    """Claim and 'send' every row that may go at `now`, as a sender would, in order."""
    claimed = []
    while True:
        with session_scope(engine) as session:
            claim = claim_next(session, now, CALENDAR)
            if claim.row is None:
                if claim.skipped or claim.contended:
                    continue
                return claimed
            finish(session, claim.row.id, NotificationStatus.SENT, now, message_id=len(claimed))
            claimed.append(claim.row)


def test_a_broadcast_writes_one_row_per_reachable_person_once(engine):
    reachable = members(engine, 250)
    left = members(engine, 3, first_id=20_000, active=False)  # blocked the bot earlier
    with session_scope(engine) as session:  # invited, never started the bot: no chat
        org = session.exec(select(Organisation).where(Organisation.short == "EBSO")).one()
        session.add(Person(display_name="Sohbetsiz", organisation_id=org.id, role=Role.MEMBER))
    starter = person(engine, Role.SECRETARY, 777, short="EBSO")
    first = broadcast(engine, reachable + left, starter)
    rows = outbox(engine)
    assert [r.kind for r in rows[:1]] == ["broadcast_progress"]  # it leads the way out
    assert rows[0].chat_id == 777 and "0 / 250" in rows[0].text
    written = [r for r in rows if r.broadcast_id == first]
    assert Counter(r.chat_id for r in written) == {10_000 + i: 1 for i in range(250)}
    assert {r.status for r in written} == {NotificationStatus.PENDING}
    assert {r.text for r in written} == {"<b>Toplantı</b> 12 Mayıs'ta"}

    # The same broadcast written again (a double tap, a retry) reaches nobody twice.
    again = broadcast(engine, reachable, starter)
    with Session(engine) as session:
        assert session.get(Broadcast, first).total == 250
        assert session.get(Broadcast, again).total == 0
    assert len(outbox(engine)) == 252  # two progress rows, 250 rows


def test_each_kind_of_row_waits_for_its_own_rule(engine):
    ids = members(engine, 2)
    starter = person(engine, Role.AGENCY, 778)
    broadcast(engine, ids, starter, now=NIGHT)
    with session_scope(engine) as session:
        enqueue(session, kind="prompt", subject="EBSO", period="2014Q1", person=starter,
                text="Bildirim", not_before=NIGHT, now=NIGHT)

    # 22:00: only the progress message answers what the person just did.
    assert [r.kind for r in claim_all(engine, NIGHT)] == ["broadcast_progress"]
    with Session(engine) as session:
        waiting = backlog(session, NIGHT, CALENDAR)
    assert waiting.closed == {
        SendRule.WAKING_HOURS: (2, datetime(2014, 4, 3, 9, 0, tzinfo=ISTANBUL)),
        SendRule.WORKING_HOURS: (1, datetime(2014, 4, 3, 9, 0, tzinfo=ISTANBUL))}
    # Saturday 11:00: a broadcast goes any day; a quarterly prompt waits for Monday.
    assert [r.kind for r in claim_all(engine, SATURDAY)] == ["broadcast", "broadcast"]
    with Session(engine) as session:
        assert backlog(session, SATURDAY, CALENDAR).closed == {
            SendRule.WORKING_HOURS: (1, datetime(2014, 4, 7, 9, 0, tzinfo=ISTANBUL))}
    assert [r.kind for r in claim_all(engine, SATURDAY + timedelta(days=2))] == ["prompt"]


def test_a_busy_chat_is_passed_over_and_its_rows_keep_their_order(engine):
    a, b = person(engine, Role.AGENCY, 801), person(engine, Role.AGENCY, 802)
    with session_scope(engine) as session:
        for i, who in enumerate([a, a, b]):
            enqueue(session, kind="note", subject=str(i), period="p", person=who, text=str(i),
                    not_before=WEDNESDAY, now=WEDNESDAY)
    with session_scope(engine) as session:
        first = claim_next(session, WEDNESDAY, CALENDAR, busy_chats=[801])
    assert first.row is not None and (first.row.chat_id, first.row.text) == (802, "2")
    with session_scope(engine) as session:
        nothing = claim_next(session, WEDNESDAY, CALENDAR, busy_chats=[801, 802])
    assert nothing.row is None and nothing.held_back  # 801's rows wait for their turn
    with session_scope(engine) as session:
        second = claim_next(session, WEDNESDAY, CALENDAR)
    assert second.row is not None and second.row.text == "0"
    with Session(engine) as session:
        statuses = Counter(n.status for n in session.exec(select(Notification)))
    assert statuses == {NotificationStatus.SENDING: 2, NotificationStatus.PENDING: 1}


def test_progress_is_edited_at_most_every_few_seconds_and_a_report_follows(engine):
    ids = members(engine, 4)
    starter = person(engine, Role.SECRETARY, 779, short="EBSO")
    broadcast_id = broadcast(engine, ids, starter)
    now = WEDNESDAY
    every = timedelta(seconds=5)
    [progress, *rows] = claim_all(engine, now)
    assert progress.kind == "broadcast_progress" and len(rows) == 4
    with session_scope(engine) as session:  # every row is claimed and 'sent' by claim_all;
        for row in rows[2:]:  # put two back, as if they were still on their way
            session.exec(sa.update(Notification).where(col(Notification.id) == row.id)
                         .values(status=NotificationStatus.SENDING))

    def edits(at: datetime) -> list[str]:
        with session_scope(engine) as session:
            return [e.text for e in progress_edits(session, at, every)]

    assert edits(now) == ["📣 Duyuru gönderiliyor: <b>2 / 4</b> gönderildi\n"
                          "Bitince bir özet göndereceğim."]
    assert edits(now + timedelta(seconds=1)) == []  # nothing new, and too soon anyway
    with session_scope(engine) as session:
        finish(session, rows[2].id, NotificationStatus.SENT, now)
    assert edits(now + timedelta(seconds=4)) == []  # too soon
    assert edits(now + timedelta(seconds=5)) == ["📣 Duyuru gönderiliyor: <b>3 / 4</b> "
                                                 "gönderildi\nBitince bir özet göndereceğim."]
    with session_scope(engine) as session:
        assert settle_broadcasts(session, now) == []  # one row is still on its way
        record_blocked(session, rows[3].id, rows[3].person_id, now, "Forbidden: blocked")
    with session_scope(engine) as session:
        [final] = settle_broadcasts(session, now + timedelta(seconds=6))
        assert settle_broadcasts(session, now + timedelta(seconds=7)) == []  # once
    assert (final.chat_id, final.message_id) == (779, 0)
    assert final.text == ("📣 Duyuru gönderimi bitti: <b>3 / 4</b> gönderildi\n"
                          "Botu engellemiş: 1")
    assert edits(now + timedelta(seconds=20)) == []  # finished: no more edits
    report = [r for r in outbox(engine) if r.kind == "broadcast_report"]
    assert [(r.chat_id, r.subject) for r in report] == [(779, str(broadcast_id))]
    assert "• Gönderildi: 3\n• Botu engellemiş: 1\n• Başarısız: 0\n• Belirsiz: 0" in (
        report[0].text)
    # A member who blocks the bot has left: nobody at the agency needs a notice about it.
    assert [r.kind for r in outbox(engine) if r.kind == "blocked"] == []


def test_a_contact_who_blocks_the_bot_is_made_inactive_and_the_agency_told_once(engine):
    agency = person(engine, Role.AGENCY, 790)
    reporter = person(engine, Role.REPORTER, 791, short="EBSO")
    with session_scope(engine) as session:
        for i in range(2):
            enqueue(session, kind="note", subject=str(i), period="p", person=reporter,
                    text="x", not_before=WEDNESDAY, now=WEDNESDAY)
    for row in claim_all(engine, WEDNESDAY):
        with session_scope(engine) as session:
            record_blocked(session, row.id, row.person_id, WEDNESDAY, "Forbidden")
    with Session(engine) as session:
        assert session.get(Person, reporter.id).active is False
        notices = session.exec(select(Notification).where(
            Notification.kind == "blocked")).all()
    assert [(n.person_id, n.chat_id) for n in notices] == [(agency.id, 790)]
    assert "<b>Kişi 791</b> (EBSO) botu engellemiş" in notices[0].text


def test_the_backlog_says_what_waits_for_a_retry_and_what_for_its_time(engine):
    who = person(engine, Role.AGENCY, 795)
    with session_scope(engine) as session:
        for i in range(3):
            enqueue(session, kind="note", subject=str(i), period="p", person=who, text="x",
                    not_before=WEDNESDAY + timedelta(hours=i), now=WEDNESDAY)
    with session_scope(engine) as session:
        claim = claim_next(session, WEDNESDAY, CALENDAR)
        assert claim.row is not None
        release(session, claim.row.id, WEDNESDAY, error="TimedOut",
                retry_at=WEDNESDAY + timedelta(minutes=10))
    with Session(engine) as session:
        waiting = backlog(session, WEDNESDAY, CALENDAR)
    assert (waiting.retry, waiting.retry_at) == (1, WEDNESDAY + timedelta(minutes=10))
    assert (waiting.later, waiting.later_at) == (2, WEDNESDAY + timedelta(hours=1))
    assert (waiting.due, waiting.sending, waiting.closed, waiting.total) == (0, 0, {}, 3)


@pytest.mark.parametrize("rule_kind", ["broadcast"])
def test_released_rows_keep_their_text_and_count_the_attempt(engine, rule_kind):
    ids = members(engine, 1)
    broadcast(engine, ids, None)
    [row] = claim_all(engine, WEDNESDAY)
    assert row.kind == rule_kind
    with session_scope(engine) as session:
        release(session, row.id, WEDNESDAY, error="429 retry after 3 s", parts_sent=0)
    [again] = outbox(engine)
    assert (again.status, again.attempts, again.last_error) == (
        NotificationStatus.PENDING, 1, "429 retry after 3 s")
    assert again.not_before == WEDNESDAY  # a 429 does not move the row back in the queue
