"""Events without Telegram: the calendar file, when event notices may go, and the waiting
list's order."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from icalendar import Calendar
from sqlmodel import select

from bot.settings import BotSettings
from tracker import texts
from tracker.calendar import CalendarSettings
from tracker.db import session_scope
from tracker.dialogs.base import ChoiceInput, Context, Prompt, TextInput
from tracker.dialogs.registry import engine as dialog_engine
from tracker.errors import DomainError
from tracker.events import ics
from tracker.events.changes import Change, change_event
from tracker.events.publish import NewEvent, create_event
from tracker.events.rsvp import answer
from tracker.models import (
    Cluster,
    ClusterFollow,
    Event,
    EventStatus,
    Notification,
    NotificationStatus,
    Person,
    Role,
    RsvpAnswer,
)
from tracker.notifications.rules import (
    EVENT_CANCEL,
    EVENT_CHANGE,
    EVENT_NOTICE,
    EVENT_PROMOTED,
    allows,
    rule_for,
)
from tracker.quarters import ISTANBUL

NOW = datetime(2014, 4, 10, 10, 0, tzinfo=ISTANBUL)
ODD = "Buluşma; gündem: a, b\\c\nikinci satır <b>&"


def event(**extra) -> Event:
    values = dict(id=7, title=ODD, starts_at=NOW + timedelta(days=30), place="Salon, 2; kat",
                  description=ODD, status=EventStatus.PUBLISHED, checkin_token="t", revision=1)
    return Event(**{**values, **extra})


def test_the_calendar_file_escapes_text_and_keeps_its_uid():
    raw = ics.calendar_file(event(), NOW)
    assert b"SUMMARY:Bulu\xc5\x9fma\\; g\xc3\xbcndem: a\\, b\\\\c\\nikinci" in raw.replace(
        b"\r\n ", b"")
    entry = Calendar.from_ical(raw).walk("VEVENT")[0]
    assert str(entry["summary"]) == ODD and str(entry["description"]) == ODD
    assert str(entry["location"]) == "Salon, 2; kat"
    assert b"DTSTART:20140510T070000Z" in raw  # 10:00 in İstanbul, in UTC
    assert entry["dtstart"].dt == NOW + timedelta(days=30)
    assert entry["dtend"].dt == NOW + timedelta(days=30, hours=2)
    changed = Calendar.from_ical(ics.calendar_file(event(revision=3), NOW)).walk("VEVENT")[0]
    assert str(changed["uid"]) == str(entry["uid"]) == "kume-event-7@kume"
    assert (int(entry["sequence"]), int(changed["sequence"])) == (0, 2)


def test_an_online_event_has_its_link_as_location_and_url():
    raw = ics.calendar_file(event(place=None, online_url="https://meet.example.org/a?b=1"), NOW)
    entry = Calendar.from_ical(raw).walk("VEVENT")[0]
    assert str(entry["url"]) == str(entry["location"]) == "https://meet.example.org/a?b=1"


@pytest.mark.parametrize("kind", [EVENT_NOTICE, EVENT_CHANGE, EVENT_CANCEL, EVENT_PROMOTED])
def test_event_notices_go_any_day_but_not_at_night(kind):
    calendar = CalendarSettings()
    sunday_noon = datetime(2014, 4, 13, 12, 0, tzinfo=ISTANBUL)
    assert allows(rule_for(kind), sunday_noon, calendar)
    assert not allows(rule_for(kind), sunday_noon.replace(hour=23), calendar)


def members(session, count: int) -> list[Person]:
    cluster_id = session.exec(select(Cluster.id).where(Cluster.code == "organik-gida")).one()
    people = [Person(telegram_user_id=8000 + i, display_name=f"Üye {i}", role=Role.MEMBER,
                     consent_version="1", consent_at=NOW) for i in range(count)]
    session.add_all(people)
    session.flush()
    session.add_all(ClusterFollow(person_id=p.id, cluster_id=cluster_id, started_at=NOW)
                    for p in people)
    session.flush()
    return people


def test_the_waiting_list_is_served_in_order_and_each_promotion_told_once(engine):
    with session_scope(engine) as session:
        creator = Person(display_name="Sekreter", role=Role.SECRETARY, telegram_user_id=7999)
        session.add(creator)
        people = members(session, 5)
        cluster_id = session.exec(select(Cluster.id).where(Cluster.code == "organik-gida")).one()
        made = create_event(session, NewEvent(
            title="Toplantı", starts_at=NOW + timedelta(days=3), description="Kısa",
            place="Salon", cluster_ids=[cluster_id], capacity=2), creator, NOW, approval=False)
        assert made.id is not None
        moments = [NOW + timedelta(minutes=i) for i in range(5)]
        results = [answer(session, made.id, p, True, t)
                   for p, t in zip(people, moments, strict=True)]
        assert [r.answer for r in results] == [RsvpAnswer.YES] * 2 + [RsvpAnswer.WAITING] * 3
        later = NOW + timedelta(hours=1)
        first = answer(session, made.id, people[0], False, later)
        second = answer(session, made.id, people[1], False, later)
        assert (first.promoted, second.promoted) == (people[2], people[3])
        # Someone waiting who gives up frees no place.
        assert answer(session, made.id, people[4], False, later).promoted is None
        promoted = session.exec(select(Notification.person_id).where(
            Notification.kind == EVENT_PROMOTED)).all()
        assert sorted(promoted) == sorted([people[2].id, people[3].id])


def test_a_change_of_nothing_or_of_a_stale_revision_is_refused(engine):
    with session_scope(engine) as session:
        creator = Person(display_name="Sekreter", role=Role.SECRETARY, telegram_user_id=7999)
        session.add(creator)
        session.flush()
        made = create_event(session, NewEvent(
            title="Toplantı", starts_at=NOW + timedelta(days=3), description="Kısa",
            place="Salon", all_members=True), creator, NOW, approval=False)
        assert made.id is not None
        with pytest.raises(DomainError) as same:
            change_event(session, made.id, creator, Change(place="Salon"), NOW, revision=1)
        assert same.value.code == "event_nothing_changed"
        change_event(session, made.id, creator, Change(place="Başka salon"), NOW, revision=1)
        with pytest.raises(DomainError) as stale:
            change_event(session, made.id, creator, Change(place="Üçüncü"), NOW, revision=1)
        assert stale.value.code == "event_changed_meanwhile"


def test_the_previews_of_a_change_and_a_cancellation_count_whom_they_will_tell(engine):
    """Before the notice reached anyone, the previews say so instead of “everyone”; once it
    reached people, they say how many."""
    with session_scope(engine) as session:
        creator = Person(display_name="Sekreter", role=Role.SECRETARY, telegram_user_id=7999)
        session.add(creator)
        members(session, 3)
        session.flush()
        made = create_event(session, NewEvent(
            title="Toplantı", starts_at=NOW + timedelta(days=3), description="Kısa",
            place="Salon", all_members=True), creator, NOW, approval=False)
        ctx = Context(person=creator, now=NOW, settings=BotSettings())
        change, cancel = dialog_engine("event_change"), dialog_engine("event_cancel")

        def previews() -> tuple[str, str]:
            turn = change.start(session, ctx, str(made.id))
            assert turn.dialog is not None
            turn = change.handle(session, turn.dialog, ctx, ChoiceInput("place"))
            assert turn.dialog is not None
            turn = change.handle(session, turn.dialog, ctx, TextInput("Başka salon"))
            assert turn.dialog is not None and turn.dialog.step == "change_confirm"
            change_text = render(turn.prompt)
            change.handle(session, turn.dialog, ctx, ChoiceInput("drop"))
            turn = cancel.start(session, ctx, str(made.id))
            assert turn.dialog is not None
            cancel_text = render(turn.prompt)
            cancel.handle(session, turn.dialog, ctx, ChoiceInput("no"))
            return change_text, cancel_text

        before = previews()
        assert "Duyuruyu henüz alan yok; kaydederseniz bundan sonra gidenler" in before[0]
        assert "Duyuruyu henüz alan yok; bekleyen duyurular gönderilmez." in before[1]

        notices = session.exec(select(Notification).where(
            Notification.kind == EVENT_NOTICE)).all()
        assert len(notices) == 3
        for row in notices[:2]:  # two reached their people; one still waits
            row.status = NotificationStatus.SENT
            session.add(row)
        session.flush()
        after = previews()
        assert "Kaydederseniz duyuruyu almış 2 kişiye değişiklik bildirilir." in after[0]
        assert "Duyuruyu almış 2 kişiye iptal bildirilir." in after[1]


def render(prompt: Prompt) -> str:
    return texts.render(prompt.template, **prompt.params)
