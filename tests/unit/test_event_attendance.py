"""An event's day before, door and day after on a simulated clock: the reminder to those who
said yes (any day, once per revision), check-in by the link's token, the head count, the
satisfaction question to attendees, its answers (forged ones refused) and the averages."""

from __future__ import annotations

import secrets
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from sqlmodel import Session, select

from tracker.audience import follow
from tracker.calendar import CalendarSettings
from tracker.db import session_scope
from tracker.errors import DomainError
from tracker.events.checkin import (
    attended_by_event,
    check_in,
    event_for_attendance,
    scanned,
    set_head_count,
)
from tracker.events.satisfaction import (
    record_satisfaction,
    satisfaction_by_cluster,
    satisfaction_by_event,
)
from tracker.models import (
    Cluster,
    Event,
    EventAudience,
    EventStatus,
    Notification,
    NotificationStatus,
    Organisation,
    Person,
    Role,
    Rsvp,
    RsvpAnswer,
)
from tracker.notifications.due import run_due, still_needed
from tracker.notifications.rules import SendRule, allows, rule_for
from tracker.quarters import ISTANBUL, Quarter

SETTINGS = CalendarSettings()
SUNDAY = date(2014, 5, 18)  # an event on a Sunday: its reminder goes on Saturday


def at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ISTANBUL)


def member(session: Session, user_id: int, cluster_id: int | None = None, **fields) -> Person:
    values = {"consent_at": at(date(2014, 4, 1)), **fields}
    person = Person(telegram_user_id=user_id, display_name=f"Üye {user_id}", role=Role.MEMBER,
                    **values)
    session.add(person)
    session.flush()
    if cluster_id is not None:
        follow(session, person.id, cluster_id, at(date(2014, 4, 1)))
    return person


def event(session: Session, starts_at: datetime, clusters: list[int], *,
          created_by: int | None = None, title: str = "Küme buluşması") -> Event:
    row = Event(title=title, starts_at=starts_at, place="İzmir", status=EventStatus.PUBLISHED,
                checkin_token=secrets.token_hex(8), created_by_id=created_by,
                all_members=not clusters)
    session.add(row)
    session.flush()
    for cluster_id in clusters:
        session.add(EventAudience(event_id=row.id, cluster_id=cluster_id))
    session.flush()
    return row


def answer(session: Session, event_id: int, person: Person | None, value: RsvpAnswer,
           attended: datetime | None = None, satisfaction: int | None = None) -> Rsvp:
    rsvp = Rsvp(event_id=event_id, person_id=person.id if person else None, answer=value,
                attended_at=attended, satisfaction=satisfaction)
    session.add(rsvp)
    session.flush()
    return rsvp


def rows(engine, kind: str) -> list[tuple[str, str, int]]:
    with Session(engine) as session:
        found = session.exec(select(Notification, Person).join(
            Person, Person.id == Notification.person_id).where(Notification.kind == kind)
            .order_by(Notification.id)).all()
        return [(n.subject, n.period, p.telegram_user_id) for n, p in found]


def due(engine, moment: datetime) -> dict[str, int]:
    with session_scope(engine) as session:
        return dict(run_due(session, moment, SETTINGS).enqueued)


@pytest.fixture
def clusters(engine) -> list[int]:
    with Session(engine) as session:
        return [c.id for c in session.exec(select(Cluster).order_by(Cluster.id).limit(2))]


