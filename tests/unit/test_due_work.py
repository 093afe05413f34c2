"""A simulated clock walks a year of the bundled plan: exactly the right prompts, reminders,
escalations and summaries, on working days, never twice."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta

import pytest
from sqlmodel import Session, select

from tracker.calendar import CalendarSettings, is_working_day, schedule
from tracker.db import session_scope
from tracker.locks import locked_for
from tracker.models import (
    Action,
    Notification,
    NotificationStatus,
    Organisation,
    Person,
    Role,
    Status,
    StatusUpdate,
)
from tracker.notifications.due import run_due, snooze, still_needed
from tracker.quarters import ISTANBUL, Quarter

SETTINGS = CalendarSettings()
PEOPLE = {  # telegram id: (organisation, role)
    11: ("EBSO", Role.REPORTER),
    12: ("İZTO", Role.REPORTER),
    13: ("KY Organik Gıda", Role.REPORTER),
    14: ("İZKA", Role.AGENCY),
}


@pytest.fixture
def people(engine) -> dict[int, int]:
    """Telegram id -> person id."""
    with session_scope(engine) as session:
        orgs = {o.short: o for o in session.exec(select(Organisation))}
        result = {}
        for telegram_id, (short, role) in PEOPLE.items():
            person = Person(telegram_user_id=telegram_id, display_name=f"Kişi {telegram_id}",
                            organisation_id=orgs[short].id, role=role)
            session.add(person)
            session.flush()
            result[telegram_id] = person.id
    return result


def _at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ISTANBUL)


def _deliver(session: Session, now: datetime) -> None:
    """What the sender does, minus Telegram: due rows go out unless no longer needed."""
    for row in session.exec(select(Notification).where(
            Notification.status == NotificationStatus.PENDING, Notification.not_before <= now)):
        needed = still_needed(session, row.kind, row.subject, row.period)
        row.status = NotificationStatus.SENT if needed else NotificationStatus.SKIPPED
        row.sent_at = now
        session.add(row)


def _walk(engine, start: date, end: date, on_day=None) -> None:
    day = start
    while day <= end:
        for minute in (0, 1):  # two runs a minute apart must not send twice
            with session_scope(engine) as session:
                run_due(session, _at(day, 10, minute), SETTINGS)
                _deliver(session, _at(day, 10, minute))
        if on_day is not None:
            on_day(day)
        day += timedelta(days=1)


def _sent(engine) -> list[tuple[str, str, str, int, date]]:
    with Session(engine) as session:
        rows = session.exec(select(Notification, Person).join(
            Person, Person.id == Notification.person_id).where(
            Notification.status == NotificationStatus.SENT)).all()
        return sorted((n.kind, n.subject, n.period, p.telegram_user_id,
                       n.sent_at.astimezone(ISTANBUL).date()) for n, p in rows)


def _answer_all(engine, person_id: int, quarter: Quarter, day: date) -> None:
    from tracker.status_updates import active_actions

    with session_scope(engine) as session:
        person = session.get(Person, person_id)
        for action in active_actions(session, person.organisation_id, quarter):
            session.add(StatusUpdate(
                action_id=action.id, organisation_id=person.organisation_id,
                quarter=str(quarter), status=Status.IN_PROGRESS, progress=50,
                narrative="ilerliyor", person_id=person_id, created_at=_at(day, 12)))


def test_schedule_moves_sends_to_working_days():
    q4 = schedule(Quarter(2013, 4), SETTINGS)
    assert q4.opens == _at(date(2014, 1, 2))  # 1 January is a public holiday
    assert q4.due == date(2014, 1, 17)
    assert [r.date() for r in q4.reminders] == [date(2014, 1, 10), date(2014, 1, 16),
                                                date(2014, 1, 20)]  # 20 Jan: Sat 18 → Mon
    q3 = schedule(Quarter(2014, 3), SETTINGS)
    assert q3.reminders[-1].date() == date(2014, 10, 20)  # Sunday 19 October → Monday
    # A due date in the Ramazan Bayramı of 2014 (28-30 July) moves past it.
    holiday = schedule(Quarter(2014, 2), CalendarSettings(due_days=27))
    assert holiday.due == date(2014, 7, 31)
    for quarter in Quarter.range(Quarter(2013, 1), Quarter(2018, 4)):
        plan = schedule(quarter, SETTINGS)
        for moment in (plan.opens, *plan.reminders, plan.escalation):
            assert is_working_day(moment.date()) and moment.time() == time(10, 0)


def test_a_year_of_prompts_reminders_and_escalations(engine, people):
    answered = {}

    def on_day(day: date) -> None:
        if day == date(2014, 4, 12):  # EBSO answers everything for 2014Q1 early
            _answer_all(engine, people[11], Quarter(2014, 1), day)
            answered["ebso"] = day

    _walk(engine, date(2014, 1, 1), date(2014, 12, 31), on_day)
    sent = _sent(engine)
    by_key = Counter((kind, subject, period, who) for kind, subject, period, who, _ in sent)
    assert max(by_key.values()) == 1, "nothing is sent twice"

    def days(kind: str, period: str, who: int) -> list[date]:
        return [d for k, _s, p, w, d in sent if k == kind and p == period and w == who]

    expected = {
        "2013Q4": ([date(2014, 1, 2)], [date(2014, 1, 10), date(2014, 1, 16), date(2014, 1, 20)],
                   date(2014, 1, 22)),
        "2014Q1": ([date(2014, 4, 1)], [date(2014, 4, 9), date(2014, 4, 15), date(2014, 4, 21)],
                   date(2014, 4, 21)),
        "2014Q2": ([date(2014, 7, 1)], [date(2014, 7, 9), date(2014, 7, 15), date(2014, 7, 21)],
                   date(2014, 7, 21)),
        "2014Q3": ([date(2014, 10, 1)], [date(2014, 10, 9), date(2014, 10, 15),
                                          date(2014, 10, 20)], date(2014, 10, 21)),
    }
    for period, (prompt_days, reminder_days, escalation_day) in expected.items():
        for who in (11, 12, 13, 14):
            assert days("prompt", period, who) == prompt_days, (period, who)
            reminders = sorted(d for k, _s, p, w, d in sent
                               if k.startswith("reminder") and p == period and w == who)
            if who == 11 and period == "2014Q1":
                # Answering stops the reminders: only the one before 12 April went out.
                assert reminders == [date(2014, 4, 9)]
            else:
                assert reminders == reminder_days, (period, who)
        assert days("escalation", period, 14) == [escalation_day]
        assert days("escalation", period, 11) == []  # only the agency hears of it
    assert not [s for s in sent if s[2] == "2014Q4"], "2014Q4 opens in 2015"
    assert {k for k, *_ in sent} == {"prompt", "reminder1", "reminder2", "reminder3",
                                     "escalation"}


def test_escalation_names_the_silent_and_the_unassigned(engine, people):
    _walk(engine, date(2014, 4, 1), date(2014, 4, 21))
    with Session(engine) as session:
        text = session.exec(select(Notification.text).where(
            Notification.kind == "escalation")).one()
    assert "<b>EBSO</b>: E1.2.3, E3.1.1, E3.1.2, E3.1.5" in text
    assert "<b>KY Organik Gıda</b>" in text and "göstergeler" in text
    assert "Sorumlusu atanmamış eylemler: E2.1.1, E2.1.2, E2.1.3, E2.2.1, E2.2.2, E2.2.3" in text
    assert "Kayıtlı irtibat kişisi olmayan kuruluşlar (davet gönderilmeli):" in text
    assert "EİB" in text.split("davet gönderilmeli")[1]


def test_snooze_moves_the_reminder_by_a_working_day(engine, people):
    _walk(engine, date(2014, 4, 1), date(2014, 4, 9))
    with session_scope(engine) as session:
        person = session.get(Person, people[13])
        when = snooze(session, person, Quarter(2014, 1), _at(date(2014, 4, 9), 11), SETTINGS)
    assert when == _at(date(2014, 4, 10))
    with session_scope(engine) as session:  # pressed twice: still one
        snooze(session, session.get(Person, people[13]), Quarter(2014, 1),
               _at(date(2014, 4, 9), 11, 5), SETTINGS)
    _walk(engine, date(2014, 4, 10), date(2014, 4, 10))
    assert [s[4] for s in _sent(engine) if s[0] == "snooze"] == [date(2014, 4, 10)]
    with session_scope(engine) as session:  # a Friday snooze comes back on Monday
        when = snooze(session, session.get(Person, people[13]), Quarter(2014, 1),
                      _at(date(2014, 4, 11), 15), SETTINGS)
    assert when == _at(date(2014, 4, 14))


def test_after_downtime_only_the_latest_send_goes_and_the_agency_gets_a_summary(engine, people):
    with session_scope(engine) as session:
        report = run_due(session, _at(date(2014, 4, 25), 11), SETTINGS)
    assert report.missed == 3  # prompt and two reminders were missed by more than 3 days
    assert report.enqueued["reminder3"] == 4  # EBSO, İZTO, KY Organik Gıda and İZKA itself
    assert report.enqueued["missed"] == 1 and report.enqueued["escalation"] == 1
    assert "prompt" not in report.enqueued
    with session_scope(engine) as session:
        again = run_due(session, _at(date(2014, 4, 25), 11, 1), SETTINGS)
    assert again.total() == 0


def test_quiet_hours_and_locks(engine, people):
    with session_scope(engine) as session:
        run_due(session, _at(date(2014, 4, 1), 22), SETTINGS)  # evening catch-up
        rows = session.exec(select(Notification)).all()
    assert rows and all(r.not_before.astimezone(ISTANBUL) == _at(date(2014, 4, 2), 9)
                        for r in rows)
    with session_scope(engine) as session:
        assert run_due(session, _at(date(2014, 5, 20)), SETTINGS).total() == 0  # locked
        ebso = session.exec(select(Organisation).where(Organisation.short == "EBSO")).one()
        assert locked_for(session, ebso.id, Quarter(2014, 1), _at(date(2014, 5, 16), 0),
                          SETTINGS)
        assert not locked_for(session, ebso.id, Quarter(2014, 1), _at(date(2014, 5, 15), 23),
                              SETTINGS)
    assert Action  # the plan is loaded