def test_the_day_before_reminder_goes_to_those_who_said_yes_once_per_revision(engine, clusters):
    with session_scope(engine) as session:
        meeting = event(session, at(SUNDAY, 14), [clusters[0]])
        yes, no, waiting = (member(session, i, clusters[0]) for i in (1, 2, 3))
        stopped = member(session, 4, clusters[0], stopped_at=at(date(2014, 5, 1)))
        gone = member(session, 5, clusters[0], active=False)
        for person, value in ((yes, RsvpAnswer.YES), (no, RsvpAnswer.NO),
                              (waiting, RsvpAnswer.WAITING), (stopped, RsvpAnswer.YES),
                              (gone, RsvpAnswer.YES), (None, RsvpAnswer.YES)):
            answer(session, meeting.id, person, value)
        cancelled = event(session, at(SUNDAY, 15), [clusters[0]])
        cancelled.status = EventStatus.CANCELLED
        answer(session, cancelled.id, yes, RsvpAnswer.YES)
        meeting_id = meeting.id
    saturday = SUNDAY - timedelta(days=1)
    subject = f"event:{meeting_id}"

    assert due(engine, at(saturday - timedelta(days=1))) == {}  # two days before
    assert due(engine, at(saturday, 9, 59)) == {}  # before send_time
    assert due(engine, at(saturday, 10)) == {"event_reminder": 1}  # a Saturday: events go
    assert due(engine, at(saturday, 10, 1)) == {}  # a minute later: nothing twice
    assert due(engine, at(saturday, 18)) == {}
    assert rows(engine, "event_reminder") == [(subject, "r1", 1)]
    assert rule_for("event_reminder") == SendRule.WAKING_HOURS
    assert allows(SendRule.WAKING_HOURS, at(saturday, 10), SETTINGS)
    assert not allows(SendRule.WAKING_HOURS, at(saturday, 23), SETTINGS)  # quiet hours
    with Session(engine) as session:
        text = session.exec(select(Notification.text)).one()
    assert "Küme buluşması" in text and "18 Mayıs 2014 14:00" in text and "İzmir" in text

    # Moved to Monday: a new revision, a reminder again on Sunday; the old one is not needed.
    with session_scope(engine) as session:
        moved = session.get(Event, meeting_id)
        moved.starts_at, moved.revision = at(SUNDAY + timedelta(days=1), 14), 2
    with Session(engine) as session:
        assert not still_needed(session, "event_reminder", subject, "r1")
        assert still_needed(session, "event_reminder", subject, "r2")
    assert due(engine, at(SUNDAY, 10)) == {"event_reminder": 1}
    assert due(engine, at(SUNDAY, 11)) == {}
    assert rows(engine, "event_reminder") == [(subject, "r1", 1), (subject, "r2", 1)]
    with session_scope(engine) as session:
        session.get(Event, meeting_id).status = EventStatus.CANCELLED
    with Session(engine) as session:
        assert not still_needed(session, "event_reminder", subject, "r2")


def test_an_event_tomorrow_announced_after_send_time_is_reminded_at_once(engine, clusters):
    friday = date(2014, 5, 16)
    with session_scope(engine) as session:
        meeting = event(session, at(friday + timedelta(days=1), 9, 30), [clusters[0]])
        answer(session, meeting.id, member(session, 1, clusters[0]), RsvpAnswer.YES)
    assert due(engine, at(friday, 17)) == {"event_reminder": 1}
    assert due(engine, at(friday + timedelta(days=1), 9)) == {}  # the day itself: not again


def test_the_satisfaction_question_goes_the_day_after_to_attendees_once(engine, clusters):
    with session_scope(engine) as session:
        meeting = event(session, at(SUNDAY, 14), [clusters[0]])
        came, absent = member(session, 1, clusters[0]), member(session, 2, clusters[0])
        walked_in = member(session, 3)  # no RSVP, checked in at the door
        answer(session, meeting.id, came, RsvpAnswer.YES, attended=at(SUNDAY, 14, 5))
        answer(session, meeting.id, absent, RsvpAnswer.YES)
        answer(session, meeting.id, walked_in, RsvpAnswer.YES, attended=at(SUNDAY, 14, 20))
        answer(session, meeting.id, None, RsvpAnswer.YES, attended=at(SUNDAY, 14, 7))  # deleted
        meeting_id = meeting.id
    monday = SUNDAY + timedelta(days=1)
    assert due(engine, at(SUNDAY, 18)).get("event_satisfaction") is None  # the same day
    assert due(engine, at(monday, 9, 59)).get("event_satisfaction") is None
    assert due(engine, at(monday, 10))["event_satisfaction"] == 2
    assert due(engine, at(monday, 10, 1)).get("event_satisfaction") is None
    assert due(engine, at(monday + timedelta(days=1))).get("event_satisfaction") is None
    assert rows(engine, "event_satisfaction") == [(f"event:{meeting_id}", "s", 1),
                                                  (f"event:{meeting_id}", "s", 3)]
    with Session(engine) as session:
        question = session.exec(select(Notification)).first()
    assert "Etkinlikten ne kadar memnun kaldınız?" in question.text
    assert question.buttons == [[[str(s), f"/memnun {meeting_id} {s}"] for s in range(1, 6)]]
    assert question.status == NotificationStatus.PENDING


def test_the_question_is_caught_up_after_downtime_but_not_for_old_events(engine, clusters):
    with session_scope(engine) as session:
        recent = event(session, at(SUNDAY, 14), [clusters[0]])
        old = event(session, at(SUNDAY - timedelta(days=10), 14), [clusters[0]])
        person = member(session, 1, clusters[0])
        answer(session, recent.id, person, RsvpAnswer.YES, attended=at(SUNDAY, 14))
        answer(session, old.id, person, RsvpAnswer.YES, attended=at(SUNDAY, 14))
        recent_id = recent.id
    assert due(engine, at(SUNDAY + timedelta(days=3), 9))["event_satisfaction"] == 1
    assert rows(engine, "event_satisfaction") == [(f"event:{recent_id}", "s", 1)]


def test_satisfaction_answers_are_the_pressers_own_and_may_change(engine, clusters):
    with session_scope(engine) as session:
        meeting = event(session, at(SUNDAY, 14), [clusters[0]])
        other = event(session, at(SUNDAY, 16), [clusters[0]])
        came, absent = member(session, 1, clusters[0]), member(session, 2, clusters[0])
        answer(session, meeting.id, came, RsvpAnswer.YES, attended=at(SUNDAY, 14))
        answer(session, meeting.id, absent, RsvpAnswer.YES)
        ids = meeting.id, other.id, came.id, absent.id
    meeting_id, other_id, came_id, absent_id = ids
    now = at(SUNDAY + timedelta(days=1), 11)
    with session_scope(engine) as session:
        first = record_satisfaction(session, session.get(Person, came_id), f"{meeting_id} 4", now)
        assert (first.score, first.changed) == (4, False)
        again = record_satisfaction(session, session.get(Person, came_id), f"{meeting_id} 2", now)
        assert (again.score, again.changed) == (2, True)
    forged = [
        (came_id, f"{other_id} 5"),  # an event they did not attend
        (absent_id, f"{meeting_id} 5"),  # said yes, did not come
        (came_id, f"{meeting_id} 6"), (came_id, f"{meeting_id} 0"), (came_id, "999999 3"),
        (came_id, "abc"), (came_id, None), (came_id, f"{meeting_id} 3 1"),
        (came_id, f"{meeting_id} -1"),
    ]
    for person_id, data in forged:
        with session_scope(engine) as session, pytest.raises(DomainError):
            record_satisfaction(session, session.get(Person, person_id), data, now)
    with Session(engine) as session:
        stored = {r.person_id: r.satisfaction for r in session.exec(select(Rsvp))}
    assert stored == {came_id: 2, absent_id: None}


def test_averages_per_event_and_per_cluster(engine, clusters):
    first, second = clusters
    with session_scope(engine) as session:
        one = event(session, at(SUNDAY, 14), [first])
        both = event(session, at(SUNDAY, 16), [first, second])
        everyone = event(session, at(SUNDAY, 18), [])
        later = event(session, at(date(2014, 8, 1), 14), [first])  # another quarter
        a, b = member(session, 1, first), member(session, 2, second)
        for e, person, score in ((one, a, 5), (one, b, 3), (both, a, 4), (everyone, a, 2),
                                 (everyone, b, 4), (later, a, 1), (one, None, 4)):
            answer(session, e.id, person, RsvpAnswer.YES, attended=e.starts_at,
                   satisfaction=score)
        ids = one.id, both.id, everyone.id
        codes = {c.id: c.code for c in session.exec(select(Cluster))}
    with Session(engine) as session:
        per_event = satisfaction_by_event(session, list(ids))
        per_cluster = satisfaction_by_cluster(session, Quarter(2014, 2))
        year = satisfaction_by_cluster(session, 2014)
    assert [(per_event[i].answers, per_event[i].mean) for i in ids] == [
        (3, 4.0), (1, 4.0), (2, 3.0)]
    # first: 5, 3, 4 (one) + 4 (both) + 2 (a follows first, all members) = 18 / 5
    assert per_cluster[codes[first]].answers == 5 and per_cluster[codes[first]].mean == 3.6
    assert per_cluster[codes[second]].answers == 2 and per_cluster[codes[second]].mean == 4.0
    assert year[codes[first]].answers == 6


def test_check_in_by_token_on_the_day_only_for_members(engine, clusters):
    with session_scope(engine) as session:
        meeting = event(session, at(SUNDAY, 14), [clusters[0]])
        token = f"ci_{meeting.checkin_token}"
        said_no, new = member(session, 1, clusters[0]), member(session, 2)
        answer(session, meeting.id, said_no, RsvpAnswer.NO)
        ebso = session.exec(select(Organisation).where(Organisation.short == "EBSO")).one()
        reporter = Person(telegram_user_id=3, display_name="Sorumlu", role=Role.REPORTER,
                          organisation_id=ebso.id)
        unconsented = member(session, 4, consent_at=None)
        session.add(reporter)
        session.flush()
        ids = meeting.id, said_no.id, new.id, reporter.id, unconsented.id
    meeting_id, said_no_id, new_id, reporter_id, unconsented_id = ids

    def scan(person_id: int | None, argument: str, moment: datetime) -> str:
        with session_scope(engine) as session:
            person = session.get(Person, person_id) if person_id else None
            try:
                done = check_in(session, person, argument, moment)
            except DomainError as error:
                return error.code
            return "again" if done.again else "ok"

    assert scan(new_id, token, at(SUNDAY - timedelta(days=1), 14)) == "checkin_not_today"
    assert scan(new_id, token, at(SUNDAY, 10, 59)) == "checkin_not_today"  # 3 h before
    assert scan(new_id, token, at(SUNDAY + timedelta(days=1), 0, 0)) == "checkin_not_today"
    assert scan(None, token, at(SUNDAY, 14)) == "checkin_not_member"  # a stranger
    assert scan(reporter_id, token, at(SUNDAY, 14)) == "checkin_not_member"
    assert scan(unconsented_id, token, at(SUNDAY, 14)) == "checkin_not_member"
    assert scan(new_id, "ci_" + "0" * 16, at(SUNDAY, 14)) == "checkin_unknown"
    assert scan(new_id, "ci_", at(SUNDAY, 14)) == "checkin_unknown"
    assert scan(new_id, token, at(SUNDAY, 11)) == "ok"
    assert scan(new_id, token, at(SUNDAY, 15)) == "again"
    assert scan(said_no_id, token, at(SUNDAY, 23, 59)) == "ok"
    with Session(engine) as session:
        got = {r.person_id: (r.answer, r.attended_at is not None)
               for r in session.exec(select(Rsvp))}
        assert scanned(session, meeting_id) == 2
    assert got == {new_id: (RsvpAnswer.YES, True), said_no_id: (RsvpAnswer.NO, True)}
    with session_scope(engine) as session:
        session.get(Event, meeting_id).status = EventStatus.CANCELLED
    assert scan(new_id, token, at(SUNDAY, 16)) == "checkin_unknown"


def test_attendance_is_taken_by_its_secretary_or_the_agency_and_counts_are_checked(engine,
                                                                                   clusters):
    with session_scope(engine) as session:
        committee = session.exec(select(Organisation)).first()
        people = {}
        for user_id, role in ((1, Role.SECRETARY), (2, Role.SECRETARY), (3, Role.AGENCY)):
            people[user_id] = Person(telegram_user_id=user_id, display_name=f"K {user_id}",
                                     role=role, organisation_id=committee.id)
            session.add(people[user_id])
        session.flush()
        meeting = event(session, at(SUNDAY, 14), [clusters[0]], created_by=people[1].id)
        ids = {k: p.id for k, p in people.items()}
        meeting_id = meeting.id

    def take(user_id: int, argument: str, count: str | None = None) -> str:
        with session_scope(engine) as session:
            person = session.get(Person, ids[user_id])
            try:
                found = event_for_attendance(session, person, argument)
                if count is not None:
                    return str(set_head_count(session, found, count, at(SUNDAY, 18)))
            except DomainError as error:
                return error.code
            return "ok"

    assert take(1, str(meeting_id)) == "ok"
    assert take(3, str(meeting_id)) == "ok"
    assert take(2, str(meeting_id)) == "not_your_event"
    assert take(1, "999999") == "event_not_found"
    assert take(1, "") == "attendance_usage"
    assert take(1, "abc") == "attendance_usage"
    assert take(1, str(meeting_id), "1.250") == "1250"
    assert take(1, str(meeting_id), "25 kişi") == "25"
    for bad, code in (("yirmi", "head_count_not_number"), ("2,5", "head_count_range"),
                      ("-3", "head_count_range"), ("1 milyon", "head_count_range")):
        assert take(1, str(meeting_id), bad) == code, bad
    with Session(engine) as session:
        assert session.get(Event, meeting_id).manual_attendance == 25
        session.add(Rsvp(event_id=meeting_id, person_id=ids[3], answer=RsvpAnswer.YES,
                         attended_at=at(SUNDAY, 14)))
        session.flush()
        assert attended_by_event(session, [meeting_id, 999999]) == {meeting_id: 26, 999999: 0}
        assert attended_by_event(session, []) == {}


def test_satisfaction_is_proposed_for_the_indicator_with_its_origin(engine, clusters):
    """G12 "Kümelenmeyle ilgili memnuniyet düzeyi": the cluster's mean answer, offered in
    /gosterge like the member counts; a cluster with no answers gets no proposal."""
    from tracker.proposals import propose

    first, second = clusters
    with session_scope(engine) as session:
        meeting = event(session, at(SUNDAY, 14), [first])
        for user_id, score in ((1, 5), (2, 4)):
            person = member(session, user_id, first)
            answer(session, meeting.id, person, RsvpAnswer.YES, attended=meeting.starts_at,
                   satisfaction=score)
    with Session(engine) as session:
        cluster, quiet = session.get(Cluster, first), session.get(Cluster, second)
        assert cluster is not None and quiet is not None
        proposal = propose(session, "G12", cluster, Quarter(2014, 2))
        assert propose(session, "G12", quiet, Quarter(2014, 2)) is None
        assert propose(session, "G12", cluster, Quarter(2014, 3)) is None
    assert proposal is not None
    assert proposal.value == Decimal("4.5")
    assert proposal.source == "kume etkinlik yanıtları: 2 katılımcının ortalaması 4,5/5"


def test_the_head_count_question_refuses_an_answer_once_the_event_is_cancelled(engine, clusters):
    from bot.settings import BotSettings
    from tracker.dialogs.base import ChoiceInput, Context, TextInput
    from tracker.dialogs.registry import engine as dialog_engine

    head_count = dialog_engine("head_count")
    with session_scope(engine) as session:
        secretary = Person(telegram_user_id=1, display_name="Sena", role=Role.SECRETARY)
        session.add(secretary)
        session.flush()
        meeting = event(session, at(SUNDAY, 14), [clusters[0]], created_by=secretary.id)
        ctx = Context(person=secretary, now=at(SUNDAY, 18), settings=BotSettings())
        turn = head_count.start(session, ctx, str(meeting.id))
        assert turn.dialog is not None
        meeting.status = EventStatus.CANCELLED
        session.add(meeting)
        session.flush()
        refused = head_count.handle(session, turn.dialog, ctx, TextInput("40"))
        assert refused.dialog is not None  # asked again, with the reason
        assert "yayımlanmış bir etkinlik değil" in refused.prompt.params["error"]
        assert session.get(Event, meeting.id).manual_attendance is None
        dropped = head_count.handle(session, turn.dialog, ctx, ChoiceInput("drop"))
        assert dropped.dialog is None
